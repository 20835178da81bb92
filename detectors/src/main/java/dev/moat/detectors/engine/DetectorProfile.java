package dev.moat.detectors.engine;

import dev.moat.detectors.Calibration;
import dev.moat.detectors.Detector;
import dev.moat.detectors.boundary.BoundaryDetector;
import dev.moat.detectors.coverage.CoverageDetector;
import dev.moat.detectors.ood.OodDetector;
import dev.moat.detectors.ood.OodSettings;
import dev.moat.detectors.params.ParamSpec;
import dev.moat.detectors.prada.CrossKeyParents;
import dev.moat.detectors.prada.PradaDetector;
import dev.moat.detectors.prada.PradaSettings;
import dev.moat.detectors.tenant.TenantProfile;
import dev.moat.detectors.volume.VolumeDetector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.BiFunction;

/**
 * The detectors a policy enables, with validated parameters: built once per policy from the
 * {@code detectors} section of the config and shared by every event of that policy. Two profiles
 * are equal when they were built from equal detector configs and the same calibration: the engine
 * keeps one detector state per key and per (equal) profile, so a config reload that keeps a
 * policy's detectors keeps every key's evidence, and a key that uses routes of several policies
 * keeps one state per policy (its risk is the maximum over them).
 *
 * <p>Detector names: {@code prada}, {@code volume}, {@code boundary}, {@code ood}, {@code coverage}
 * (per key), {@code tenant} (the same tests over a tenant's keys) and {@code cross_key} (PRADA's
 * sign-step test with the parent searched among other keys' recent queries, {@link CrossKeyParents}). An empty parameter map means
 * the defaults documented on each detector class.
 */
public final class DetectorProfile {

    /** No detectors: events are counted but nothing is scored. */
    public static final DetectorProfile NONE = new DetectorProfile(List.of(), null, null, Map.of(), null);

    private static final Map<String, BiFunction<Map<String, Object>, Calibration, Detector.Factory>> REGISTRY = Map.of(
            PradaDetector.NAME, (p, c) -> PradaDetector.factory(p),
            VolumeDetector.NAME, VolumeDetector::factory,
            BoundaryDetector.NAME, BoundaryDetector::factory,
            OodDetector.NAME, OodDetector::factory,
            CoverageDetector.NAME, CoverageDetector::factory);

    private static final Map<String, List<ParamSpec>> PARAMETERS = Map.of(
            PradaDetector.NAME, PradaSettings.PARAMETERS,
            VolumeDetector.NAME, VolumeDetector.PARAMETERS,
            BoundaryDetector.NAME, BoundaryDetector.PARAMETERS,
            OodDetector.NAME, OodSettings.PARAMETERS,
            CoverageDetector.NAME, CoverageDetector.PARAMETERS,
            TenantProfile.NAME, TenantProfile.PARAMETERS,
            CrossKeyParents.NAME, CrossKeyParents.PARAMETERS);

    private final List<Detector.Factory> factories;
    private final TenantProfile tenant;
    /** The cross-key parent search's settings, or null when {@code cross_key} is off. */
    private final CrossKeyParents.Settings crossKey;
    /** What the profile was built from: the identity that {@link #equals} compares. */
    private final Map<String, Map<String, Object>> config;

    private final Calibration calibration;

    private DetectorProfile(
            List<Detector.Factory> factories,
            TenantProfile tenant,
            CrossKeyParents.Settings crossKey,
            Map<String, Map<String, Object>> config,
            Calibration calibration) {
        this.factories = List.copyOf(factories);
        this.tenant = tenant;
        this.crossKey = crossKey;
        this.config = config;
        this.calibration = calibration;
    }

    /**
     * Builds a profile from detector name to parameters.
     *
     * @throws IllegalArgumentException naming the detector, parameter, value and what was expected,
     *                                  for an unknown detector, an unknown parameter or a bad value
     */
    public static DetectorProfile fromConfig(Map<String, Map<String, Object>> detectors) {
        return fromConfig(detectors, null);
    }

    /**
     * Builds a profile whose peer-comparing detectors ({@code ood}, {@code boundary}, {@code
     * volume}, and {@code coverage} when the file has its line) use the fixed honest reference of
     * {@code calibration} (null: learn it online) unless their own parameters set one.
     *
     * @throws IllegalArgumentException as {@link #fromConfig(Map)}
     */
    public static DetectorProfile fromConfig(Map<String, Map<String, Object>> detectors, Calibration calibration) {
        if (detectors == null || detectors.isEmpty()) {
            return NONE;
        }
        List<Detector.Factory> factories = new ArrayList<>();
        TenantProfile tenant = null;
        CrossKeyParents.Settings crossKey = null;
        Map<String, Map<String, Object>> config = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, Object>> e : new LinkedHashMap<>(detectors).entrySet()) {
            String name = e.getKey();
            Map<String, Object> params = e.getValue() == null ? Map.of() : e.getValue();
            config.put(name, new LinkedHashMap<>(params));
            if (TenantProfile.NAME.equals(name)) {
                tenant = TenantProfile.from(params);
                continue;
            }
            if (CrossKeyParents.NAME.equals(name)) {
                crossKey = CrossKeyParents.Settings.from(params);
                continue;
            }
            BiFunction<Map<String, Object>, Calibration, Detector.Factory> f = REGISTRY.get(name);
            if (f == null) {
                TreeSet<String> known = new TreeSet<>(REGISTRY.keySet());
                known.add(TenantProfile.NAME);
                known.add(CrossKeyParents.NAME);
                throw new IllegalArgumentException("detectors: unknown detector \"" + name + "\" (expected one of: "
                        + String.join(", ", known) + ")");
            }
            factories.add(f.apply(params, calibration));
        }
        return new DetectorProfile(factories, tenant, crossKey, config, calibration);
    }

    /**
     * Every detector {@link #fromConfig} knows, by name, with the parameters it declares: the names
     * and ranges its settings accept (a {@link ParamSpec.Nested} parameter of {@code tenant} takes
     * the named detector's). The config loader cannot depend on this module and keeps a table of its
     * own to report a bad parameter at its line; gateway-core's tests compare the two.
     */
    public static Map<String, List<ParamSpec>> parameters() {
        return PARAMETERS;
    }

    /**
     * Each detector's secret seeds: drawn from a {@code SecureRandom} when its parameters leave them
     * unset, so a key cannot learn which coordinates or rows are sampled.
     */
    private static final Map<String, List<String>> SEEDS = Map.of(
            PradaDetector.NAME, List.of("step_sample_seed"),
            CrossKeyParents.NAME, List.of("sample_seed"),
            BoundaryDetector.NAME, List.of("run_seed"),
            OodDetector.NAME, List.of("input_seed", "run_seed"),
            CoverageDetector.NAME, List.of("run_seed"));

    /**
     * This profile with every secret seed its config leaves unset derived from {@code base} and the
     * seed's name (the tenant's pooled {@code prada} too): the same traffic then gets the same
     * verdicts in every run, which a test or a replay needs and a gateway must not have (a key that
     * learnt the base would know the samples). Seeds the config sets are kept.
     */
    public DetectorProfile seeded(long base) {
        Map<String, Map<String, Object>> filled = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, Object>> e : config.entrySet()) {
            Map<String, Object> params = new LinkedHashMap<>(e.getValue());
            fillSeeds(e.getKey(), params, base);
            if (TenantProfile.NAME.equals(e.getKey())) {
                // the pooled detectors' seeds too (a nested map for one the tenant does not use changes nothing)
                for (String pooled : List.of(PradaDetector.NAME, CoverageDetector.NAME)) {
                    Map<String, Object> nested = new LinkedHashMap<>();
                    if (params.get(pooled) instanceof Map<?, ?> m) {
                        m.forEach((k, v) -> nested.put(String.valueOf(k), v));
                    }
                    fillSeeds(TenantProfile.NAME + "." + pooled, nested, base);
                    params.put(pooled, nested);
                }
            }
            filled.put(e.getKey(), params);
        }
        return fromConfig(filled, calibration);
    }

    private static void fillSeeds(String name, Map<String, Object> params, long base) {
        String detector = name.substring(name.lastIndexOf('.') + 1);
        for (String seed : SEEDS.getOrDefault(detector, List.of())) {
            // by name, not by order: Map.of iterates in an order that changes from JVM to JVM
            params.putIfAbsent(seed, new java.util.SplittableRandom(base ^ (name + "." + seed).hashCode()).nextLong());
        }
    }

    /** The calibration the profile's detectors use, or null when they learn their references online. */
    public Calibration calibration() {
        return calibration;
    }

    /** The per-key detector factories, in config order. */
    public List<Detector.Factory> factories() {
        return factories;
    }

    /** The tenant pooling settings, or null when the {@code tenant} detector is off. */
    public TenantProfile tenant() {
        return tenant;
    }

    /** The cross-key parent search's settings, or null when {@code cross_key} is off. */
    public CrossKeyParents.Settings crossKey() {
        return crossKey;
    }

    /** True when nothing is enabled. */
    public boolean isEmpty() {
        return factories.isEmpty() && tenant == null && crossKey == null;
    }

    /** Equal when built from equal detector configs with the same calibration (see the class comment). */
    @Override
    public boolean equals(Object o) {
        return this == o
                || o instanceof DetectorProfile p
                        && config.equals(p.config)
                        && java.util.Objects.equals(calibration, p.calibration);
    }

    @Override
    public int hashCode() {
        return config.hashCode() * 31 + java.util.Objects.hashCode(calibration);
    }

    @Override
    public String toString() {
        List<String> names = new ArrayList<>();
        factories.forEach(f -> names.add(f.name()));
        if (tenant != null) {
            names.add(TenantProfile.NAME);
        }
        if (crossKey != null) {
            names.add(CrossKeyParents.NAME);
        }
        return "DetectorProfile" + names;
    }
}
