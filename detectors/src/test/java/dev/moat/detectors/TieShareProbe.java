package dev.moat.detectors;

import dev.moat.detectors.support.Wide;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A measurement, not a test (runs only with {@code -Dtieprobe=true}): whether {@code boundary} could
 * tell the survey's night cameras from a line search by what their hesitant answers (top-1 minus
 * top-2 under 0.2) look like. Prints, for 12 cameras by day and by night (300 frames each) and for
 * line searches between natural images of two keys (200 pairs, 41 points each), how many answers
 * hesitate and the deciles of their top-1 plus top-2. Session 29: night cameras' hesitant answers
 * are flat (top-1 plus top-2 under 0.6 for 81-90% of them), the line searches' mostly two-class ties
 * (9% under 0.6); a rule counting only ties would be walked around by a line search between dimmed
 * images (flat answers, the same boundaries up to the bias), so it was not built (detectors/README,
 * {@code boundary}).
 */
class TieShareProbe {

    @Test
    void probe() {
        Assumptions.assumeTrue(Boolean.getBoolean("tieprobe"));
        for (int dims : new int[] {784, 3072}) {
            for (int night = 0; night <= 1; night++) {
                HonestDataShapesTest.Video v = new HonestDataShapesTest.Video(dims, night);
                UnaryOperator<double[]> m = v.model();
                double[] hist = new double[11];
                int hes = 0, all = 0;
                for (int k = 0; k < 12; k++) {
                    QuerySource c = v.customer(500 + k);
                    for (int q = 0; q < 300; q++) {
                        double[] x = c.next();
                        double[] p = m.apply(x);
                        c.observe(x, p);
                        all++;
                        double[] t = top2(p);
                        if (t[0] - t[1] < 0.2) {
                            hes++;
                            hist[(int) Math.floor((t[0] + t[1]) * 10)]++;
                        }
                    }
                }
                System.out.printf(
                        "TIE video %d night %d: hesitant %d of %d, top1+top2 deciles %s%n",
                        dims, night, hes, all, java.util.Arrays.toString(hist));
            }
            // line searches between natural images of two classes (bright)
            Wide w = new Wide(dims);
            double[] hist = new double[11];
            int hes = 0, all = 0;
            QuerySource a = w.honest(1), b = w.honest(2);
            for (int pair = 0; pair < 200; pair++) {
                double[] xa = a.next(), xb = b.next();
                for (int s = 0; s <= 40; s++) {
                    double t = s / 40.0;
                    double[] x = new double[xa.length];
                    for (int j = 0; j < x.length; j++) x[j] = (1 - t) * xa[j] + t * xb[j];
                    double[] p = w.predict(x);
                    all++;
                    double[] tt = top2(p);
                    if (tt[0] - tt[1] < 0.2) {
                        hes++;
                        hist[(int) Math.floor((tt[0] + tt[1]) * 10)]++;
                    }
                }
            }
            System.out.printf(
                    "TIE line search %d: hesitant %d of %d, top1+top2 deciles %s%n",
                    dims, hes, all, java.util.Arrays.toString(hist));
        }
    }

    static double[] top2(double[] p) {
        double a = -1, b = -1;
        for (double v : p) {
            if (v > a) {
                b = a;
                a = v;
            } else if (v > b) {
                b = v;
            }
        }
        return new double[] {a, b};
    }
}
