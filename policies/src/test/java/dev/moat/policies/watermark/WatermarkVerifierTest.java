package dev.moat.policies.watermark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.moat.policies.TransformContext;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WatermarkVerifierTest {

    private static final Instant T = Instant.parse("2025-01-01T00:00:00Z");
    private static final int CLASSES = 10;

    /** A toy 10-class model: the class is the integer part of 10 * x[0] (mod 10). */
    private static int model(double[] x) {
        return Math.floorMod((int) Math.floor(10 * x[0]), CLASSES);
    }

    private static double[] answer(double[] x) {
        double[] p = new double[CLASSES];
        java.util.Arrays.fill(p, 0.02);
        p[model(x)] = 0.82;
        return p;
    }

    /** Serves {@code queries} through the watermark transform; returns the ledger and what was served. */
    private static List<LedgerEntry> serve(int queries, Map<String, Integer> served) {
        Watermarker w = new Watermarker("verifier-test-secret-xyz".getBytes(StandardCharsets.UTF_8), 0.005);
        List<LedgerEntry> ledger = new ArrayList<>();
        WatermarkTransform t = new WatermarkTransform(w, ledger::add);
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < queries; i++) {
            double[] x = {Math.round(r.nextDouble() * 1e4) / 1e4, Math.round(r.nextDouble() * 1e4) / 1e4};
            double[] p = answer(x);
            t.apply(p, TransformContext.seeded(i, x, "thief", T));
            served.put(key(x), dev.moat.policies.RandomDistributions.argmax(p));
        }
        return ledger;
    }

    private static String key(double[] x) {
        return java.util.Arrays.toString(x);
    }

    @Test
    void aModelThatLearnedTheServedAnswersIsClaimed() {
        Map<String, Integer> served = new HashMap<>();
        List<LedgerEntry> ledger = serve(20_000, served);
        assertThat(ledger.size()).isBetween(60, 150); // 0.5% of 20,000
        // a perfect copy of what was served: it reproduces every watermark label
        Verification v = new WatermarkVerifier().verify(ledger, x -> served.get(key(x)));
        assertThat(v.matches()).isEqualTo(v.n());
        assertThat(v.chanceRate()).isEqualTo(1.0 / 9);
        assertThat(v.claimed()).isTrue();
        assertThat(v.pValue()).isLessThan(1e-60);
    }

    @Test
    void anIndependentModelIsNotClaimed() {
        Map<String, Integer> served = new HashMap<>();
        List<LedgerEntry> ledger = serve(20_000, served);
        // the true model (never trained on our answers) and a random guesser
        Verification honest = new WatermarkVerifier().verify(ledger, WatermarkVerifierTest::model);
        assertThat(honest.matches()).isZero();
        assertThat(honest.claimed()).isFalse();
        assertThat(honest.pValue()).isEqualTo(1.0);
        SplittableRandom r = new SplittableRandom(9);
        Verification guesser = new WatermarkVerifier().verify(ledger, x -> r.nextInt(CLASSES));
        assertThat(guesser.claimed()).isFalse();
    }

    @Test
    void theCountsAndPValueFollowTheBinomialTail() {
        List<LedgerEntry> entries = new ArrayList<>();
        for (int i = 0; i < 81; i++) {
            entries.add(new LedgerEntry(new double[] {i}, 4, 11, "k", T)); // C = 11: p = 1/10
        }
        int[] labels = new int[81];
        for (int i = 0; i < 81; i++) {
            labels[i] = i < 41 ? 4 : (i < 45 ? -1 : 7);
        }
        Verification v = new WatermarkVerifier().verify(entries, labels);
        assertThat(v.n()).isEqualTo(81);
        assertThat(v.matches()).isEqualTo(41);
        assertThat(v.unanswered()).isEqualTo(4);
        assertThat(v.chanceRate()).isCloseTo(0.1, offset(1e-15));
        // SciPy: binom.sf(40, 81, 0.1) = 3.508563426538475e-20 (binomial_tail_reference.csv)
        assertThat(v.pValue()).isCloseTo(3.508563426538475e-20, offset(1e-29));
        assertThat(v.log10PValue()).isCloseTo(Math.log10(3.508563426538475e-20), offset(1e-9));
        assertThat(v.claimed()).isTrue();
        assertThat(v.summary()).contains("matches 41/81").contains("claimed");
    }

    @Test
    void repeatedInputsCountOnce() {
        List<LedgerEntry> entries = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            entries.add(new LedgerEntry(new double[] {0.5, 1.0}, 2, 10, "k", T));
            entries.add(new LedgerEntry(new double[] {0.50000001, 1.0}, 2, 10, "k", T)); // same grid point
        }
        entries.add(new LedgerEntry(new double[] {0.6, 1.0}, 3, 10, "k", T));
        WatermarkVerifier verifier = new WatermarkVerifier();
        assertThat(verifier.distinct(entries)).hasSize(2);
        Verification v = verifier.verify(entries, x -> 2);
        assertThat(v.n()).isEqualTo(2);
        assertThat(v.duplicates()).isEqualTo(19);
        assertThat(v.matches()).isEqualTo(1);
    }

    @Test
    void mixedClassCountsUseTheLargestChanceRate() {
        List<LedgerEntry> entries = List.of(
                new LedgerEntry(new double[] {1}, 0, 10, "k", T), new LedgerEntry(new double[] {2}, 0, 5, "k", T));
        assertThat(new WatermarkVerifier().verify(entries, x -> 0).chanceRate()).isEqualTo(0.25);
    }

    @Test
    void anEmptyLedgerClaimsNothing() {
        Verification v = new WatermarkVerifier().verify(List.of(), x -> 0);
        assertThat(v.n()).isZero();
        assertThat(v.claimed()).isFalse();
    }
}
