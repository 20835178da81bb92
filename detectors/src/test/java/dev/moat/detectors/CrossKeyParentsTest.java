package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.prada.CrossKeyParents;
import dev.moat.detectors.support.Scenario;
import dev.moat.detectors.support.Wide;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.SampleModel;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.JbdaAttacker;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The {@code cross_key} detector (issue 9, {@code tenants5-jbda}): JbDA whose 32-row batches go to
 * 5 or 20 keys, each in a tenant of its own, so no key holds the parent of its own synthetic points
 * and no tenant sees more than one key. Honest keys in twelve other tenants; customers of different
 * tenants who send the same public images (identical or re-encoded) or near-duplicates of them must
 * not be flagged. Rows are counted over all the attacker's keys (the total it sent when its first key
 * was flagged).
 */
class CrossKeyParentsTest {

    static final DetectorProfile ALL = profile(Map.of("sample_seed", 7L));

    static DetectorProfile profile(Map<String, Object> crossKey) {
        Map<String, Map<String, Object>> d = new LinkedHashMap<>();
        d.put("prada", Map.of("delta", 0.9, "step_sample_seed", 7L));
        d.put("volume", Map.of());
        d.put("boundary", Map.of());
        d.put("ood", Map.of());
        d.put("coverage", Map.of());
        d.put("tenant", Map.of());
        if (crossKey != null) {
            d.put("cross_key", crossKey);
        }
        return DetectorProfile.fromConfig(d);
    }

    /** An attacker's rows in batches over its keys in turn; remembers where each key's rows fell in the whole stream. */
    static final class Batches implements QuerySource, Scenario.Keyed {
        final QuerySource inner;
        final List<String> keys = new ArrayList<>();
        final int batch;
        final Map<String, List<Long>> at = new HashMap<>();
        long n = -1;
        String last;

        Batches(QuerySource inner, String prefix, int keys, int batch) {
            this.inner = inner;
            this.batch = batch;
            for (int i = 0; i < keys; i++) {
                this.keys.add(prefix + i);
            }
        }

        @Override
        public double[] next() {
            n++;
            last = keys.get((int) ((n / batch) % keys.size()));
            at.computeIfAbsent(last, k -> new ArrayList<>()).add(n);
            return inner.next();
        }

        @Override
        public void observe(double[] x, double[] answer) {
            inner.observe(x, answer);
        }

        @Override
        public String lastKeyId() {
            return last;
        }

        @Override
        public String name() {
            return "batches(" + inner.name() + ")";
        }

        /** Rows the attacker had sent in all when {@code key} had sent {@code own}. */
        long total(String key, long own) {
            List<Long> rows = at.get(key);
            return rows.get((int) Math.min(own, rows.size()) - 1) + 1;
        }

        /**
         * Total rows when the first of the keys reached a level, or -1: from the verdict's own count or,
         * when larger, the rows the cross-key store had seen of the key (its worker may run ahead).
         */
        long first(Map<String, Long> levelAt, Map<String, dev.moat.detectors.Verdict> verdicts) {
            return first(levelAt, verdicts, 0);
        }

        /** As {@link #first(Map, Map)}, each key having sent {@code aged} other rows before its batches. */
        long first(Map<String, Long> levelAt, Map<String, dev.moat.detectors.Verdict> verdicts, long aged) {
            long best = -1;
            for (String k : keys) {
                Long own = levelAt.get(k);
                if (own != null) {
                    long n = own;
                    dev.moat.detectors.Verdict v = verdicts.get(k);
                    var cross = v == null ? null : v.scores().get("cross_key");
                    if (cross != null) {
                        var m = SEEN.matcher(cross.reason());
                        if (m.find()) {
                            n = Math.max(n, Long.parseLong(m.group(1)));
                        }
                    }
                    n -= aged;
                    if (n <= 0) {
                        continue;
                    }
                    long t = total(k, n);
                    best = best < 0 ? t : Math.min(best, t);
                }
            }
            return best;
        }
    }

    static final java.util.regex.Pattern SEEN = java.util.regex.Pattern.compile("\\((\\d+) queries seen");

    record Run(Scenario s, Batches attacker) {}

    static Run run(DetectorProfile profile, int dims, int keys, long rows) {
        UnaryOperator<double[]> model;
        QuerySource inner;
        List<QuerySource> honest = new ArrayList<>();
        if (dims == 64) {
            model = SampleModel.DIGITS.model()::predict;
            inner = new JbdaAttacker(21, Digits.get(), JbdaAttacker.DEFAULT_LAMBDA, 1_000, JbdaAttacker.Steps.UNIFORM);
            for (int k = 0; k < 12; k++) {
                honest.add(new HonestClient(700 + k));
            }
        } else {
            Wide wide = new Wide(dims);
            model = wide::predict;
            inner = wide.jbda(11, 0.1, Wide.Step.PLAIN, 1, 0);
            for (int k = 0; k < 12; k++) {
                honest.add(k % 2 == 0 ? wide.honest(800 + k) : wide.honestNoisy(800 + k));
            }
        }
        Scenario s = new Scenario(profile, model);
        for (int k = 0; k < honest.size(); k++) {
            s.add("honest-" + k, Scenario.OWN_TENANT, honest.get(k), 1_500, k * 700L, () -> 2_000);
        }
        Batches a = new Batches(inner, "mallory-", keys, 32);
        s.add(null, Scenario.OWN_TENANT, a, rows, 600_000, () -> 1_000);
        s.run();
        return new Run(s, a);
    }

    @ParameterizedTest(name = "{1} keys in {1} tenants, {0} inputs")
    @CsvSource({"64, 5", "64, 20", "3072, 5", "3072, 20"})
    void jbdaSpreadOverKeysOfDifferentTenantsIsFlaggedWithin500Rows(int dims, int keys) {
        Run r = run(ALL, dims, keys, 1_200);
        Scenario s = r.s();
        long flagged = r.attacker().first(s.suspiciousAt, s.firstFlag);
        long extracting = r.attacker().first(s.extractingAt, Map.of());
        System.out.printf(
                "cross_key %d inputs, %d keys: first key flagged at %d rows in all (extracting at %d by its own count); keys flagged %d of %d;"
                        + " max honest risk %.2f (%s)%n",
                dims,
                keys,
                flagged,
                extracting,
                r.attacker().keys.stream().filter(s.suspiciousAt::containsKey).count(),
                keys,
                s.maxHonestRisk(),
                s.worstHonest());
        r.attacker().keys.stream()
                .limit(3)
                .forEach(k -> System.out.printf("  %s first flag %s%n", k, s.firstFlag.get(k)));
        assertThat(s.suspiciousAt.keySet()).as("honest flagged\n%s", s.report()).noneMatch(k -> k.startsWith("honest"));
        assertThat(flagged).as("first flag (rows in all)\n%s", s.report()).isBetween(1L, 500L);
    }

    /**
     * The attacker who has read the README: old, cold keys have only 1 row in {@code sample} (8)
     * searched, so each of its 20 keys (each in a tenant of its own) first sends {@code
     * search_all_rows} (64) natural rows, then the Sybil JbDA is spread over them in 32-row batches
     * (a child lands 100, 200, 400 or 800 rows after its parent: always on another key). A key's
     * first sign step is found after about 8 of its rows; from then on it is hot and every row is
     * searched. Flagged within 500 attack rows either way; the printout compares sample 8 with 1.
     */
    @ParameterizedTest(name = "{0} inputs")
    @CsvSource({"64", "3072"})
    void agedKeysSybilBypass(int dims) {
        long[] at = new long[2];
        int[] samples = {8, 1};
        for (int i = 0; i < samples.length; i++) {
            DetectorProfile profile = profile(Map.of("sample_seed", 7L, "sample", (long) samples[i]));
            Run r = runAged(profile, dims, 20, 64, 1_200);
            at[i] = r.attacker().first(agedOnly(r.s().suspiciousAt, 64), r.s().firstFlag, 64);
            Scenario s = r.s();
            System.out.printf(
                    "aged keys (64 natural rows each), Sybil JbDA over 20 keys, %d inputs, sample %d: first key"
                            + " flagged at %d attack rows; keys flagged %d of 20; max honest risk %.2f (%s)%n",
                    dims,
                    samples[i],
                    at[i],
                    r.attacker().keys.stream()
                            .filter(s.suspiciousAt::containsKey)
                            .count(),
                    s.maxHonestRisk(),
                    s.worstHonest());
            assertThat(s.suspiciousAt.keySet())
                    .as("honest flagged\n%s", s.report())
                    .noneMatch(k -> k.startsWith("honest"));
            for (String k : r.attacker().keys) {
                // the rows the cross-key store had seen of the key when it was flagged (its worker may run ahead)
                var v = s.firstFlag.get(k);
                var cross = v == null ? null : v.scores().get("cross_key");
                var m = cross == null ? null : SEEN.matcher(cross.reason());
                long seen = m != null && m.find() ? Long.parseLong(m.group(1)) : Long.MAX_VALUE;
                assertThat(v == null || Math.max(v.queries(), seen) > 64)
                        .as("%s flagged on its natural rows: %s", k, v)
                        .isTrue();
            }
            assertThat(at[i])
                    .as("sample %d: first flag (attack rows)\n%s", samples[i], s.report())
                    .isBetween(1L, 500L);
        }
    }

    private static Map<String, Long> agedOnly(Map<String, Long> levelAt, int aged) {
        Map<String, Long> out = new HashMap<>();
        levelAt.forEach((k, v) -> {
            if (k.startsWith("mallory-") && v > aged) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** The attacker's keys each send {@code aged} natural rows (in turn) before the JbDA batches. */
    static Run runAged(DetectorProfile profile, int dims, int keys, int aged, long attackRows) {
        UnaryOperator<double[]> model;
        QuerySource inner;
        QuerySource natural;
        List<QuerySource> honest = new ArrayList<>();
        if (dims == 64) {
            model = SampleModel.DIGITS.model()::predict;
            inner = new JbdaAttacker(21, Digits.get(), JbdaAttacker.DEFAULT_LAMBDA, 1_000, JbdaAttacker.Steps.UNIFORM);
            natural = new HonestClient(991);
            for (int k = 0; k < 12; k++) {
                honest.add(new HonestClient(700 + k));
            }
        } else {
            Wide wide = new Wide(dims);
            model = wide::predict;
            inner = wide.jbda(11, 0.1, Wide.Step.PLAIN, 1, 0);
            natural = wide.honest(991);
            for (int k = 0; k < 12; k++) {
                honest.add(k % 2 == 0 ? wide.honest(800 + k) : wide.honestNoisy(800 + k));
            }
        }
        Scenario s = new Scenario(profile, model).syncEvery(32);
        for (int k = 0; k < honest.size(); k++) {
            s.add("honest-" + k, Scenario.OWN_TENANT, honest.get(k), 2_500, k * 700L, () -> 2_000);
        }
        Batches a = new Batches(inner, "mallory-", keys, 32);
        long warm = (long) keys * aged;
        QuerySource agedFirst = new AgedKeys(a, natural, warm);
        s.add(null, Scenario.OWN_TENANT, agedFirst, warm + attackRows, 600_000, () -> 1_000);
        s.run();
        return new Run(s, a);
    }

    /** {@code warm} natural rows over the attacker's keys in turn, then the attacker's batches. */
    static final class AgedKeys implements QuerySource, Scenario.Keyed {
        final Batches attack;
        final QuerySource natural;
        final long warm;
        long n;
        String last;

        AgedKeys(Batches attack, QuerySource natural, long warm) {
            this.attack = attack;
            this.natural = natural;
            this.warm = warm;
        }

        @Override
        public double[] next() {
            if (n < warm) {
                last = attack.keys.get((int) (n++ % attack.keys.size()));
                return natural.next();
            }
            n++;
            double[] x = attack.next();
            last = attack.lastKeyId();
            return x;
        }

        @Override
        public void observe(double[] x, double[] answer) {
            if (n > warm) {
                attack.observe(x, answer);
            }
        }

        @Override
        public String lastKeyId() {
            return last;
        }

        @Override
        public String name() {
            return "aged(" + attack.name() + ")";
        }
    }

    /**
     * The sampling's arithmetic: a key's first {@code search_all_rows} rows are all searched; after
     * that a cold honest key's rows about 1 in {@code sample} (a fixed seed: the count is exact
     * for the run); a key with a sign step among its last 64 searched rows on every row, and cold
     * again 64 searched rows after its last step.
     */
    @Test
    void coldKeysAreSampledAndHotKeysSearchedOnEveryRow() {
        CrossKeyParents store = new CrossKeyParents(
                CrossKeyParents.Settings.from(Map.of("sample_seed", 7L, "sample", 8L, "search_all_rows", 64L)),
                k -> {});
        double[][] label = {{0.9, 0.05, 0.05}};
        HonestClient parents = new HonestClient(1);
        HonestClient cold = new HonestClient(2);
        HonestClient natural = new HonestClient(3);
        double[][] parentRows = new double[400][];
        for (int i = 0; i < parentRows.length; i++) {
            parentRows[i] = parents.next();
            store.observe("parent-key", new double[][] {parentRows[i]}, label);
        }
        // young: every row searched
        long before = store.searched();
        for (int i = 0; i < 64; i++) {
            store.observe("cold-key", new double[][] {cold.next()}, label);
        }
        assertThat(store.searched() - before).as("young key's rows").isEqualTo(64);
        // old and cold: about 1 in 8
        before = store.searched();
        long skipped = store.sampledOut();
        int n = 1_600;
        for (int i = 0; i < n; i++) {
            store.observe("cold-key", new double[][] {cold.next()}, label);
        }
        long searched = store.searched() - before;
        System.out.printf(
                "cold honest key: %d of %d rows searched (sample 8: expect %d), hits %d%n",
                searched, n, n / 8, store.hits());
        assertThat(searched + store.sampledOut() - skipped).isEqualTo(n);
        // 200 expected, sd 13: a fixed seed, so this is exact for the run; the band is 3 sd
        assertThat(searched).isBetween(160L, 240L);
        assertThat(store.hits()).as("honest rows are not steps").isZero();
        // sign steps of parent-key's rows from an old key: the first found after some sampled rows,
        // then every row searched
        Random rnd = new UnsharedRandom(5);
        for (int i = 0; i < 64; i++) {
            store.observe("child-key", new double[][] {natural.next()}, label);
        }
        int firstHitAt = -1;
        int i = 0;
        for (; i < 200 && firstHitAt < 0; i++) {
            long hits = store.hits();
            store.observe("child-key", new double[][] {child(parentRows[i], rnd)}, label);
            if (store.hits() > hits) {
                firstHitAt = i;
            }
        }
        System.out.printf("old key's sign steps: first found at its %d-th step%n", firstHitAt + 1);
        assertThat(firstHitAt).as("a step found").isNotNegative();
        before = store.searched();
        long hitsBefore = store.hits();
        for (int j = 0; j < 100; j++, i++) {
            store.observe("child-key", new double[][] {child(parentRows[i], rnd)}, label);
        }
        assertThat(store.searched() - before).as("hot key's rows").isEqualTo(100);
        System.out.printf("hot key: %d of 100 steps found%n", store.hits() - hitsBefore);
        // back to natural rows: hot until 64 searched rows without a step, then sampled again
        before = store.searched();
        for (int j = 0; j < 64; j++) {
            store.observe("child-key", new double[][] {natural.next()}, label);
        }
        assertThat(store.searched() - before).as("hot key's last 64 rows").isEqualTo(64);
        before = store.searched();
        for (int j = 0; j < 800; j++) {
            store.observe("child-key", new double[][] {natural.next()}, label);
        }
        assertThat(store.searched() - before).as("cold again").isBetween(60L, 140L);
        // sample 1: every row, as before the sampling
        CrossKeyParents all =
                new CrossKeyParents(CrossKeyParents.Settings.from(Map.of("sample_seed", 7L, "sample", 1L)), k -> {});
        for (int j = 0; j < 500; j++) {
            all.observe("k" + (j % 3), new double[][] {natural.next()}, label);
        }
        assertThat(all.searched()).isEqualTo(500);
        assertThat(all.sampledOut()).isZero();
    }

    /**
     * What stays open (detectors/README: "Aged, cold keys"): 40 aged keys (64 natural rows each) that
     * send only n sign steps each, of another key's rows. A key needs {@code min_hits} (4) steps
     * found: with {@code sample: 1} every key sending 4 or more is scored; with 8 only those whose
     * first step was drawn early. Measured and printed; the assertions pin the arithmetic (under 4
     * steps only a key whose natural rows had a chance step as well; fewer with sample 8 at 5).
     */
    @Test
    void agedKeysSendingFewStepsEachBypass() {
        double[][] label = {{0.9, 0.05, 0.05}};
        for (int n : new int[] {3, 5, 8, 12}) {
            int[] scored = new int[2];
            long[] samples = {8, 1};
            for (int v = 0; v < 2; v++) {
                CrossKeyParents store = new CrossKeyParents(
                        CrossKeyParents.Settings.from(Map.of("sample_seed", 7L, "sample", samples[v])), k -> {});
                HonestClient parents = new HonestClient(1);
                HonestClient natural = new HonestClient(3);
                Random rnd = new UnsharedRandom(9);
                int keys = 40;
                double[][] parentRows = new double[keys * n][];
                for (int i = 0; i < parentRows.length; i++) {
                    parentRows[i] = parents.next();
                    store.observe("parent-key", new double[][] {parentRows[i]}, label);
                }
                for (int k = 0; k < keys; k++) {
                    for (int i = 0; i < 64; i++) {
                        store.observe("aged-" + k, new double[][] {natural.next()}, label);
                    }
                }
                for (int k = 0; k < keys; k++) {
                    double score = 0;
                    for (int i = 0; i < n; i++) {
                        score = store.observe("aged-" + k, new double[][] {child(parentRows[k * n + i], rnd)}, label);
                    }
                    if (score > 0) {
                        scored[v]++;
                    }
                }
            }
            System.out.printf(
                    "40 aged keys, %d sign steps each: %d scored with sample 8, %d with sample 1%n",
                    n, scored[0], scored[1]);
            // a key's searched rows with sample 8 are a subset of those with 1 (the store is the same)
            assertThat(scored[0]).isLessThanOrEqualTo(scored[1]);
            if (n < 4) {
                // scored only with a natural row that passed the shapes as well (2 before PRADA's even
                // shape, 3 since: it takes a few more natural 64-input rows for steps, 4 in 20,000
                // queries' three nearest other rows against 1, prada/EvenHonestProbe)
                assertThat(scored[1]).isLessThanOrEqualTo(3);
            } else if (n == 5) {
                assertThat(scored[0]).isLessThan(scored[1]);
            }
        }
    }

    private static double[] child(double[] x, Random rnd) {
        double[] c = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            c[j] = Math.max(0, Math.min(16, x[j] + (rnd.nextBoolean() ? 1.6 : -1.6)));
        }
        return c;
    }

    /**
     * The same attack with {@code cross_key} off: flagged later (by the keys' own detectors) or not
     * at all; the rows are printed for the README.
     */
    @Test
    void withoutCrossKeyForComparison() {
        for (int keys : new int[] {5, 20}) {
            Run without = run(profile(null), 64, keys, 1_200);
            Run with = run(ALL, 64, keys, 1_200);
            long rowsWithout = without.attacker().first(without.s().suspiciousAt, Map.of());
            long rowsWith = with.attacker().first(with.s().suspiciousAt, Map.of());
            System.out.printf(
                    "64 inputs, %d keys: first key flagged at %d rows in all without cross_key, %d with%n",
                    keys, rowsWithout, rowsWith);
            assertThat(rowsWith).isPositive();
            assertThat(rowsWithout < 0 || rowsWithout > rowsWith)
                    .as("without %d, with %d", rowsWithout, rowsWith)
                    .isTrue();
        }
    }

    /**
     * Rows of other widths (a route that accepts any width) must not wipe the real width's store: when
     * the store holds its most widths it drops the one fed the fewest rows, so a few one-row widths
     * do not take the parents a split JbDA needs (they did when the least recently fed store went).
     */
    @Test
    void oddWidthsDoNotWipeTheStore() {
        for (boolean odd : new boolean[] {false, true}) {
            CrossKeyParents store =
                    new CrossKeyParents(CrossKeyParents.Settings.from(Map.of("sample_seed", 7L)), k -> {});
            double[] label = {0.9, 0.05, 0.05};
            Random rnd = new UnsharedRandom(5);
            List<double[]> parents = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                double[] x = Digits.get().train().x()[i].clone();
                parents.add(x);
                store.observe("parent-key", new double[][] {x}, new double[][] {label});
            }
            if (odd) {
                for (int w = 0; w < 16; w++) {
                    store.observe("odd-key", new double[][] {new double[70 + w]}, new double[][] {label});
                }
            }
            long before = store.hits();
            for (double[] x : parents) {
                double[] child = new double[x.length];
                for (int j = 0; j < x.length; j++) {
                    child[j] = Math.max(0, Math.min(16, x[j] + (rnd.nextBoolean() ? 1.6 : -1.6)));
                }
                store.observe("child-key", new double[][] {child}, new double[][] {label});
            }
            assertThat(store.hits() - before).as("odd widths first: %s", odd).isGreaterThanOrEqualTo(15);
        }
    }

    /**
     * detectors/README "A decoy nearer than the parent": a second key first sends a noisy near-copy
     * of each child (Gaussian noise, sd 0.3 on the 0..16 scale), so the child's nearest other-key row
     * is the decoy, whose difference is noise, not a step. Only the nearest was tested, and the child
     * key was never credited (0 of 40); the three nearest are tested now, nearest first, and the
     * parent behind the decoy is found. The same with two decoys per child (from two keys). A decoy
     * so near that it counts as a copy of the child (noise sd 0.05: too little movement for a step)
     * ends the child's test, but is itself a step from the parent: the decoy key is credited instead.
     */
    @Test
    void aDecoyNearerThanTheParentBypassIsClosed() {
        for (int decoys : new int[] {1, 2}) {
            CrossKeyParents store =
                    new CrossKeyParents(CrossKeyParents.Settings.from(Map.of("sample_seed", 7L)), k -> {});
            double[][] label = {{0.9, 0.05, 0.05}};
            Random rnd = new UnsharedRandom(11);
            int n = 40;
            double[][] children = new double[n][];
            for (int i = 0; i < n; i++) {
                double[] x = Digits.get().train().x()[i].clone();
                store.observe("parent-key", new double[][] {x}, label);
                children[i] = new double[x.length];
                for (int j = 0; j < x.length; j++) {
                    children[i][j] = Math.max(0, Math.min(16, x[j] + (rnd.nextBoolean() ? 1.6 : -1.6)));
                }
            }
            for (int i = 0; i < n; i++) {
                for (int d = 0; d < decoys; d++) {
                    double[] decoy = children[i].clone();
                    for (int j = 0; j < decoy.length; j++) {
                        decoy[j] = Math.max(0, Math.min(16, decoy[j] + 0.3 * rnd.nextGaussian()));
                    }
                    store.observe("decoy-key-" + d, new double[][] {decoy}, label);
                }
                long before = store.hits();
                double score = store.observe("child-key", new double[][] {children[i]}, label);
                if (i == n - 1) {
                    System.out.printf(
                            "decoys (%d per child): child key's cross_key score %.2f, %s%n",
                            decoys, score, store.reason("child-key"));
                    assertThat(score).as("%d decoys per child", decoys).isEqualTo(1.0);
                }
                assertThat(store.hits() - before)
                        .as("child %d behind %d decoys", i, decoys)
                        .isEqualTo(1);
            }
        }
        CrossKeyParents store = new CrossKeyParents(CrossKeyParents.Settings.from(Map.of("sample_seed", 7L)), k -> {});
        double[][] label = {{0.9, 0.05, 0.05}};
        Random rnd = new UnsharedRandom(12);
        double decoyScore = 0;
        for (int i = 0; i < 40; i++) {
            double[] x = Digits.get().train().x()[i].clone();
            store.observe("parent-key", new double[][] {x}, label);
            double[] child = new double[x.length];
            double[] decoy = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                child[j] = Math.max(0, Math.min(16, x[j] + (rnd.nextBoolean() ? 1.6 : -1.6)));
                decoy[j] = Math.max(0, Math.min(16, child[j] + 0.05 * rnd.nextGaussian()));
            }
            decoyScore = store.observe("decoy-key", new double[][] {decoy}, label);
            store.observe("child-key", new double[][] {child}, label);
        }
        System.out.printf("near-copy decoys: %s%n", store.reason("decoy-key"));
        assertThat(decoyScore).as("the near-copy decoys' key").isEqualTo(1.0);
    }

    /**
     * A key that re-sends its own queries (issue 9, session 20: spectrogram customers who re-send
     * their clips, {@code HonestDataShapesTest.spectrogramsOfClipsOverTheirOwnNoiseFloorsLookLikeSteps}):
     * on a wide store the search passes over the key's own rows, so each re-send of a query that passed
     * for a step from another key's row met the same parent and was counted again. 40 sign steps of
     * another key's 784-input images, each sent and then re-sent three times: each counts once, and
     * the re-sends are counted as such. The attacker's side: a query that lies a quarter of its step
     * from one of its own earlier rows (a decoy the key sent first, to pass the step off as a re-send)
     * is still counted (the decoy, itself a step from the parent, or the child: the key is credited
     * with the parent once), and probes a tenth of the step around a counted child are no re-sends (a
     * ball as wide as PRADA's eighth would have excused them): only the store's rounding makes a
     * re-send. The probes are not counted again either since session 37: one parent credits a key once.
     */
    @Test
    void reSentStepsCountOnceAndDecoysOfOwnRowsDoNotHideStepsBypass() {
        Wide wide = new Wide(784);
        QuerySource natural = wide.honest(5);
        double[][] label = {{0.9, 0.05, 0.05}};
        for (boolean decoys : new boolean[] {false, true}) {
            CrossKeyParents store =
                    new CrossKeyParents(CrossKeyParents.Settings.from(Map.of("sample_seed", 7L)), k -> {});
            Random rnd = new UnsharedRandom(13);
            int n = 40;
            long counted = 0;
            long probesCounted = 0;
            for (int i = 0; i < n; i++) {
                double[] x = natural.next();
                store.observe("parent-key", new double[][] {x}, label);
                double[] child = new double[x.length];
                double[] step = new double[x.length];
                for (int j = 0; j < x.length; j++) {
                    child[j] = Math.max(0, Math.min(16, x[j] + (rnd.nextBoolean() ? 1.6 : -1.6)));
                    step[j] = child[j] - x[j];
                }
                long before = store.hits();
                if (decoys) {
                    // a decoy a quarter of the step's length from the child, in a random direction: itself
                    // a step from the parent, so the key is credited with the parent by the decoy or the child
                    store.observe("child-key", new double[][] {around(child, step, 0.25, rnd)}, label);
                }
                store.observe("child-key", new double[][] {child}, label);
                long first = store.hits() - before;
                counted += first;
                long resends = store.resends();
                for (int again = 0; again < 3; again++) {
                    store.observe("child-key", new double[][] {child}, label);
                }
                assertThat(store.hits() - before)
                        .as("child %d and its re-sends, decoys %s", i, decoys)
                        .isEqualTo(first);
                assertThat(first)
                        .as("steps counted for parent %d, decoys %s", i, decoys)
                        .isLessThanOrEqualTo(1);
                assertThat(store.resends() - resends)
                        .as("child %d's re-sends", i)
                        .isEqualTo(3 * first);
                // probes around the child (a tenth of its step away, Gaussian: finite differences for a
                // gradient) are no re-sends; each is still a step from the other key's parent, which has
                // credited the key already (counted once: probesAroundAChildOfAnotherKeysRow...)
                long probesFrom = store.resends();
                long probeHits = store.hits();
                for (int p = 0; p < 2; p++) {
                    store.observe("child-key", new double[][] {around(child, step, 0.1, rnd)}, label);
                }
                assertThat(store.resends() - probesFrom)
                        .as("probes around child %d", i)
                        .isZero();
                probesCounted += store.hits() - probeHits;
            }
            System.out.printf(
                    "re-sent steps (decoys %s): %d of %d children counted; %s%n",
                    decoys, counted, n, store.reason("child-key"));
            assertThat(counted).as("children counted, decoys %s", decoys).isGreaterThanOrEqualTo(n * 3 / 4);
            // a probe may pass for a step from another of the parent key's rows, which credits the key anew
            assertThat(probesCounted).as("probes counted, decoys %s", decoys).isLessThanOrEqualTo(n / 8);
        }
    }

    /**
     * One row of another key credits a key once (session 37: an honest 50x camera's frames of one
     * scene were each counted as a step from one thief's child near it, 107 times). The attacker's
     * side: a Sybil prober that sends, for each of another key's rows, a sign step of it and then
     * 20 probes a tenth of the step around that child (finite differences for the model's gradient
     * there, each probe still a step from the same parent) gets each parent counted once by {@code
     * cross_key}, not 21 times. He gains nothing by it: a step from a parent already counted neither
     * counts nor dilutes the key's window (as a re-send), so his window holds his counted children
     * only, and he was extracting at 48 of his rows (4 of 4, the third parent's probes), as fast as
     * without probes. Bound: flagged within 500 of his rows (he sends 21 a parent).
     */
    @Test
    void probesAroundAChildOfAnotherKeysRowAreCountedOnceButTheProberIsStillFlaggedBypass() {
        Wide wide = new Wide(784);
        QuerySource natural = wide.honest(5);
        Random rnd = new UnsharedRandom(17);
        List<String> keys = new ArrayList<>();
        List<double[]> rows = new ArrayList<>();
        int parents = 40;
        int probes = 20;
        for (int i = 0; i < parents; i++) {
            double[] x = natural.next();
            keys.add("sybil-parent");
            rows.add(x);
            double[] child = child(x, rnd);
            double[] step = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                step[j] = child[j] - x[j];
            }
            keys.add("sybil-prober");
            rows.add(child);
            for (int p = 0; p < probes; p++) {
                keys.add("sybil-prober");
                rows.add(around(child, step, 0.1, rnd));
            }
        }
        // the store alone: each parent counted once for the prober, its probes left uncounted as such
        CrossKeyParents store = new CrossKeyParents(CrossKeyParents.Settings.from(Map.of("sample_seed", 7L)), k -> {});
        double[][] label = {{0.9, 0.05, 0.05}};
        for (int i = 0; i < rows.size(); i++) {
            store.observe(keys.get(i), new double[][] {rows.get(i)}, label);
        }
        System.out.printf(
                "probes around children: %d steps counted, %d from a parent already counted; %s%n",
                store.hits(), store.sameParents(), store.reason("sybil-prober"));
        // a probe may pass for a step from another of the parent key's rows, which credits the key anew
        assertThat(store.hits()).as("steps counted").isBetween((long) parents * 3 / 4, (long) parents * 5 / 4);
        assertThat(store.sameParents()).as("probes left uncounted").isGreaterThan((long) parents * probes * 3 / 4);
        // every detector, among honest customers: the prober is still flagged
        Scenario s = scripted(wide, keys, rows);
        System.out.printf(
                "probes around children, every detector: prober flagged at %s of its rows (%s)%n",
                s.suspiciousAt.get("sybil-prober"), s.firstFlag.get("sybil-prober"));
        assertThat(s.suspiciousAt.keySet()).as("honest flagged\n%s", s.report()).noneMatch(k -> k.startsWith("honest"));
        assertThat(s.suspiciousAt.get("sybil-prober"))
                .as(s.report())
                .isNotNull()
                .isLessThanOrEqualTo(500L);
    }

    /**
     * The price of counting one parent once (session 37), from the attacker's side: a Sybil key that
     * sends four children of each of a partner key's rows (four sign patterns, as SPSA's probes or
     * JbDA rounds on one seed, or one pattern at four step sizes) and dilutes them with 20 natural rows
     * of its own gets one step counted in 21 rows by {@code cross_key} (under {@code step_low}, 5%),
     * where four in 24 were counted before (17%, over {@code step_high}). The children of one parent
     * are sign steps from one another, which {@code prada}'s per-key test counts: extracting at 50 of
     * the key's rows either way (7 of 50 steps; 2026-12-01). Bound: within 500. The partner's rows are
     * a grey level over the natural images: an honest key's copy of one would be another parent.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"sign patterns", "step sizes"})
    void manyChildrenOfOnePartnerRowDilutedWithNaturalRowsAreStillFlaggedBypass(String kind) {
        Wide wide = new Wide(784);
        QuerySource natural = wide.honest(5);
        QuerySource filler = wide.honest(6);
        Random rnd = new UnsharedRandom(19);
        List<String> keys = new ArrayList<>();
        List<double[]> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            // the partner's rows a grey level over the natural images, so that no honest key holds a copy
            // of one (each copy is another parent: the key would be credited by each)
            double[] x = natural.next();
            for (int j = 0; j < x.length; j++) {
                x[j] = Math.min(16, x[j] + 0.5);
            }
            keys.add("sybil-parent");
            rows.add(x);
            double[] signs = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                signs[j] = rnd.nextBoolean() ? 1 : -1;
            }
            for (int c = 0; c < 4; c++) {
                double[] child = new double[x.length];
                for (int j = 0; j < x.length; j++) {
                    double step =
                            kind.equals("step sizes") ? (1.2 + 0.4 * c) * signs[j] : rnd.nextBoolean() ? 1.6 : -1.6;
                    child[j] = Math.max(0, Math.min(16, x[j] + step));
                }
                keys.add("sybil-child");
                rows.add(child);
            }
            for (int f = 0; f < 20; f++) {
                keys.add("sybil-child");
                rows.add(filler.next());
            }
        }
        Scenario s = scripted(wide, keys, rows);
        System.out.printf(
                "four children of each partner row (%s), diluted: flagged at %s of the key's rows (%s)%n",
                kind, s.suspiciousAt.get("sybil-child"), s.firstFlag.get("sybil-child"));
        assertThat(s.suspiciousAt.keySet()).as("honest flagged\n%s", s.report()).noneMatch(k -> k.startsWith("honest"));
        assertThat(s.suspiciousAt.get("sybil-child")).as(s.report()).isNotNull().isLessThanOrEqualTo(500L);
    }

    /** The keyed rows from minute 10, among {@code run}'s 12 honest customers of the wide model, every detector. */
    static Scenario scripted(Wide wide, List<String> keys, List<double[]> rows) {
        Scenario s = new Scenario(ALL, wide::predict);
        for (int k = 0; k < 12; k++) {
            s.add(
                    "honest-" + k,
                    Scenario.OWN_TENANT,
                    k % 2 == 0 ? wide.honest(800 + k) : wide.honestNoisy(800 + k),
                    1_500,
                    k * 700L,
                    () -> 2_000);
        }
        s.add(null, Scenario.OWN_TENANT, new Scripted(keys, rows), rows.size(), 600_000, () -> 1_000);
        s.run();
        return s;
    }

    /** Rows in a fixed order, each sent by its own key. */
    static final class Scripted implements QuerySource, Scenario.Keyed {
        final List<String> keys;
        final List<double[]> rows;
        int n = -1;

        Scripted(List<String> keys, List<double[]> rows) {
            this.keys = keys;
            this.rows = rows;
        }

        @Override
        public double[] next() {
            n++;
            return rows.get(n % rows.size());
        }

        @Override
        public String lastKeyId() {
            return keys.get(n % keys.size());
        }

        @Override
        public String name() {
            return "scripted";
        }
    }

    /**
     * Regression (session 37): a camera filming one scene near a thief's sign step of the same image
     * sends frames that are each a step back from the thief's row (the image plus sensor noise, the
     * child the image plus a step). The survey's 50x camera at 3,072 inputs was credited 107 times
     * from one such row and flagged; now one row of another key credits a key once. At 784 inputs:
     * a thief's child of each of 5 images, then a customer's 100 noisy frames (sd 0.2 on 0..16) of
     * each image; the customer is credited once a thief's row (5 steps), where each of the 346 frames
     * that passed was counted before. What is left is the framing case: here the thief's rows are
     * the only other rows, so the customer's searched rows are those 5 and its score is still 1; in
     * the survey its other searched rows, against other customers' rows, are no steps.
     */
    @Test
    void framesOfOneSceneNearAThiefsChildAreCountedOnce() {
        Wide wide = new Wide(784);
        QuerySource natural = wide.honest(5);
        Random rnd = new UnsharedRandom(23);
        CrossKeyParents store = new CrossKeyParents(CrossKeyParents.Settings.from(Map.of("sample_seed", 7L)), k -> {});
        double[][] label = {{0.9, 0.05, 0.05}};
        int scenes = 5;
        for (int i = 0; i < scenes; i++) {
            double[] x = natural.next();
            store.observe("thief", new double[][] {child(x, rnd)}, label);
            for (int f = 0; f < 100; f++) {
                double[] frame = new double[x.length];
                for (int j = 0; j < x.length; j++) {
                    frame[j] = Math.max(0, Math.min(16, x[j] + 0.2 * rnd.nextGaussian()));
                }
                store.observe("camera", new double[][] {frame}, label);
            }
        }
        System.out.printf(
                "frames near a thief's child: %d steps counted, %d from a parent already counted; %s%n",
                store.hits(), store.sameParents(), store.reason("camera"));
        assertThat(store.sameParents()).as("frames taken for steps again").isGreaterThan(300L);
        assertThat(store.hits()).as("steps counted").isLessThanOrEqualTo(scenes);
    }

    /** {@code x} moved in a Gaussian direction by {@code share} of {@code step}'s length. */
    private static double[] around(double[] x, double[] step, double share, Random rnd) {
        double[] noise = new double[x.length];
        double nn = 0;
        double sn = 0;
        for (int j = 0; j < x.length; j++) {
            noise[j] = rnd.nextGaussian();
            nn += noise[j] * noise[j];
            sn += step[j] * step[j];
        }
        double f = share * Math.sqrt(sn / nn);
        double[] y = new double[x.length];
        for (int j = 0; j < x.length; j++) {
            y[j] = x[j] + f * noise[j];
        }
        return y;
    }

    /**
     * The decoy bypass again, after the child's key first sent one row with outlier values: the copy
     * rule's smallest step came from the key's largest value, so one 1e6 row made every neighbour a
     * "copy", only the nearest (the decoy) was tested, and the parent behind it was never seen. The
     * rule now takes the smaller of the key's largest value and the row's own.
     */
    @Test
    void anOutlierRowDoesNotTurnDecoysIntoCopiesBypass() {
        CrossKeyParents store = new CrossKeyParents(CrossKeyParents.Settings.from(Map.of("sample_seed", 7L)), k -> {});
        double[][] label = {{0.9, 0.05, 0.05}};
        Random rnd = new UnsharedRandom(13);
        double[] outlier = new double[Digits.get().train().x()[0].length];
        java.util.Arrays.fill(outlier, 1e6);
        store.observe("child-key", new double[][] {outlier}, label);
        int n = 40;
        long hits = 0;
        for (int i = 0; i < n; i++) {
            double[] x = Digits.get().train().x()[i].clone();
            store.observe("parent-key", new double[][] {x}, label);
            double[] child = new double[x.length];
            double[] decoy = new double[x.length];
            for (int j = 0; j < x.length; j++) {
                child[j] = Math.max(0, Math.min(16, x[j] + (rnd.nextBoolean() ? 1.6 : -1.6)));
                decoy[j] = Math.max(0, Math.min(16, child[j] + 0.3 * rnd.nextGaussian()));
            }
            store.observe("decoy-key", new double[][] {decoy}, label);
            long before = store.hits();
            store.observe("child-key", new double[][] {child}, label);
            hits += store.hits() - before;
        }
        assertThat(hits).as("children found behind decoys after an outlier row").isEqualTo(n);
    }

    /**
     * Customers of different tenants sending the same public test images: identical rows (distance
     * 0) and re-encoded ones (through 8 bits at 0..255 and back: every pixel off by under 0.04 on the
     * 0..16 scale, below the 2% floor) are not sign steps, so the keys are neither linked nor flagged.
     */
    @Test
    void honestCustomersSendingTheSamePublicImagesAreNotLinked() {
        Digits.Part pub = Digits.get().test();
        Scenario s = new Scenario(ALL, SampleModel.DIGITS.model()::predict);
        for (int k = 0; k < 12; k++) {
            List<double[]> rows = new ArrayList<>();
            Random rng = new UnsharedRandom(40 + k);
            boolean reencode = k % 2 == 1;
            for (int i = 0; i < 600; i++) {
                double[] x = pub.x()[(k % 3 == 0 ? i : rng.nextInt(pub.size())) % pub.size()].clone();
                if (reencode) {
                    for (int j = 0; j < x.length; j++) {
                        x[j] = Math.round(x[j] * 255 / 16.0) * 16 / 255.0;
                    }
                }
                rows.add(x);
            }
            s.add("honest-" + k, Scenario.OWN_TENANT, rows, k * 500L, 2_000);
        }
        s.run();
        double maxCross = maxCross(s);
        System.out.printf(
                "same public images: max cross_key score %.2f, max honest risk %.2f (%s)%n",
                maxCross, s.maxHonestRisk(), s.worstHonest());
        assertThat(s.suspiciousAt).as(s.report()).isEmpty();
        assertThat(maxCross).as(s.report()).isZero();
    }

    /**
     * Customers of different tenants sending near-duplicates: the same few public images each time
     * with fresh Gaussian noise (sd 0.5 and 1 on the 0..16 scale, clipped): the difference of two
     * noisy copies is noise, not a step of one size (the flat shape's crest limit lets Gaussian noise
     * through with probability 0.005 per row, and four such rows in a key's window are needed).
     */
    @Test
    void honestNearDuplicatesAcrossTenantsAreNotFlagged() {
        Digits.Part pub = Digits.get().test();
        Scenario s = new Scenario(ALL, SampleModel.DIGITS.model()::predict);
        for (int k = 0; k < 12; k++) {
            List<double[]> rows = new ArrayList<>();
            Random rng = new UnsharedRandom(60 + k);
            double sd = k % 2 == 0 ? 0.5 : 1.0;
            for (int i = 0; i < 800; i++) {
                double[] x = pub.x()[rng.nextInt(50)].clone();
                for (int j = 0; j < x.length; j++) {
                    x[j] = Math.max(0, Math.min(16, x[j] + sd * rng.nextGaussian()));
                }
                rows.add(x);
            }
            s.add("honest-" + k, Scenario.OWN_TENANT, rows, k * 500L, 2_000);
        }
        s.run();
        double maxCross = maxCross(s);
        System.out.printf(
                "near-duplicates: max cross_key score %.2f, max honest risk %.2f (%s)%n",
                maxCross, s.maxHonestRisk(), s.worstHonest());
        assertThat(s.suspiciousAt).as(s.report()).isEmpty();
        assertThat(maxCross).as(s.report()).isLessThan(0.5);
    }

    /**
     * Documented bypass: random step sizes per coordinate (the sign-step test's flat shape needs 48
     * moved coordinates, so on 64 inputs only the equal and repeat shapes count, and the store does
     * not keep the repeat shape's per-key history). On 3,072 inputs the flat shape sees the sampled
     * 128 coordinates. Printed and asserted as measured: 64 inputs not by cross_key; 3,072 within 500.
     */
    @Test
    void randomStepSizesPerCoordinateBypassOn64Inputs() {
        Scenario s64 = new Scenario(ALL, SampleModel.DIGITS.model()::predict);
        Batches a64 = new Batches(
                new JbdaAttacker(22, Digits.get(), JbdaAttacker.DEFAULT_LAMBDA, 1_000, JbdaAttacker.Steps.RANDOM),
                "mallory-",
                5,
                32);
        s64.add(null, Scenario.OWN_TENANT, a64, 1_200, 600_000, () -> 1_000);
        s64.run();
        Wide wide = new Wide(3072);
        Scenario sw = new Scenario(ALL, wide::predict);
        Batches aw = new Batches(wide.jbda(12, 0.1, Wide.Step.RANDOM_SIZE_TO_TWO, 1, 0), "mallory-", 5, 32);
        sw.add(null, Scenario.OWN_TENANT, aw, 1_200, 600_000, () -> 1_000);
        sw.run();
        double cross64 = maxCross(s64);
        System.out.printf(
                "random sizes: 64 inputs first flagged at %d rows in all (max cross_key %.2f); 3,072 at %d (max cross_key %.2f)%n",
                a64.first(s64.suspiciousAt, s64.firstFlag),
                cross64,
                aw.first(sw.suspiciousAt, sw.firstFlag),
                maxCross(sw));
        assertThat(aw.first(sw.suspiciousAt, sw.firstFlag)).as(sw.report()).isBetween(1L, 500L);
    }

    /**
     * Documented bypass: the parent falls out of the bounded store. The attacker sends {@code
     * store_size} rows of other traffic between a parent and its child (here a store of 256 rows and
     * 300 natural rows after every 32-row JbDA batch: ten times the rows, and the natural rows teach
     * the attacker nothing it could not get from the honest distribution). The cross-key score stays 0.
     */
    @Test
    void parentOutOfTheBoundedStoreIsNotSeen() {
        DetectorProfile small = profile(Map.of("sample_seed", 7L, "store_size", 256L));
        Scenario s = new Scenario(small, SampleModel.DIGITS.model()::predict);
        QuerySource jbda =
                new JbdaAttacker(23, Digits.get(), JbdaAttacker.DEFAULT_LAMBDA, 1_000, JbdaAttacker.Steps.UNIFORM);
        HonestClient filler = new HonestClient(99);
        QuerySource spaced = new QuerySource() {
            long n = -1;

            @Override
            public double[] next() {
                n++;
                return n % 332 < 32 ? jbda.next() : filler.next();
            }

            @Override
            public void observe(double[] x, double[] answer) {
                if ((n % 332) < 32) {
                    jbda.observe(x, answer);
                }
            }

            @Override
            public String name() {
                return "spaced";
            }
        };
        Batches a = new Batches(spaced, "mallory-", 5, 332);
        s.add(null, Scenario.OWN_TENANT, a, 332 * 10, 600_000, () -> 100);
        s.run();
        System.out.printf("spaced past a 256-row store: max cross_key %.2f%n", maxCross(s));
        assertThat(maxCross(s)).as(s.report()).isZero();
    }

    @Test
    void badParametersNameTheDetectorAndField() {
        assertThatThrownBy(() -> profile(Map.of("store_size", 3L)))
                .hasMessageContaining("detectors.cross_key.store_size");
        assertThatThrownBy(() -> profile(Map.of("step_low", 0.2, "step_high", 0.1)))
                .hasMessageContaining("detectors.cross_key.step_high");
        assertThatThrownBy(() -> profile(Map.of("storesize", 3L))).hasMessageContaining("storesize");
        // a store that would not fit in 256 MiB (and whose offsets would overflow an int) is refused
        assertThatThrownBy(() -> profile(Map.of("store_size", 1_000_000L, "coordinates", 4096L)))
                .hasMessageContaining("detectors.cross_key.store_size");
    }

    private static double maxCross(Scenario s) {
        double max = 0;
        for (Map<String, Double> scores : s.maxScores.values()) {
            max = Math.max(max, scores.getOrDefault("cross_key", 0.0));
        }
        return max;
    }

    /**
     * The engine reports the rows its cross-key store passed over to its listener (the gateway's
     * {@code moat_detection_cross_key_sampled_out_total}): none of a young key's first 64, about 7 in
     * 8 after them, none with {@code sample: 1}.
     */
    @Test
    void sampledOutRowsReachTheListener() throws Exception {
        for (long sample : new long[] {8, 1}) {
            var clock = new dev.moat.detectors.support.SimClock(Scenario.START);
            var settings = new dev.moat.detectors.engine.EngineSettings(
                    2, 1 << 16, 10_000, java.time.Duration.ofHours(24), 0.5, 0.8, java.time.Duration.ofHours(1));
            var model = SampleModel.DIGITS.model();
            java.util.concurrent.atomic.AtomicLong skipped = new java.util.concurrent.atomic.AtomicLong();
            var listener = new dev.moat.detectors.engine.EngineListener() {
                @Override
                public void onCrossKeySampledOut(int rows) {
                    skipped.addAndGet(rows);
                }
            };
            DetectorProfile crossOnly =
                    DetectorProfile.fromConfig(Map.of("cross_key", Map.of("sample_seed", 7L, "sample", sample)));
            HonestClient client = new HonestClient(17);
            try (var engine = new dev.moat.detectors.engine.DetectionEngine(settings, clock, listener)) {
                for (int event = 0; event < 20; event++) {
                    double[][] xs = new double[16][];
                    double[][] ps = new double[16][];
                    for (int i = 0; i < xs.length; i++) {
                        xs[i] = client.next();
                        ps[i] = model.predict(xs[i]);
                    }
                    engine.submit(new dev.moat.detectors.engine.QueryEvent(
                            "k" + (event % 2), "t", "/m", clock.millis(), xs, ps, crossOnly));
                    engine.awaitIdle(java.time.Duration.ofSeconds(10));
                }
            }
            // two keys of 160 rows each: 2 x 96 rows past search_all_rows
            System.out.printf("sample %d: %d of 192 old rows passed over%n", sample, skipped.get());
            if (sample == 1) {
                assertThat(skipped.get()).isZero();
            } else {
                assertThat(skipped.get()).isBetween(140L, 190L);
            }
        }
    }

    /** An admin reset forgets the key's cross-key evidence: its next event does not inherit the old score. */
    @Test
    void resetForgetsTheCrossKeyScore() throws Exception {
        var clock = new dev.moat.detectors.support.SimClock(Scenario.START);
        var settings = new dev.moat.detectors.engine.EngineSettings(
                2, 1 << 16, 10_000, java.time.Duration.ofHours(24), 0.5, 0.8, java.time.Duration.ofHours(1));
        var model = SampleModel.DIGITS.model();
        JbdaAttacker thief =
                new JbdaAttacker(24, Digits.get(), JbdaAttacker.DEFAULT_LAMBDA, 1_000, JbdaAttacker.Steps.UNIFORM);
        DetectorProfile crossOnly = DetectorProfile.fromConfig(Map.of("cross_key", Map.of("sample_seed", 7L)));
        try (var engine = new dev.moat.detectors.engine.DetectionEngine(settings, clock, null)) {
            String flagged = null;
            for (int batch = 0; batch < 40 && flagged == null; batch++) {
                String key = "mallory-" + (batch % 5);
                double[][] xs = new double[32][];
                double[][] ps = new double[32][];
                for (int i = 0; i < 32; i++) {
                    xs[i] = thief.next();
                    ps[i] = model.predict(xs[i]);
                    thief.observe(xs[i], ps[i]);
                }
                engine.submit(new dev.moat.detectors.engine.QueryEvent(
                        key, "t-" + key, "/m", clock.millis(), xs, ps, crossOnly));
                engine.awaitIdle(java.time.Duration.ofSeconds(10));
                if (engine.verdict(key).risk() >= 0.8) {
                    flagged = key;
                }
            }
            assertThat(flagged).as("a key flagged by cross_key").isNotNull();
            engine.reset(flagged);
            double[] natural = Digits.get().test().x()[0];
            engine.submit(new dev.moat.detectors.engine.QueryEvent(
                    flagged,
                    "t-" + flagged,
                    "/m",
                    clock.millis(),
                    new double[][] {natural},
                    new double[][] {model.predict(natural)},
                    crossOnly));
            engine.awaitIdle(java.time.Duration.ofSeconds(10));
            var v = engine.verdict(flagged);
            assertThat(v.risk()).as("%s after reset: %s", flagged, v).isZero();
            assertThat(v.scores()).doesNotContainKey("cross_key");
        }
    }
}
