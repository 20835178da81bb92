package dev.moat.detectors.internal;

import dev.moat.detectors.support.LineSearch;
import dev.moat.detectors.support.Tabular;
import dev.moat.detectors.support.Unsure;
import dev.moat.detectors.support.Wide;
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
        for (double m : new double[] {0.05, 0.01, 0.001}) {
            RunsProbe.report(
                    "tabular-13 line search " + m, new LineSearch(t.attackerRows(44, 300), 44, m), t::predict, 1000);
            RunsProbe.report("clinical line search " + m, clinical.lineSearch(251, m), clinical::predict, 1000);
            RunsProbe.report("wide-3072 line search " + m, new LineSearch(w.attackerRows(), 54, m), w::predict, 1000);
        }
    }
}
