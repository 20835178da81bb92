package dev.moat.detectors;

import dev.moat.detectors.internal.Rows;
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
                Hesitant h = new Hesitant();
                for (int k = 0; k < 12; k++) {
                    QuerySource c = v.customer(500 + k);
                    for (int q = 0; q < 300; q++) {
                        double[] x = c.next();
                        double[] p = m.apply(x);
                        c.observe(x, p);
                        h.add(p);
                    }
                }
                System.out.printf("TIE video %d night %d: %s%n", dims, night, h);
            }
            // line searches between natural images of two keys (mostly two classes), bright
            Wide w = new Wide(dims);
            Hesitant h = new Hesitant();
            QuerySource a = w.honest(1);
            QuerySource b = w.honest(2);
            for (int pair = 0; pair < 200; pair++) {
                double[] xa = a.next();
                double[] xb = b.next();
                for (int s = 0; s <= 40; s++) {
                    double t = s / 40.0;
                    double[] x = new double[xa.length];
                    for (int j = 0; j < x.length; j++) {
                        x[j] = (1 - t) * xa[j] + t * xb[j];
                    }
                    h.add(w.predict(x));
                }
            }
            System.out.printf("TIE line search %d: %s%n", dims, h);
        }
    }

    /** Answers seen, those hesitant (margin under 0.2), and the deciles of their top-1 plus top-2. */
    static final class Hesitant {
        final int[] deciles = new int[11];
        int hesitant;
        int all;

        void add(double[] p) {
            all++;
            double margin = Rows.margin(p);
            if (margin < 0.2) {
                hesitant++;
                // top-1 plus top-2 is twice top-1 less the margin
                deciles[(int) Math.floor((2 * Rows.top1(p) - margin) * 10)]++;
            }
        }

        @Override
        public String toString() {
            return "hesitant " + hesitant + " of " + all + ", top1+top2 deciles " + java.util.Arrays.toString(deciles);
        }
    }
}
