package dev.moat.detectors.prada;

import dev.moat.detectors.internal.KeyPopulation;
import dev.moat.detectors.internal.SpreadPeers;
import dev.moat.detectors.internal.WidthPeers;

/**
 * What the population's wide inputs look like, for the last-digit test ({@link
 * SignSteps#lastDigits}, {@link LastDigits}): the data level (how bright the inputs typically are)
 * and the lattice (the unit their values sit on), per input width, each the median of one lesson a
 * key over the last keys that taught ({@link WidthPeers}, {@link SpreadPeers}). Taught by {@link
 * PradaDetector} from the sampled coordinates of its keys' wide queries while they are not flagged;
 * a key flagged since takes its lessons back. Read for the width of the query being scored.
 */
final class DataLevels {

    /**
     * How bright the population's wide inputs typically are, for {@link SignSteps#lastDigits}: the
     * median, over the last {@value SpreadPeers#KEYS} keys that taught, of one lesson a key (the
     * largest sampled value of its latest {@value #UNIT_EVERY}th wide query while it is not flagged),
     * known from {@value #UNIT_MIN_KEYS} keys, as the lattice below; NaN until then. A key's own outlier
     * query cannot raise it, as the key's largest value ({@code inputScale}) would; nor can one key's
     * queries, however many: a running median of every trusted query (sessions 22-28) was set by a
     * lone key at a cold start or one that outsent the rest (session 29: 120 queries of values to 40
     * where the data reach 16 raised it to 38, and 345 of 418 rounded JbDA pairs put to the test passed
     * as the data's last digit, {@code DataUnitMovesTest.brightQueriesRaisingThePopulationsLevelBypassIsClosed}).
     * Per input width ({@link WidthPeers}), as the lattice: keys sending another width (another model
     * behind the policy, or a route that takes any width) teach that width's, not the model's (session
     * 29, {@code DataUnitMovesTest.brightKeysOfAnotherWidthDoNotSetTheModelsLevel}). Of the width of
     * the query being scored.
     */
    float dataLevel = Float.NaN;

    /** The data level of the last wide query's width (tests). */
    float dataLevel() {
        return dataLevel;
    }

    /** The data level learnt for inputs {@code width} wide (tests). */
    float dataLevel(int width) {
        return (float) levelPeers.median(width);
    }

    /**
     * The population's lattice, for {@link SignSteps#lastDigits}' dim queries: the median of the units
     * of the sampled values ({@link LastDigits#latticeUnit}) of every {@value #UNIT_EVERY}th wide query
     * on a lattice of a key not flagged (from its first queries: waiting for {@code step_min_queries}
     * left a cold start's pairs judged without it), one lesson a key (its latest) from the last
     * {@value SpreadPeers#KEYS} keys that taught ({@link SpreadPeers}); NaN until {@value
     * #UNIT_MIN_KEYS} keys have (continuous data never teach it). A thief's coarser lattice is not the
     * population's; setting it takes more than half of the keys that teach, from a cold start too (a
     * running median in small steps, as the level's was, kept a first teacher's unit for hundreds of
     * queries), and one key's burst is one lesson (session 28). A key flagged since takes its lessons
     * of both back at its next {@value #UNIT_EVERY}th query, and both are per input width (session 29).
     * Of the width of the query being scored.
     */
    float dataUnit = Float.NaN;

    /** One in this many of a trusted key's wide queries teaches the lattice (a sort of the sampled values). */
    static final int UNIT_EVERY = 8;

    /** Keys that must have taught before the lattice is known. */
    static final int UNIT_MIN_KEYS = 5;

    /** Per input width, the keys' last lattice units (one a key, the keys that taught last; their median is the lattice). */
    private final WidthPeers unitPeers = new WidthPeers(UNIT_MIN_KEYS);

    /** Per input width, the keys' last largest sampled values (one a key; their median is the level). */
    private final WidthPeers levelPeers = new WidthPeers(UNIT_MIN_KEYS);

    private float[] unitScratch = new float[0];

    /** The population's lattice of the last wide query's width (tests). */
    float dataUnit() {
        return dataUnit;
    }

    /**
     * Lets key s teach its lessons (one in {@value #UNIT_EVERY} of its wide queries, while {@code
     * detector} scores it under {@link KeyPopulation#TRUSTED_BELOW}) and sets {@link #dataLevel} and
     * {@link #dataUnit} to those of the query's width.
     */
    void learnDataLevel(PradaDetector detector, PradaState s, int width, float sampleMax, float[] q, int n) {
        // every UNIT_EVERY-th query of each key, from its first ones (a draw over all keys' queries in
        // turn would skip some keys; waiting for step_min_queries left a cold start's pairs unjudged)
        if (s.queries % UNIT_EVERY == 0) {
            int self = System.identityHashCode(s);
            if (!(detector.score(s, 0) < KeyPopulation.TRUSTED_BELOW)) {
                // a key flagged since it taught takes its lessons back
                SpreadPeers level = levelPeers.get(width);
                SpreadPeers unit = unitPeers.get(width);
                if (level != null) {
                    level.drop(self);
                }
                if (unit != null) {
                    unit.drop(self);
                }
            } else {
                // a non-finite value (NaN, or an infinity a client sent) teaches nothing: an infinite level
                // would pass every lattice for good
                SpreadPeers level = levelPeers.of(width, true);
                if (level != null && sampleMax > 0 && sampleMax < Float.POSITIVE_INFINITY) {
                    level.report(self, sampleMax);
                }
                if (unitScratch.length < n) {
                    unitScratch = new float[n];
                }
                float u = LastDigits.latticeUnit(q, n, unitScratch);
                SpreadPeers unit = unitPeers.of(width, true);
                if (unit != null && u > 0 && u < Float.POSITIVE_INFINITY) {
                    unit.report(self, u);
                }
            }
        }
        // this width's, known while enough keys' lessons stand (flagged keys' taken back, none is left standing)
        dataLevel = (float) levelPeers.median(width);
        dataUnit = (float) unitPeers.median(width);
    }
}
