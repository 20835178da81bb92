package dev.moat.detectors.prada;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.moat.detectors.support.Tabular;
import dev.moat.fixtures.internal.UnsharedRandom;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Not an assertion (run with {@code -Dsybil13probe=true}): why {@code cross_key} misses JbDA spread
 * over 5 keys at 13 inputs. Feeds a {@link CrossKeyParents} store 12 honest tabular keys and a JbDA
 * attacker over 5 keys (the fixtures' step shapes, with each child's true parent known), and prints,
 * per step kind: where the true parent ranks among the same-class rows of other keys (raw Euclidean,
 * as the store searches), whether the sign-step test passes on the exact parent and on the store's
 * quantised copy of it, and the store's own hits.
 */
class Sybil13Probe {

    @Test
    void probe() {
        assumeTrue(Boolean.getBoolean("sybil13probe"));
        for (Tabular.Step kind : Tabular.Step.values()) {
            run(kind);
        }
        fixture();
    }

    /** The engine test's mix: both Sybils (the fixture's JbDA) 5 rows a second each, 12 honest keys 6 a second. */
    private static void fixture() {
        Tabular t = new Tabular(13);
        CrossKeyParents store = new CrossKeyParents(CrossKeyParents.Settings.from(Map.of("sample_seed", 7L)), k -> {});
        List<QuerySource> honest = new ArrayList<>();
        for (int k = 0; k < 12; k++) {
            honest.add(t.honest(1_400 + k));
        }
        QuerySource rs = t.jbda(47, 0.1, Tabular.Step.RANDOM_SIZE);
        QuerySource pf = t.jbda(48, 0.1, Tabular.Step.PER_FEATURE);
        Random r = new UnsharedRandom(5);
        long t0 = System.nanoTime();
        for (int q = 0; q < 2_500; q++) {
            for (QuerySource a : List.of(rs, pf)) {
                double[] x = a.next();
                double[] p = t.predict(x);
                a.observe(x, p);
                String key = (a == rs ? "rs-" : "pf-") + (q % 5);
                store.observe(key, new double[][] {x}, new double[][] {p});
            }
            if (r.nextInt(10) < 6) {
                int k = r.nextInt(12);
                double[] x = honest.get(k).next();
                store.observe("honest-" + k, new double[][] {x}, new double[][] {t.predict(x)});
            }
            if (q == 100 || q == 500 || q == 2_499) {
                System.out.println("fixture at " + q + " rescaled " + store.rescaled() + " repeat pairs "
                        + store.repeatPairs() + " repeat hits " + store.repeatHits());
                System.out.printf(
                        "  per search: banded %.1f compared %.1f tested %.2f repeat pairs %.1f (searched %d, %.1f us a row)%n",
                        (double) store.banded() / store.searched(),
                        (double) store.compared() / store.searched(),
                        (double) store.tested() / store.searched(),
                        (double) store.repeatPairs() / store.searched(),
                        store.searched(),
                        (System.nanoTime() - t0) / 1e3 / (store.searched() + store.sampledOut()));
                for (String k : List.of("pf-0", "pf-1", "rs-0", "rs-1", "honest-0")) {
                    System.out.println("  " + k + ": " + store.reason(k));
                }
            }
        }
    }

    private static void run(Tabular.Step kind) {
        Tabular t = new Tabular(13);
        if (Boolean.getBoolean("sybil13norm")) {
            norm = new double[13];
            for (int j = 0; j < 13; j++) {
                norm[j] = t.hi(j) - t.lo(j);
            }
        }
        CrossKeyParents store = new CrossKeyParents(CrossKeyParents.Settings.from(Map.of("sample_seed", 7L)), k -> {});
        SignSteps steps = new SignSteps(128);
        List<QuerySource> honest = new ArrayList<>();
        for (int k = 0; k < 12; k++) {
            honest.add(t.honest(1_400 + k));
        }
        Random r = new UnsharedRandom(47);
        // the JbDA of Tabular.jbda, with parents kept
        List<double[]> points = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<String> sentBy = new ArrayList<>();
        List<double[]> pending = new ArrayList<>();
        List<Integer> pendingParent = new ArrayList<>();
        Random pr = new UnsharedRandom(3);
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < 10; i++) {
                pending.add(t.record(pr));
                pendingParent.add(-1);
            }
        }
        List<double[]> recent = new ArrayList<>();
        List<String> recentKey = new ArrayList<>();
        List<Integer> recentClass = new ArrayList<>();
        int round = 0;
        int children = 0;
        int rank1 = 0;
        int rank3 = 0;
        int notHeld = 0;
        int exactStep = 0;
        int sameKey = 0;
        double[] lo = new double[13];
        double[] hi = new double[13];
        for (int j = 0; j < 13; j++) {
            lo[j] = t.lo(j);
            hi[j] = t.hi(j);
        }
        long hitsBefore = 0;
        int[] movedHist = new int[14];
        int[] rankHist = new int[8];
        int classChanged = 0;
        int pairs = 0;
        int same = 0;
        Map<String, float[]> lastMove = new java.util.HashMap<>();
        Map<String, float[]> lastChild = new java.util.HashMap<>();
        for (int q = 0; q < 2_500; q++) {
            // one honest row from each of 2 honest keys per attack row (the test's honest traffic is denser)
            for (int h = 0; h < 2; h++) {
                int k = r.nextInt(12);
                double[] x = honest.get(k).next();
                double[] p = t.predict(x);
                store.observe("honest-" + k, new double[][] {x}, new double[][] {p});
                remember(recent, recentKey, recentClass, x, "honest-" + k, argmax(p));
            }
            if (pending.isEmpty()) {
                round++;
                double sign = (round / 3) % 2 == 0 ? 1 : -1;
                int n = points.size();
                for (int k = 0; k < Math.min(400, n); k++) {
                    int i = n <= 400 ? k : r.nextInt(n);
                    double[] x = points.get(i);
                    int target = (labels.get(i) + 1 + r.nextInt(2)) % 3;
                    double[] y = new double[13];
                    for (int j = 0; j < 13; j++) {
                        double size =
                                0.1 * (hi[j] - lo[j]) * (kind == Tabular.Step.RANDOM_SIZE ? 2 * r.nextDouble() : 1);
                        double dir = Math.signum(t.mean(target, j) - x[j]);
                        y[j] = Math.max(lo[j], Math.min(hi[j], x[j] + sign * size * dir));
                    }
                    pending.add(y);
                    pendingParent.add(i);
                }
            }
            double[] x = pending.remove(0);
            int parent = pendingParent.remove(0);
            String key = "sybil-" + (q % 5);
            double[] p = t.predict(x);
            int c = argmax(p);
            if (parent >= 0) {
                children++;
                classChanged += labels.get(parent) != c ? 1 : 0;
                if (sentBy.get(parent).equals(key)) {
                    sameKey++;
                } else {
                    float[][] u = store.units(13);
                    if (Boolean.getBoolean("sybil13store") && u != null) {
                        norm = new double[13];
                        for (int j = 0; j < 13; j++) {
                            norm[j] = 1 / u[0][j];
                        }
                    }
                    // rank of the parent among held same-class rows of other keys
                    double dp = dist(x, points.get(parent));
                    int held = -1;
                    int closer = 0;
                    for (int i = 0; i < recent.size(); i++) {
                        if (recentKey.get(i).equals(key) || recentClass.get(i) != c) {
                            continue;
                        }
                        if (recent.get(i) == points.get(parent)) {
                            held = i;
                        } else if (dist(x, recent.get(i)) < dp) {
                            closer++;
                        }
                    }
                    if (held < 0) {
                        notHeld++;
                    } else {
                        rank1 += closer == 0 ? 1 : 0;
                        rank3 += closer < 3 ? 1 : 0;
                        rankHist[Math.min(7, 32 - Integer.numberOfLeadingZeros(closer))]++;
                    }
                    float[] fx = new float[13];
                    float[] fp = new float[13];
                    int moved = 0;
                    for (int j = 0; j < 13; j++) {
                        fx[j] = (float) x[j];
                        fp[j] = (float) points.get(parent)[j];
                        moved += fx[j] != fp[j] ? 1 : 0;
                    }
                    movedHist[moved]++;
                    float[] mv = new float[13];
                    for (int j = 0; j < 13; j++) {
                        mv[j] = Math.abs(fx[j] - fp[j]);
                    }
                    float[] before = lastMove.get(key);
                    if (before != null) {
                        pairs++;
                        float[] bx = lastChild.get(key);
                        same += NarrowMoves.sameMoves(mv, 0, 0f, before, 0, 0f, fx, bx, 0, 13) ? 1 : 0;
                    }
                    lastMove.put(key, mv);
                    lastChild.put(key, fx);
                    if (steps.isStepAcross(fx, fp, 13, 0.02f, 5000f, 0f)) {
                        exactStep++;
                    }
                }
            }
            store.observe(key, new double[][] {x}, new double[][] {p});
            remember(recent, recentKey, recentClass, x, key, c);
            points.add(x);
            labels.add(c);
            sentBy.add(key);
        }
        System.out.printf(
                Locale.ROOT,
                "sybil13 %s: children %d (parent sent by the same key %d); of the others: parent held %d,"
                        + " nearest %d, in the 3 nearest %d; exact parent passes isStepAcross %d; store hits %d of %d"
                        + " searches; moved coords %s%n",
                kind,
                children,
                sameKey,
                children - sameKey - notHeld,
                rank1,
                rank3,
                exactStep,
                store.hits() - hitsBefore,
                store.searches(),
                java.util.Arrays.toString(movedHist));
        System.out.println("  class changed " + classChanged
                + "; consecutive other-key children of a key with the same moves " + same + " of " + pairs);
        System.out.println("  parent rank histogram (0, 1, 2-3, 4-7, 8-15, 16-31, 32-63, 64+): "
                + java.util.Arrays.toString(rankHist));
        for (int k = 0; k < 5; k++) {
            System.out.println("  " + store.reason("sybil-" + k));
        }
        for (int k = 0; k < 3; k++) {
            System.out.println("  " + store.reason("honest-" + k));
        }
    }

    private static void remember(
            List<double[]> recent, List<String> keys, List<Integer> classes, double[] x, String key, int c) {
        recent.add(x);
        keys.add(key);
        classes.add(c);
        if (recent.size() > 4096) {
            recent.remove(0);
            keys.remove(0);
            classes.remove(0);
        }
    }

    private static int argmax(double[] p) {
        int b = 0;
        for (int i = 1; i < p.length; i++) {
            if (p[i] > p[b]) {
                b = i;
            }
        }
        return b;
    }

    static double[] norm;

    private static double dist(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (a[i] - b[i]) / (norm == null ? 1 : norm[i]);
            s += d * d;
        }
        return s;
    }
}
