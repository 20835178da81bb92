package dev.moat.policies.watermark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Per-key labels and the per-key test with Holm's correction. */
class AttributionTest {

    static final byte[] SECRET = "attribution-test-secret-0001".getBytes();
    static final Instant T = Instant.parse("2025-01-01T00:00:00Z");

    @Test
    void theSameInputGetsIndependentLabelsForDifferentKeysAndTheSameSelection() {
        Watermarker wm = new Watermarker(SECRET, 0.05);
        SplittableRandom rnd = new SplittableRandom(7);
        int selected = 0;
        int differ = 0;
        for (int i = 0; i < 20_000; i++) {
            double[] x = {rnd.nextDouble(), rnd.nextDouble(), rnd.nextDouble()};
            if (!wm.selects(x)) {
                continue;
            }
            selected++;
            int a = wm.watermarkLabel(x, 3, 10, "alice");
            int b = wm.watermarkLabel(x, 3, 10, "bob");
            assertThat(a).isNotEqualTo(3);
            assertThat(b).isNotEqualTo(3);
            if (a != b) {
                differ++;
            }
            double[] pa = {0.1, 0.1, 0.1, 0.3, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05};
            assertThat(wm.apply(pa.clone(), x, "alice", 0.05)).isEqualTo(a);
            assertThat(wm.apply(pa.clone(), x, null, 0.05)).isEqualTo(wm.watermarkLabel(x, 3, 10));
        }
        assertThat(selected).isBetween(900, 1_100);
        // independent uniform draws over 9 wrong labels agree 1/9 of the time
        assertThat((double) differ / selected).isCloseTo(8.0 / 9, within(0.04));
    }

    @Test
    void anEscalatedRateMarksASupersetOfTheBaseRateInputs() {
        Watermarker wm = new Watermarker(SECRET, 0.005);
        SplittableRandom rnd = new SplittableRandom(8);
        int base = 0;
        int raised = 0;
        for (int i = 0; i < 40_000; i++) {
            double[] x = {rnd.nextDouble(), rnd.nextDouble()};
            double[] p1 = {0.7, 0.2, 0.1};
            double[] p2 = p1.clone();
            boolean atBase = wm.apply(p1, x, "k", Double.NaN) >= 0;
            boolean atRaised = wm.apply(p2, x, "k", 0.05) >= 0;
            if (atBase) {
                base++;
                assertThat(atRaised)
                        .as("an input marked at the base rate stays marked")
                        .isTrue();
            }
            if (atRaised) {
                raised++;
            }
            // a lower "raise" never goes below the base rate
            assertThat(wm.apply(p1.clone(), x, "k", 0.001) >= 0 || !atBase).isTrue();
        }
        assertThat(base).isBetween(150, 250);
        assertThat(raised).isBetween(1_800, 2_200);
    }

    @Test
    void holmAdjustedPValuesMatchScipy() {
        // reference: scipy.stats.binom.sf(m - 1, n, 1/9), then Holm's step-down by hand (see the comment)
        List<LedgerEntry> entries = new ArrayList<>();
        addEntries(entries, "a", 20, 15);
        addEntries(entries, "b", 20, 3);
        addEntries(entries, "c", 10, 2);
        WatermarkVerifier verifier = new WatermarkVerifier();
        Attribution r = verifier.attribute(entries, "key", x -> (int) x[1]);
        // raw: a 4.346855856329785e-11, b 0.3865630693621619, c 0.3071211677707628
        // Holm: a * 3 = 1.3040567568989353e-10, c * 2 = 0.6142423355415256, max(b * 1, 0.614...) = 0.614...
        assertThat(r.owners()).extracting(Attribution.Owner::owner).containsExactly("a", "c", "b");
        assertThat(r.owners().get(0).verification().pValue())
                .isCloseTo(4.346855856329785e-11, within(4.346855856329785e-11 * 1e-9));
        assertThat(r.owners().get(0).adjustedPValue())
                .isCloseTo(1.3040567568989353e-10, within(1.3040567568989353e-10 * 1e-9));
        assertThat(r.owners().get(1).adjustedPValue()).isCloseTo(0.6142423355415256, within(1e-9));
        assertThat(r.owners().get(2).adjustedPValue()).isCloseTo(0.6142423355415256, within(1e-9));
        assertThat(r.claimed()).containsExactly("a");
        assertThat(r.verdictClaimed()).isTrue();
    }

    @Test
    void entriesAreGroupedByTenantWhenAsked() {
        List<LedgerEntry> entries = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            entries.add(new LedgerEntry(new double[] {i, 1}, 1, 10, "k" + (i % 3), "acme", T));
        }
        Attribution r = new WatermarkVerifier().attribute(entries, "tenant", x -> 1);
        assertThat(r.owners()).extracting(Attribution.Owner::owner).containsExactly("acme");
        assertThat(r.best().verification().matches()).isEqualTo(30);
    }

    /** n entries for {@code key}, the first m of which the suspect (label = x[1]) matches. */
    private static void addEntries(List<LedgerEntry> out, String key, int n, int m) {
        for (int i = 0; i < n; i++) {
            double[] x = {key.charAt(0) * 1000 + i, i < m ? 4 : 5};
            out.add(new LedgerEntry(x, 4, 10, key, T));
        }
    }
}
