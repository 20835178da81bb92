package dev.moat.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.Classifier;
import dev.moat.policies.watermark.LedgerEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** How the harness uses the watermark verifier's p-value: claims only what the binomial tail allows. */
class WatermarkCheckTest {

    /** Ledger entries whose input's first pixel carries the watermark label. */
    static List<LedgerEntry> ledger(int n) {
        List<LedgerEntry> out = new ArrayList<>();
        Random rng = new Random(1);
        for (int i = 0; i < n; i++) {
            double[] x = new double[64];
            x[1] = i; // distinct canonical inputs
            x[0] = rng.nextInt(10);
            out.add(new LedgerEntry(x, (int) x[0], 10, "attacker", Instant.EPOCH));
        }
        return out;
    }

    /** A suspect that answers the watermark label on a share of the inputs, another label elsewhere. */
    static Classifier suspect(double share) {
        return new MetricsTest.Fixed(x -> x[1] < share * 1_000 ? (int) x[0] : ((int) x[0] + 1) % 10);
    }

    @Test
    void aSurrogateThatLearnedTheWatermarksIsClaimed() {
        RunRecord.WatermarkCheck c = Evaluation.verify("s", ledger(60), suspect(1));
        assertThat(c.n()).isEqualTo(60);
        assertThat(c.matches()).isEqualTo(60);
        assertThat(c.pValue()).isLessThan(1e-6);
        assertThat(c.claimed()).isTrue();
    }

    @Test
    void aFewChanceMatchesAreNotAClaim() {
        // 6 of 60 at chance rate 1/9: expected by accident
        RunRecord.WatermarkCheck c = Evaluation.verify("s", ledger(60), suspect(0.006));
        assertThat(c.matches()).isEqualTo(6);
        assertThat(c.pValue()).isGreaterThan(0.1);
        assertThat(c.claimed()).isFalse();
    }

    @Test
    void anEmptyLedgerClaimsNothing() {
        RunRecord.WatermarkCheck c = Evaluation.verify("s", List.of(), suspect(1));
        assertThat(c.n()).isZero();
        assertThat(c.claimed()).isFalse();
    }
}
