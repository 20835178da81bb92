package dev.moat.detectors.internal;

import dev.moat.detectors.HonestDataShapesTest;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.Locale;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * How many of a source's queries {@link Runs} folds (-Drunsprobe=video:784:1,...): per customer,
 * queries, runs (counted), and the share of hesitant answers before and after. Prints only.
 */
@EnabledIfSystemProperty(named = "runsprobe", matches = ".+")
class RunsProbe {

    @Test
    void probe() {
        for (String name : System.getProperty("runsprobe").split(",")) {
            HonestDataShapesTest.Shape sh = HonestDataShapesTest.shape(name);
            UnaryOperator<double[]> model = sh.model();
            for (int i = 0; i < 6; i++) {
                report(name + " honest-" + i, sh.customer(500 + i), model, 1500, sh.customer(900 + i));
            }
            sh.attackers().forEach((n, src) -> report(name + " " + n, src, model, 1000, sh.customer(950)));
        }
    }

    static void report(String label, QuerySource src, UnaryOperator<double[]> model, int n) {
        report(label, src, model, n, null);
    }

    /** Teaches a Runs the population's mean input from {@code teacher}'s queries (2,000, a trusted key). */
    static Runs taught(QuerySource teacher, UnaryOperator<double[]> model) {
        Runs runs = new Runs(0.5, 1L);
        Runs.Key t = new Runs.Key();
        for (int q = 0; q < 2_000 && teacher != null; q++) {
            double[] x = teacher.next();
            double[] p = model.apply(x);
            teacher.observe(x, p);
            runs.joins(t, x, Rows.argmax(p), Rows.top1(p), Rows.margin(p), true);
        }
        return runs;
    }

    /** As above, the population's mean taught by {@code teacher} first (null: by src itself, as a trusted key). */
    static void report(String label, QuerySource src, UnaryOperator<double[]> model, int n, QuerySource teacher) {
        double[] shares = RunsTest.hesitantShares(src, model, n, teacher);
        System.out.printf(
                Locale.ROOT,
                "%-32s %5d queries, %5d counted (%.2f), hesitant %.2f -> %.2f%n",
                label,
                n,
                Math.round(shares[2] * n),
                shares[2],
                shares[0],
                Double.isNaN(shares[1]) ? 0 : shares[1]);
    }
}
