package dev.moat.detectors.prada;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.Wide;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Why JbDA with random per-feature sizes ({@code eps * range_j * U(0, 2)}) at 3,072 inputs, after
 * 300 natural rows and mixed 1:3 with natural rows (eps 0.1) or 1:1 (eps 0.03), takes no sign step
 * in PRADA (issue 9; {@code NarrowAndWideAdaptiveAttackersTest.dilutedAttacksAtThreeThousandInputsBypass}).
 * PRADA alone on the same streams (same seeds, fixed sample seed, 2,100 rows), with each child's
 * true parent known ({@link Wide.Parented}). Dilution is not what hides it: the undiluted streams
 * take no sign step either (undiluted, the attack is flagged by {@code ood}). Measured 2026-11-28,
 * two causes, both binding:
 * <ol>
 *   <li>the shape: where the parent is the nearest member, every displacement failed the flat
 *       shape (crest factor 2.0-3+ over the sampled coordinates, above the cap 2.2: the sizes scale
 *       with per-pixel ranges that differ by channel and position). Divided by the key's largest
 *       value seen in each sampled coordinate, 53% (1:3), 76% (eps 0.03, 1:1) of the children's
 *       displacements from their true parents would pass the crest limit, and none of the natural
 *       rows' displacements from their nearest members on these streams (on 12 honest wide keys,
 *       digits, 1,000 rows each, 12 of 12,000 rows at 784 and 16 at 3,072, at most 3 in a window of
 *       200: a scratch measurement, not kept);</li>
 *   <li>the growing set: 88-97% of the parents never joined G_c (82% without the warm-up): a
 *       child lies within T_c of what is stored, so it is not stored itself. The nearest member is
 *       the parent exactly when the parent is in the child's class's G_c, else a natural row or
 *       another attack row. Even if every child compared with its stored parent counted as a step,
 *       the diluted streams would reach at most 8 (1:3) and 11 (eps 0.03, 1:1) of 200, under
 *       step_low (10 of 200); undiluted 34 and 21. Most parents are 257-1,024 rows back (JbDA
 *       steps a random choice of all earlier points), so a ring of recent rows would not hold them.</li>
 * </ol>
 * Both changes together (the parent as the nearest of the key's last 1,024 rows by the 128 sampled
 * coordinates, and the crest of moves scaled per coordinate) would count at most 32 (1:3) and 78
 * (eps 0.03, 1:1) of 200, over step_high. Built 2026-11-28 (PradaDetector's recent rows, searched on
 * every row of a hot key and 1 in 8 of a cold one; {@link SignSteps#isFlatScaled}): 28 (1:3) and 59
 * (1:1) of 200 with the recent rows, still none from G_c alone. Pinned: fails when G_c alone starts
 * to see these streams or the recent rows stop seeing them (then update detectors/README.md).
 */
class DilutedRandomSizeJbdaTest {

    record Stream(String name, Wide.Parented attack, QuerySource warm, QuerySource natural, int a, int b) {}

    /** What one stream did to PRADA: the most sign steps and parent-nearest children in a window of 200, and counts. */
    record Counts(
            int maxSteps,
            int maxChildren,
            int maxParentNearest,
            int children,
            int parentNearest,
            int maxBothFixes,
            int maxAllSteps) {}

    @Test
    void randomPerFeatureStepsAreStepsFromRecentRowsNotFromGc() {
        Wide w = new Wide(3072);
        List<Stream> streams = List.of(
                new Stream(
                        "random-size-after-300-1-3",
                        (Wide.Parented) w.jbda(60, 0.1, Wide.Step.RANDOM_PER_FEATURE, 1, 0),
                        w.honestNoisy(160),
                        w.honestNoisy(161),
                        1,
                        3),
                new Stream(
                        "random-size-after-300-plain",
                        (Wide.Parented) w.jbda(60, 0.1, Wide.Step.RANDOM_PER_FEATURE, 1, 0),
                        w.honestNoisy(160),
                        null,
                        1,
                        0),
                new Stream(
                        "small-eps-after-300-1-1",
                        (Wide.Parented) w.jbda(67, 0.03, Wide.Step.RANDOM_PER_FEATURE, 1, 0),
                        w.honestNoisy(167),
                        w.honestNoisy(168),
                        1,
                        1),
                new Stream(
                        "small-eps-after-300-plain",
                        (Wide.Parented) w.jbda(67, 0.03, Wide.Step.RANDOM_PER_FEATURE, 1, 0),
                        w.honestNoisy(167),
                        null,
                        1,
                        0),
                new Stream(
                        "random-size-plain-no-warmup",
                        (Wide.Parented) w.jbda(60, 0.1, Wide.Step.RANDOM_PER_FEATURE, 1, 0),
                        null,
                        null,
                        1,
                        0));
        Map<String, Counts> out = new java.util.LinkedHashMap<>();
        for (Stream st : streams) {
            out.put(st.name, run(w, st));
        }
        for (Map.Entry<String, Counts> e : out.entrySet()) {
            assertThat(e.getValue().maxSteps()).as("%s: %s", e.getKey(), out).isZero();
        }
        // with a perfect shape the growing set alone would keep the diluted streams under step_low
        assertThat(out.get("random-size-after-300-1-3").maxParentNearest())
                .as("%s", out)
                .isLessThan(10);
        assertThat(out.get("small-eps-after-300-1-1").maxParentNearest())
                .as("%s", out)
                .isLessThan(14);
        // both changes together (parent: the nearest of the key's last 1,024 rows by the sampled
        // coordinates; shape: the crest of the moves scaled per coordinate) would reach step_high (30 of 200)
        assertThat(out.get("random-size-after-300-1-3").maxBothFixes())
                .as("%s", out)
                .isGreaterThanOrEqualTo(30);
        assertThat(out.get("small-eps-after-300-1-1").maxBothFixes())
                .as("%s", out)
                .isGreaterThanOrEqualTo(30);
        // built (2026-11-28): the recent rows and the scaled shape take the diluted streams past step_high
        assertThat(out.get("random-size-after-300-1-3").maxAllSteps())
                .as("%s", out)
                .isGreaterThanOrEqualTo(25);
        assertThat(out.get("small-eps-after-300-1-1").maxAllSteps())
                .as("%s", out)
                .isGreaterThanOrEqualTo(40);
        // and G_c holds few parents even undiluted
        for (Counts k : out.values()) {
            assertThat(k.parentNearest()).as("%s", out).isLessThan(k.children() / 5);
        }
    }

    private static Counts run(Wide w, Stream st) {
        PradaDetector d = new PradaDetector(PradaSettings.from(Map.of("step_sample_seed", 7L)), false);
        PradaState s = d.newState();
        // mirror of G_c: per class, member slot -> row id
        Map<Integer, List<Integer>> members = new TreeMap<>();
        IdentityHashMap<double[], Integer> ids = new IdentityHashMap<>();
        List<String> kinds = new ArrayList<>();
        List<Integer> joinedClass = new ArrayList<>();
        Map<String, Integer> c = new TreeMap<>();
        int maxSteps = 0;
        int maxAll = 0;
        dev.moat.detectors.internal.BitWindow gcSteps = new dev.moat.detectors.internal.BitWindow(200);
        int warm = st.warm == null ? 0 : 300;
        dev.moat.detectors.internal.BitWindow parentNearest = new dev.moat.detectors.internal.BitWindow(200);
        dev.moat.detectors.internal.BitWindow anyChild = new dev.moat.detectors.internal.BitWindow(200);
        int maxParentNearest = 0;
        int maxChildren = 0;
        float[] keyMax = null;
        List<float[]> all = new ArrayList<>();
        dev.moat.detectors.internal.BitWindow both = new dev.moat.detectors.internal.BitWindow(200);
        int maxBoth = 0;
        for (int q = 0; q < 2_100; q++) {
            boolean attack = q >= warm && (st.b == 0 || (q - warm) % (st.a + st.b) < st.a);
            double[] x = attack ? st.attack.next() : (q < warm ? st.warm : st.natural).next();
            double[] parent = attack ? st.attack.lastParent() : null;
            double[] p = w.predict(x);
            int cls = dev.moat.detectors.internal.Rows.argmax(p);
            Object held = s.slot(cls);
            int before = held instanceof PradaState.ClassState k ? k.memberCount : -1;
            d.update(s, x, p, q * 1_000L);
            if (attack) {
                st.attack.observe(x, p);
            }
            ids.put(x, q);
            float[] xs = sample(s, x);
            if (keyMax == null) {
                keyMax = new float[xs.length];
            }
            for (int i = 0; i < xs.length; i++) {
                keyMax[i] = Math.max(keyMax[i], Math.abs(xs[i]));
            }
            if (held != null && !(attack && parent != null)) {
                // a natural row (or seed) against its nearest member: would a crest on moves scaled by the key's
                // per-coordinate maximum pass it?
                c.merge(
                        "o natural/seed vs nearest, scaled crest "
                                + scaledCrest(xs, member(s, cls, d.nearestForTest()), keyMax),
                        1,
                        Integer::sum);
            }
            boolean hyp = false;
            if (attack && parent != null) {
                String sc = scaledCrest(xs, sample(s, parent), keyMax);
                c.merge("p child vs true parent, scaled crest " + sc, 1, Integer::sum);
                int best = -1;
                double bestD = Double.MAX_VALUE;
                for (int r = Math.max(0, all.size() - 1024); r < all.size(); r++) {
                    float[] o = all.get(r);
                    double dd = 0;
                    for (int i = 0; i < o.length; i++) {
                        dd += (xs[i] - o[i]) * (xs[i] - o[i]);
                    }
                    if (dd < bestD) {
                        bestD = dd;
                        best = r;
                    }
                }
                boolean isParent = best == ids.get(parent);
                c.merge("q nearest of last 1,024 rows (sampled L2) is the parent: " + isParent, 1, Integer::sum);
                hyp = isParent && sc.equals("pass");
            }
            all.add(xs);
            both.add(hyp);
            maxBoth = Math.max(maxBoth, both.count());
            kinds.add(attack ? (parent == null ? "seed" : "child") : "natural");
            List<Integer> g = members.computeIfAbsent(cls, k -> new ArrayList<>());
            boolean joined;
            int nearestId = -1;
            if (held == null) {
                joined = true;
            } else {
                nearestId = g.get(d.nearestForTest());
                joined = ((PradaState.ClassState) s.slot(cls)).memberCount > before;
            }
            if (joined) {
                assertThat(g).as("the mirror of G_c assumes no ring wrap").hasSizeLessThan(1_000);
                g.add(q);
            }
            joinedClass.add(joined ? cls : -1);
            // steps from the nearest member of G_c alone (not through the recent rows)
            gcSteps.add(d.lastStepForTest() && !d.lastRecentStepForTest());
            maxSteps = Math.max(maxSteps, gcSteps.count());
            if (s.stepWindow() != null) {
                maxAll = Math.max(maxAll, s.stepWindow().count());
            }
            boolean pn = attack && parent != null && held != null && nearestId == ids.get(parent);
            parentNearest.add(pn);
            anyChild.add(attack && parent != null);
            maxParentNearest = Math.max(maxParentNearest, parentNearest.count());
            maxChildren = Math.max(maxChildren, anyChild.count());
            if (!attack || parent == null) {
                if (attack) {
                    c.merge("a seed rows", 1, Integer::sum);
                }
                if (d.lastStepForTest()) {
                    c.merge(attack ? "a seed steps" : "n natural steps", 1, Integer::sum);
                }
                continue;
            }
            c.merge("b children", 1, Integer::sum);
            int pid = ids.get(parent);
            int gap = q - pid;
            c.merge(
                    "k parent gap " + (gap <= 64 ? "<=64" : gap <= 256 ? "65-256" : gap <= 1024 ? "257-1024" : ">1024"),
                    1,
                    Integer::sum);
            c.merge("m true-parent crest (per-feature scaled): " + trueCrest(w, s, x, parent), 1, Integer::sum);
            boolean parentStored = joinedClass.get(pid) >= 0;
            boolean parentInClass = joinedClass.get(pid) == cls;
            c.merge(
                    parentStored
                            ? (parentInClass ? "c parent in G_c of child's class" : "c parent in another class's G")
                            : "c parent not stored (d<=T_c)",
                    1,
                    Integer::sum);
            if (held == null) {
                c.merge("d first of its class (no test)", 1, Integer::sum);
                continue;
            }
            String near = nearestId == pid
                    ? "parent"
                    : kinds.get(nearestId).equals("natural")
                            ? "natural row"
                            : parent == null ? "?" : "other attack row";
            c.merge("e nearest: " + near, 1, Integer::sum);
            boolean step = d.lastStepForTest();
            if (step) {
                c.merge("f step, nearest " + near, 1, Integer::sum);
            }
            if (nearestId == pid && !step) {
                c.merge("g parent nearest, no step: " + shape(s, cls, d.nearestForTest(), x), 1, Integer::sum);
            }
            if (nearestId != pid && parentInClass && !step) {
                c.merge("h other nearest, parent in G_c: " + shape(s, cls, d.nearestForTest(), x), 1, Integer::sum);
            }
        }
        System.out.printf(
                Locale.ROOT,
                "== %s: most steps in a window of 200 (G_c alone): %d, with the recent rows %d; most children %d; most children whose nearest member is the parent %d%n",
                st.name,
                maxSteps,
                maxAll,
                maxChildren,
                maxParentNearest);
        c.forEach((k, v) -> System.out.printf(Locale.ROOT, "  %-70s %d%n", k, v));
        System.out.printf(Locale.ROOT, "  HYP both fixes: most steps in a window of 200 %d%n", maxBoth);
        return new Counts(
                maxSteps,
                maxChildren,
                maxParentNearest,
                c.getOrDefault("b children", 0),
                c.getOrDefault("e nearest: parent", 0),
                maxBoth,
                maxAll);
    }

    private static String trueCrest(Wide w, PradaState s, double[] x, double[] parent) {
        int n = s.sampleSize;
        double ss = 0, big = 0, ssN = 0, bigN = 0;
        int moved = 0;
        int movedN = 0;
        for (int i = 0; i < n; i++) {
            int j = StepSample.coordinate(i, n, s.sampleOf, s.sampleStart, s.sampleStride);
            double dd = Math.abs(x[j] - parent[j]);
            if (dd > 1e-9 && x[j] > 0 && x[j] < 16) {
                moved++;
                ss += dd * dd;
                big = Math.max(big, dd);
                double t = new double[] {16, 11.2, 6.4}[j / 1024];
                ssN += (dd / t) * (dd / t);
                bigN = Math.max(bigN, dd / t);
                movedN++;
            }
        }
        if (moved < 48) {
            return "inner<48";
        }
        double cr = big / Math.sqrt(ss / moved);
        double crN = bigN / Math.sqrt(ssN / movedN);
        return String.format(
                Locale.ROOT,
                "raw %s, by channel scale %s",
                cr <= NoiseLimits.crestLimit(moved) ? "pass" : "fail",
                crN <= NoiseLimits.crestLimit(movedN) ? "pass" : "fail");
    }

    private static float[] sample(PradaState s, double[] input) {
        float[] out = new float[s.sampleSize];
        StepSample.gather(input, out, out.length, s.sampleOf, s.sampleStart, s.sampleStride);
        return out;
    }

    private static float[] member(PradaState s, int cls, int m) {
        int n = s.sampleSize;
        float[] par = new float[n];
        ByteRows.decode(s.rawRows(cls), m * ByteRows.stride(n), n, par);
        return par;
    }

    /** The flat shape's crest over unclipped moves, each divided by the key's largest value in that coordinate. */
    private static String scaledCrest(float[] x, float[] p, float[] scale) {
        int moved = 0;
        double ss = 0;
        double big = 0;
        for (int i = 0; i < x.length; i++) {
            double dd = Math.abs(x[i] - p[i]);
            if (dd > 0.05 && x[i] > 0 && x[i] < 16 && scale[i] > 0) {
                double v = dd / scale[i];
                moved++;
                ss += v * v;
                big = Math.max(big, v);
            }
        }
        if (moved < SignSteps.FLAT_MIN_MOVED) {
            return "moved<48";
        }
        return big <= NoiseLimits.crestLimit(moved) * Math.sqrt(ss / moved) ? "pass" : "fail";
    }

    /** Why the displacement from member m of class cls fails: its moved count and crest. */
    private static String shape(PradaState s, int cls, int m, double[] input) {
        int n = s.sampleSize;
        float[] par = new float[n];
        byte[] raw = s.rawRows(cls);
        int base = m * ByteRows.stride(n);
        ByteRows.decode(raw, base, n, par);
        float step = ByteRows.step(raw, base, n);
        float qe = step == 1f ? 0 : step / 2;
        int moved = 0;
        int inner = 0;
        double ss = 0;
        double ssIn = 0;
        float big = 0;
        float bigIn = 0;
        for (int i = 0; i < n; i++) {
            float xv = (float) input[StepSample.coordinate(i, n, s.sampleOf, s.sampleStart, s.sampleStride)];
            float dd = Math.abs(xv - par[i]);
            if (dd > qe) {
                moved++;
                ss += dd * dd;
                big = Math.max(big, dd);
                if (xv > 0 && xv < 16) {
                    inner++;
                    ssIn += dd * dd;
                    bigIn = Math.max(bigIn, dd);
                }
            }
        }
        if (moved < SignSteps.FLAT_MIN_MOVED) {
            return "moved<48";
        }
        double crest = big / Math.sqrt(ss / moved);
        double crestIn = inner == 0 ? 0 : bigIn / Math.sqrt(ssIn / inner);
        String b = crest < 2 ? "<2" : crest < 2.2 ? "2-2.2" : crest < 2.5 ? "2.2-2.5" : crest < 3 ? "2.5-3" : ">=3";
        String bi = inner < 48
                ? "inner<48"
                : crestIn <= NoiseLimits.crestLimit(inner) ? "inner-ok?" : "inner crest>" + "lim";
        return "crest " + b + ", " + bi;
    }
}
