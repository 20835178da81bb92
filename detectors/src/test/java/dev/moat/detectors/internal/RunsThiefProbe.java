package dev.moat.detectors.internal;

import dev.moat.detectors.support.LineSearch;
import dev.moat.detectors.support.Tabular;
import dev.moat.detectors.support.Unsure;
import dev.moat.detectors.support.Wide;
import dev.moat.fixtures.traffic.QuerySource;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** What line searches lose to {@link Runs} (-Drunsthief=true): prints queries counted and hesitant shares. */
@EnabledIfSystemProperty(named = "runsthief", matches = "true")
class RunsThiefProbe {

    @Test
    void probe() {
        Tabular t = new Tabular(13);
        Unsure clinical = Unsure.clinical(3, 0.65);
        Wide w = new Wide(3072);
        sorted("tabular-13 random sorted by answer", t.random(41), t::predict, t.honest(1));
        sorted("clinical random sorted by answer", clinical.random(41), clinical::predict, clinical.peer(1));
        sorted("wide-3072 random sorted by answer", w.random(41), w::predict, w.honest(1));
        for (double m : new double[] {0.05, 0.01, 0.001}) {
            RunsProbe.report(
                    "tabular-13 line search " + m, new LineSearch(t.attackerRows(44, 300), 44, m), t::predict, 1000);
            RunsProbe.report(
                    "clinical line search " + m,
                    clinical.lineSearch(251, m),
                    clinical::predict,
                    1000,
                    clinical.peer(2));
            RunsProbe.report(
                    "wide-3072 line search " + m,
                    new LineSearch(w.attackerRows(), 54, m),
                    w::predict,
                    1000,
                    w.honest(2));
        }
    }

    /** 1,000 rows of src, sent sorted by their answer's top-1 class, then confidence. */
    static void sorted(String label, QuerySource src, UnaryOperator<double[]> model, QuerySource teacher) {
        java.util.List<double[]> rows = new java.util.ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            rows.add(src.next());
        }
        rows.sort(java.util.Comparator.comparingDouble(x -> {
            double[] p = model.apply(x);
            return Rows.argmax(p) * 10 + Rows.top1(p);
        }));
        RunsProbe.report(label, QuerySource.of(label, rows), model, 1000, teacher);
    }
}
