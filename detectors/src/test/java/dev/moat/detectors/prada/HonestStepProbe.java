package dev.moat.detectors.prada;

import dev.moat.detectors.support.HonestDomain;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A measurement, not a test (issue 9, smooth3; runs only with {@code -Dmoat.honestStepProbe=true}):
 * PRADA alone on ordinary wide keys of {@link HonestDomain} ({@code -Dmodels=smooth-784,...},
 * {@code -Dpeers}, {@code -Drows}), and for every query counted as a sign step, which path found it
 * (nearest member of G_c or the recent rows) and the displacement's make-up over the sampled
 * coordinates: moved, median, equal-shape agreement, crest, how many ends sit at 0 or at the top,
 * the smoothest roughness, and (series3) the lag-1 energy balance and share of {@link NaturalPairs}
 * ({@code bal1}, {@code share1} over every pair; {@code ibal}, {@code ishare}, {@code ipairs} as the
 * rule reads them). Prints each key's steps and largest lifetime evidence. {@code #attack} takes
 * {@code -Dattack=eps:STEP,...} and {@code -Dwidth=784,3072}.
 */
class HonestStepProbe {

    @Test
    void probe() {
        Assumptions.assumeTrue(Boolean.getBoolean("moat.honestStepProbe"));
        int peers = Integer.getInteger("peers", 36);
        int rows = Integer.getInteger("rows", 1_500);
        boolean verbose = Boolean.getBoolean("verbose");
        for (String m : System.getProperty("models", "smooth-784").split(",")) {
            String[] p = m.split("-");
            int dims = Integer.parseInt(p[1]);
            HonestDomain d = p[0].equals("smooth")
                    ? HonestDomain.smooth(dims, 1)
                    : p[0].equals("series") ? HonestDomain.series(dims, 1) : HonestDomain.sparse(dims, 1);
            PradaDetector det = new PradaDetector(PradaSettings.from(Map.of("delta", 0.9, "step_sample_seed", 7L)));
            float[] xr = det.queryRawForTest();
            float[] pr = det.parentRawForTest();
            int flagged = 0;
            int totalSteps = 0;
            int totalMember = 0;
            long totalRows = 0;
            for (int k = 0; k < peers; k++) {
                QuerySource src = d.peer(Long.getLong("pseed", 100) + k);
                PradaState s = det.newState();
                double maxEv = 0;
                int steps = 0;
                int member = 0;
                int firstFlag = -1;
                for (int q = 0; q < rows; q++) {
                    double[] x = src.next();
                    det.update(s, x, d.predict(x), q * 2_000L);
                    totalRows++;
                    double ev = s.recent == null ? 0 : s.recent.evidence;
                    maxEv = Math.max(maxEv, ev);
                    if (firstFlag < 0 && ev >= 7) {
                        firstFlag = q + 1;
                    }
                    if (det.lastStepForTest()) {
                        steps++;
                        boolean recent = det.lastRecentStepForTest();
                        member += recent ? 0 : 1;
                        if (verbose) {
                            System.out.println(describe(m, k, q, recent, xr, pr, s.sampleSize, ev));
                        }
                    }
                }
                totalSteps += steps;
                totalMember += member;
                flagged += firstFlag >= 0 ? 1 : 0;
                System.out.printf(
                        Locale.ROOT,
                        "KEY %s peer-%d steps %d (member %d) maxEvidence %.1f firstOver7 %d%n",
                        m,
                        k,
                        steps,
                        member,
                        maxEv,
                        firstFlag);
            }
            System.out.printf(
                    Locale.ROOT,
                    "MODEL %s keys %d over7 %d steps %d (member %d) rate %.4f%n",
                    m,
                    peers,
                    flagged,
                    totalSteps,
                    totalMember,
                    totalSteps / (double) totalRows);
        }
    }

    /** {@code -Dattack=eps:STEP} on {@link dev.moat.detectors.support.Wide} ({@code -Dwidth}): the JbDA attacker's steps. */
    @Test
    void attack() {
        Assumptions.assumeTrue(System.getProperty("attack") != null);
        for (String one : System.getProperty("attack").split(",")) {
            for (String width : System.getProperty("width", "784").split(",")) {
                attack(one, Integer.parseInt(width));
            }
        }
    }

    private static void attack(String spec, int dims) {
        String[] a = spec.split(":");
        dev.moat.detectors.support.Wide w = new dev.moat.detectors.support.Wide(dims);
        QuerySource src =
                w.jbda(23, Double.parseDouble(a[0]), dev.moat.detectors.support.Wide.Step.valueOf(a[1]), 1, 0);
        PradaDetector det = new PradaDetector(PradaSettings.from(Map.of("step_sample_seed", 7L)));
        PradaState s = det.newState();
        for (int q = 0; q < 800; q++) {
            double[] x = src.next();
            double[] pr = w.predict(x);
            src.observe(x, pr);
            det.update(s, x, pr, q * 1_000L);
            if (det.lastStepForTest()) {
                System.out.println(describe(
                        "attack-" + spec + "-" + dims,
                        0,
                        q,
                        det.lastRecentStepForTest(),
                        det.queryRawForTest(),
                        det.parentRawForTest(),
                        s.sampleSize,
                        0));
            }
        }
    }

    /** (centred energy of x - of p) / centred energy of x - p. */
    static double balance0(float[] x, float[] p, int n) {
        double mx = 0, mp = 0;
        for (int i = 0; i < n; i++) {
            mx += x[i];
            mp += p[i];
        }
        mx /= n;
        mp /= n;
        double ex = 0, ep = 0, ed = 0;
        for (int i = 0; i < n; i++) {
            double a = x[i] - mx, b = p[i] - mp;
            ex += a * a;
            ep += b * b;
            ed += (a - b) * (a - b);
        }
        return ed == 0 ? 0 : (ex - ep) / ed;
    }

    /** The same over lag-1 differences inside runs of 5. */
    static double balance1(float[] x, float[] p, int n) {
        double ex = 0, ep = 0, ed = 0;
        for (int base = 0; base < n; base += 5) {
            for (int j = base + 1; j < Math.min(n, base + 5); j++) {
                double a = x[j] - x[j - 1], b = p[j] - p[j - 1];
                ex += a * a;
                ep += b * b;
                ed += (a - b) * (a - b);
            }
        }
        return ed == 0 ? 0 : (ex - ep) / ed;
    }

    /** Lag-1 energy of x - p over the mean of x's and p's. */
    static double share1(float[] x, float[] p, int n) {
        double ex = 0, ep = 0, ed = 0;
        for (int base = 0; base < n; base += 5) {
            for (int j = base + 1; j < Math.min(n, base + 5); j++) {
                double a = x[j] - x[j - 1], b = p[j] - p[j - 1];
                ex += a * a;
                ep += b * b;
                ed += (a - b) * (a - b);
            }
        }
        return ex + ep == 0 ? 0 : ed / ((ex + ep) / 2);
    }

    static String describe(String m, int k, int q, boolean recent, float[] x, float[] p, int n, double ev) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            lo = Math.min(lo, Math.min(x[i], p[i]));
            hi = Math.max(hi, Math.max(x[i], p[i]));
        }
        int moved = 0;
        int atLow = 0;
        int atHigh = 0;
        int bothLow = 0;
        double sumSq = 0;
        float largest = 0;
        float[] mags = new float[n];
        int pos = 0;
        int neg = 0;
        for (int i = 0; i < n; i++) {
            float dd = x[i] - p[i];
            float a = Math.abs(dd);
            if (a > 0) {
                mags[moved++] = a;
                sumSq += a * a;
                largest = Math.max(largest, a);
                pos += dd > 0 ? 1 : 0;
                neg += dd < 0 ? 1 : 0;
                atLow += x[i] == lo ? 1 : 0;
                atHigh += x[i] == hi ? 1 : 0;
                bothLow += (x[i] <= lo + 0.5f && p[i] <= lo + 0.5f) ? 1 : 0;
            }
        }
        float[] sorted = java.util.Arrays.copyOf(mags, moved);
        java.util.Arrays.sort(sorted);
        float median = moved == 0 ? 0 : sorted[moved / 2];
        int agree = 0;
        for (int i = 0; i < moved; i++) {
            agree += Math.abs(sorted[i] - median) <= 0.03 * median + 0.5 ? 1 : 0;
        }
        double crest = moved == 0 ? 0 : largest / Math.sqrt(sumSq / moved);
        // centred: the signed moves less their mean
        double mean = 0;
        for (int i = 0; i < n; i++) {
            float dd = x[i] - p[i];
            mean += dd != 0 ? dd : 0;
        }
        mean /= Math.max(1, moved);
        double cSq = 0;
        double cMax = 0;
        for (int i = 0; i < n; i++) {
            float dd = x[i] - p[i];
            if (dd != 0) {
                double r = dd - mean;
                cSq += r * r;
                cMax = Math.max(cMax, Math.abs(r));
            }
        }
        double ccrest = moved == 0 ? 0 : cMax / Math.sqrt(cSq / moved);
        // over the moves that did not end near the end values (the flat shape's unclipped ones, roughly)
        float xlo = Float.POSITIVE_INFINITY;
        float xhi = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            if (x[i] != p[i]) {
                xlo = Math.min(xlo, x[i]);
                xhi = Math.max(xhi, x[i]);
            }
        }
        float band = (xhi - xlo) / 64;
        int in = 0;
        int inPos = 0;
        double sm = 0;
        double zm = 0;
        for (int i = 0; i < n; i++) {
            float dd = x[i] - p[i];
            if (dd != 0 && x[i] > xlo + band && x[i] < xhi - band) {
                in++;
                inPos += dd > 0 ? 1 : 0;
                sm += dd;
                zm += Math.abs(dd);
            }
        }
        sm /= Math.max(1, in);
        zm /= Math.max(1, in);
        double sSq = 0, sMax = 0, zSq = 0, zMax = 0, rSq = 0, rMax = 0;
        double posSize = 0, negSize = 0;
        for (int i = 0; i < n; i++) {
            float dd = x[i] - p[i];
            if (dd != 0 && x[i] > xlo + band && x[i] < xhi - band) {
                sSq += (dd - sm) * (dd - sm);
                sMax = Math.max(sMax, Math.abs(dd - sm));
                zSq += (Math.abs(dd) - zm) * (Math.abs(dd) - zm);
                zMax = Math.max(zMax, Math.abs(Math.abs(dd) - zm));
                rSq += dd * dd;
                rMax = Math.max(rMax, Math.abs(dd));
                if (dd > 0) posSize += dd;
                else negSize -= dd;
            }
        }
        double minority = Math.min(inPos, in - inPos) / (double) Math.max(1, in);
        String inner = String.format(
                Locale.ROOT,
                " | in %d lim %.2f raw %.2f sc %.2f zc %.2f minor %.2f sizes+ %.2f sizes- %.2f",
                in,
                NoiseLimits.crestLimit(in),
                rMax / Math.sqrt(rSq / in),
                sMax / Math.sqrt(sSq / in),
                zMax / Math.sqrt(zSq / in),
                minority,
                posSize / Math.max(1, inPos),
                negSize / Math.max(1, in - inPos));
        // a 2-tap recurrence d_j = a d_{j-1} + b d_{j-2} over the triples inside runs of 5: residual share
        double s11 = 0, s22 = 0, s12 = 0, s01 = 0, s02 = 0, s00 = 0;
        for (int base = 0; base + 5 <= n; base += 5) {
            for (int j = base + 2; j < base + 5; j++) {
                double d0 = x[j] - p[j], d1 = x[j - 1] - p[j - 1], d2 = x[j - 2] - p[j - 2];
                s11 += d1 * d1;
                s22 += d2 * d2;
                s12 += d1 * d2;
                s01 += d0 * d1;
                s02 += d0 * d2;
                s00 += d0 * d0;
            }
        }
        double det = s11 * s22 - s12 * s12;
        double ca = det == 0 ? 0 : (s01 * s22 - s02 * s12) / det;
        double cb = det == 0 ? 0 : (s02 * s11 - s01 * s12) / det;
        double ar2 = s00 == 0 ? 1 : (s00 - ca * s01 - cb * s02) / s00;
        inner += String.format(Locale.ROOT, " ar2 %.3f a %.2f b %.2f", ar2, ca, cb);
        inner += String.format(
                Locale.ROOT,
                " bal0 %.2f bal1 %.2f share1 %.2f ibal %.2f ishare %.2f ipairs %.0f",
                balance0(x, p, n),
                balance1(x, p, n),
                share1(x, p, n),
                NaturalPairs.stats(x, p, n)[0],
                NaturalPairs.stats(x, p, n)[1],
                NaturalPairs.stats(x, p, n)[2]);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(
                Locale.ROOT,
                "STEP %s peer-%d q %d %s ev %.1f moved %d median %.2f agree %d crest %.2f lim %.2f lo %.1f hi %.1f"
                        + " atLow %d atHigh %d bothLow %d pos %d neg %d rough %.2f mean %.2f ccrest %.2f",
                m,
                k,
                q,
                recent ? "recent" : "member",
                ev,
                moved,
                median,
                agree,
                crest,
                NoiseLimits.crestLimit(moved),
                lo,
                hi,
                atLow,
                atHigh,
                bothLow,
                pos,
                neg,
                Smoothness.smoothest(x, p, n),
                mean,
                ccrest));
        sb.append(inner);
        if (Boolean.getBoolean("dump")) {
            sb.append("\n  x ");
            for (int i = 0; i < n; i++) {
                sb.append(String.format(Locale.ROOT, "%.1f ", x[i]));
            }
            sb.append("\n  p ");
            for (int i = 0; i < n; i++) {
                sb.append(String.format(Locale.ROOT, "%.1f ", p[i]));
            }
        }
        return sb.toString();
    }
}
