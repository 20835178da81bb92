package dev.moat.detectors.ood;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.ood.OodClassReferenceBypassTest.Key;
import dev.moat.detectors.ood.OodClassReferenceBypassTest.Source;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The minority guard of {@link ClassReferences} (keys far more confident than a class's mean leave it
 * only while they are a minority of the class's weight), driven through one real {@link OodDetector}
 * with the answers of a synthetic model (see {@link OodClassReferenceBypassTest}).
 */
class OodColdStartClassReferenceTest {

    /**
     * Five keys sending unconfident answers (u 0.8-1.8, classes 0-6) are the worker's first: nothing
     * judges them at a cold start, so they are trusted and make every class's reference. Ten minutes
     * later eight customers arrive whose answers of the same classes are confident (u 2.0-3.5), and
     * stay for 90 minutes, so their age weights reach the early keys' and they are most of each class's
     * weight. Without the guard the customers, being far more confident than the class means the early
     * keys dragged down, left those means every time: the references stayed the early keys' own, the
     * early keys were never flagged, and a new key sending answers as unconfident was not either. With
     * it the customers stay in once they are most of the weight, the early keys fall past d_high,
     * lose their trust and leave, and the references are the customers'. What the guard cannot do:
     * early keys that stay most of a class's weight (more of them than the customers, or customers that
     * come and go) keep its reference, as any majority of the trusted weight does.
     *
     * <p>At {@code max_widening} 10 too (session 26): the customers are far more confident than the
     * references the early keys dragged down, so the peers' spread widens the thresholds past what
     * the early keys' D+ reaches and, when trust followed the widened score, the early keys stayed
     * trusted and held the references for good (every score 0.0 at 5, 6 and 10). A key is trusted
     * only while its score with the widening at most {@link OodDetector#TRUST_WIDENING} is low, so
     * they lose their trust as at 3, and the spread, measured over the customers alone, falls.
     */
    @ParameterizedTest
    @ValueSource(doubles = {3, 10})
    void unconfidentKeysTrustedAtAColdStartDoNotKeepTheClassReferences(double maxWidening) {
        int classes = 10;
        OodDetector ood = new OodDetector(OodSettings.from(Map.of("max_widening", maxWidening)));
        SplittableRandom rnd = new SplittableRandom(17);
        Source unconfident = OodClassReferenceBypassTest.uniform(0, 6, 0.8, 1.8);
        List<Key> keys = new ArrayList<>();
        for (int k = 0; k < 5; k++) {
            keys.add(new Key("early-unconfident-" + k, ood, unconfident));
        }
        long now = OodClassReferenceBypassTest.run(ood, classes, keys, 6_000, 0, rnd);
        List<Key> early = List.copyOf(keys);
        early.forEach(k -> k.maxScore = 0);
        for (int k = 0; k < 8; k++) {
            keys.add(new Key("customer-" + k, ood, OodClassReferenceBypassTest.uniform(0, 6, 2.0, 3.5)));
        }
        now = OodClassReferenceBypassTest.run(ood, classes, keys, 54_000, now, rnd);
        Key late = new Key("late-unconfident", ood, unconfident);
        keys.add(late);
        OodClassReferenceBypassTest.run(ood, classes, keys, 1_000, now, rnd);
        Map<String, Double> max = OodClassReferenceBypassTest.scores(keys, k -> k.maxScore);
        Map<String, Double> last = OodClassReferenceBypassTest.scores(keys, k -> k.state.score);
        System.out.println("ood after a cold start held by unconfident keys: max " + max + ", last " + last);
        early.forEach(k -> assertThat(k.state.score).as(k.name + " %s", last).isEqualTo(1.0));
        assertThat(late.maxScore).as("%s", max).isEqualTo(1.0);
        keys.stream()
                .filter(k -> k.name.startsWith("customer"))
                .forEach(k -> assertThat(k.maxScore).as(k.name + " %s", max).isLessThan(0.25));
    }
}
