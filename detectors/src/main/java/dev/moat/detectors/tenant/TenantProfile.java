package dev.moat.detectors.tenant;

import dev.moat.detectors.Detector;
import dev.moat.detectors.coverage.CoverageDetector;
import dev.moat.detectors.internal.Params;
import dev.moat.detectors.params.ParamSpec;
import dev.moat.detectors.params.ParamSpec.Nested;
import dev.moat.detectors.params.ParamSpec.Text;
import dev.moat.detectors.params.ParamSpec.Whole;
import dev.moat.detectors.prada.PradaDetector;
import dev.moat.detectors.volume.VolumeDetector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code tenant} detector: the same tests run over the union of a tenant's keys, so an
 * extraction split across several accounts of one customer (a Sybil attack, the evasion PRADA's
 * authors name: "one instance must see all of a client's traffic"; Kesarwani et al. 2018 pool
 * colluding users the same way) is judged as one client.
 *
 * <p>Parameters: {@code use} (comma-separated, default {@code "prada,coverage,volume"}), {@code
 * min_keys} (2: a tenant seen through one key adds nothing to that key's own verdict), and one
 * nested map per used detector with that detector's parameters (e.g. {@code prada: {delta: 0.9}}).
 * The pooled volume budget defaults to 100,000 queries a day, and pooled coverage is scored from
 * 300 queries (a split attack sends few per key).
 *
 * <p>Routing: tenants span key shards, so the engine sends each event of a tenant's key also to
 * the worker that owns the tenant (shard by tenant id); that worker is the single writer of the
 * tenant's state and publishes a tenant verdict. A key's risk is max(own risk, tenant risk), folded
 * in by the key's worker whenever it publishes the key's verdict.
 */
public record TenantProfile(int minKeys, List<Detector.Factory> factories) {

    public static final String NAME = "tenant";
    private static final Set<String> USABLE = Set.of(PradaDetector.NAME, CoverageDetector.NAME, VolumeDetector.NAME);

    /**
     * Every parameter this detector takes, with its range: what {@link Params} reads and checks. The
     * nested maps hold the named detector's own parameters, checked by its table.
     */
    public static final List<ParamSpec> PARAMETERS = List.of(
            new Whole("min_keys", 1, 1_000_000),
            new Text("use"),
            new Nested(PradaDetector.NAME),
            new Nested(CoverageDetector.NAME),
            new Nested(VolumeDetector.NAME));

    public TenantProfile {
        factories = List.copyOf(factories);
    }

    /** Parses and validates the {@code tenant} parameters. */
    public static TenantProfile from(Map<String, Object> raw) {
        Params p = new Params(NAME, raw, PARAMETERS);
        int minKeys = (int) p.integer("min_keys", 2);
        String use = p.string("use", "prada,coverage,volume");
        List<Detector.Factory> factories = new ArrayList<>();
        for (String name : use.split(",")) {
            String n = name.trim();
            if (!USABLE.contains(n)) {
                throw p.fail("use", use, "a comma-separated subset of coverage, prada, volume");
            }
            Map<String, Object> params = p.map(n);
            switch (n) {
                case PradaDetector.NAME -> factories.add(PradaDetector.factory(params));
                case CoverageDetector.NAME -> {
                    Map<String, Object> sooner = new HashMap<>(params);
                    sooner.putIfAbsent("min_queries", 300L);
                    factories.add(CoverageDetector.factory(sooner));
                }
                default -> {
                    Map<String, Object> withBudget = new HashMap<>(params);
                    withBudget.putIfAbsent("daily_budget", 100_000L);
                    factories.add(VolumeDetector.factory(withBudget));
                }
            }
        }
        return new TenantProfile(minKeys, factories);
    }
}
