package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.engine.DetectorProfile;
import dev.moat.detectors.support.HonestDomain;
import dev.moat.detectors.support.Policies;
import dev.moat.detectors.support.Scenario;
import dev.moat.fixtures.internal.UnsharedRandom;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Honest chat traffic as the detectors see an LLM route (issue 9, session 18): each request is one row
 * of its prompt's features, signed hashed character trigrams, L2-normalised, 256 wide (the recipe of
 * the gateway's {@code TextFeatures}, written out there step by step and re-typed here, as the
 * detectors cannot depend on the gateway), and, with logprobs, the first token's distribution (here
 * a fixed linear 40-way softmax of the features). Sixteen customers, each with its own system prompt
 * and 3-27 words of a support vocabulary per message, two of them heavy (10x and 27x). Seeded;
 * nothing timed.
 */
class LlmPromptsTest {

    /** The gateway's prompt features ({@code TextFeatures}' documented recipe). */
    static double[] features(String text) {
        int[] cps = text.toLowerCase(Locale.ROOT)
                .replaceAll("\\s+", " ")
                .trim()
                .codePoints()
                .toArray();
        double[] row = new double[256];
        if (cps.length == 0) {
            return row;
        }
        int len = Math.min(3, cps.length);
        for (int i = 0; i < Math.max(1, cps.length - 2); i++) {
            int h = 0x811c9dc5;
            for (byte b : new String(cps, i, len).getBytes(StandardCharsets.UTF_8)) {
                h = (h ^ (b & 0xff)) * 0x01000193;
            }
            h ^= h >>> 16;
            h *= 0x85ebca6b;
            h ^= h >>> 13;
            h *= 0xc2b2ae35;
            h ^= h >>> 16;
            row[h & 0xFF] += (h & 0x100) == 0 ? 1 : -1;
        }
        double n = 0;
        for (double v : row) {
            n += v * v;
        }
        for (int j = 0; j < row.length; j++) {
            row[j] /= Math.sqrt(n);
        }
        return row;
    }

    static final String[] WORDS = ("order refund shipping account password invoice delivery late broken screen"
                    + " battery charge payment card subscription cancel upgrade plan price discount warranty return"
                    + " label address phone email login error code app crash update version install support ticket"
                    + " status track package box size colour red blue black white small large medium week day month"
                    + " year today tomorrow please thanks help")
            .split(" ");

    static final String[] SYSTEMS = {
        "You are a support assistant for Acme. Answer briefly.",
        "You are Bob, a shop helper.",
        "Classify the customer's message into one of our 40 intents.",
        "",
        "Reply in French."
    };

    static Scenario chat(Map<String, Map<String, Object>> detectors) {
        Random m = new UnsharedRandom(5);
        double[][] w = new double[40][256];
        for (double[] r : w) {
            for (int j = 0; j < 256; j++) {
                r[j] = 3 * m.nextGaussian();
            }
        }
        UnaryOperator<double[]> firstToken = x -> {
            double[] z = new double[40];
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < 40; c++) {
                for (int j = 0; j < 256; j++) {
                    z[c] += w[c][j] * x[j];
                }
                max = Math.max(max, z[c]);
            }
            double sum = 0;
            for (int c = 0; c < 40; c++) {
                z[c] = Math.exp(z[c] - max);
                sum += z[c];
            }
            for (int c = 0; c < 40; c++) {
                z[c] /= sum;
            }
            return z;
        };
        Scenario s = new Scenario(DetectorProfile.fromConfig(detectors), firstToken);
        for (int k = 0; k < 16; k++) {
            Random r = new UnsharedRandom(100 + k);
            String system = SYSTEMS[k % SYSTEMS.length];
            boolean heavy = k >= 14;
            s.add(
                    "honest-" + k,
                    "t" + k,
                    HonestDomain.source("chat", () -> {
                        StringBuilder b = new StringBuilder(system).append('\n');
                        for (int i = 0, n = 3 + r.nextInt(25); i < n; i++) {
                            b.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
                        }
                        return features(b.toString());
                    }),
                    k == 14 ? 15_000 : k == 15 ? 40_000 : 1_500,
                    heavy ? 600_000 : k * 700L,
                    () -> heavy ? 200L : 2_000L);
        }
        s.run();
        return s;
    }

    /**
     * Under every detector each of the sixteen is flagged within 8-31 rows, by {@code prada}'s and
     * {@code cross_key}'s sign-step tests: two prompts differ by a fraction of a count in most of the
     * 256 buckets, the equal shape. Why the config refuses those detectors (and a tenant-pooled
     * {@code prada}) on a route of {@code protocol: openai} ({@code ConfigErrorsTest}); fails if they
     * stop misreading prompts, when the refusal can go.
     */
    @Test
    void signStepTestsReadTheDifferenceOfTwoPromptsAsAStep() {
        Scenario s = chat(Policies.every(Map.of()));
        assertThat(s.suspiciousAt).as(s.report()).hasSize(16);
        s.firstFlag.forEach((k, v) -> assertThat(Math.max(
                        v.scores().getOrDefault("prada", ZERO).score(),
                        v.scores().getOrDefault("cross_key", ZERO).score()))
                .as("%s\n%s", k, s.report())
                .isGreaterThanOrEqualTo(0.5));
    }

    /** What an LLM route may use: volume, ood, boundary, coverage, tenant pooling of those; no one is flagged. */
    @Test
    void withoutSignStepsNoChatCustomerIsFlagged() {
        Map<String, Map<String, Object>> d = new HashMap<>(Policies.every(Map.of()));
        d.remove("prada");
        d.remove("cross_key");
        d.put("tenant", Map.of());
        Scenario s = chat(d);
        assertThat(s.suspiciousAt).as(s.report()).isEmpty();
    }

    private static final DetectorScore ZERO = new DetectorScore(0, "");
}
