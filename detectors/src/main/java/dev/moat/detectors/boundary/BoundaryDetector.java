package dev.moat.detectors.boundary;

import dev.moat.detectors.Detector;
import dev.moat.detectors.internal.BitWindow;
import dev.moat.detectors.internal.Decimals;
import dev.moat.detectors.internal.KeyPopulation;
import dev.moat.detectors.internal.Params;
import dev.moat.detectors.internal.Rows;
import dev.moat.detectors.internal.Runs;
import dev.moat.detectors.params.ParamSpec;
import dev.moat.detectors.params.ParamSpec.Decimal;
import dev.moat.detectors.params.ParamSpec.Whole;
import java.util.List;
import java.util.Map;

/**
 * Boundary probing: queries on which the model hesitates (small top-1 minus top-2 margin). Attacks
 * that locate the decision boundary (Tramer et al. 2016's line search, interpolations between
 * classes, active-learning extraction) ask many more of them than honest clients do.
 *
 * <p>Over a window of the key's last {@code window} (200) answers, the share with margin below
 * {@code margin} (0.2) is compared with a reference share: {@code reference_share} if given, else the
 * calibration's share ({@code detection.calibration}), else the lenient quantile of the shares of
 * the worker's trusted keys ({@link KeyPopulation}; at least {@code min_keys}, 5), else, with fewer
 * trusted keys, the larger of {@code default_share} (0.1) and the lenient quantile of the <em>other</em>
 * trusted keys' shares, with the score capped at {@value #FEW_MAX_SCORE} (under {@code suspicious}) and
 * the key trusted whatever its share; with no other trusted key at all the key's share is not judged
 * (score 0) until one reports. {@code default_share} alone is a guess of the model's hesitancy, and a
 * handful of keys that came first is no population: on a model that hesitates on about 40% of honest
 * answers or more, keys judged so were flagged at their 50th answer, and a flagged key never became
 * anyone's peer, so the reference stayed the guess or the first keys'. Keys report their share every {@code
 * min_queries} answers while their window fills, then every {@code window}. The test is one-sided with a tolerance: H0 is share &lt;= reference +
 * {@code tolerance} (0.1), so a huge window cannot turn a trivial difference into an alarm; z is the
 * normal approximation of the binomial test. Score 0 at z = {@code z_low} (3), 1 at z = {@code
 * z_high} (8), once {@code min_queries} (50) answers are in the window.
 *
 * <p><b>Peers who differ.</b> The binomial z holds for customers whose hesitant shares differ only
 * by chance. Where they differ for real (cameras whose dimmest scenes the model cannot read, monitors
 * whose windows straddle state changes more often, customers of a few classes whose pairs lie close),
 * the most hesitant honest keys sat 5-8 binomial deviations over the lenient reference and were
 * flagged. The worker measures how much its trusted keys' shares spread ({@link #spread}: their MAD
 * around their median, as a standard deviation) in the unit of the key's z (a window's binomial
 * deviation at the reference plus {@code tolerance}) and multiplies {@code z_low} and {@code z_high}
 * by that factor, between 1 and {@code max_widening} (3; 1 turns it off): keys that differ only by
 * chance widen nothing. Keys flagged are not trusted and do not count; the MAD is a median, so
 * widening it takes keys far from the others as half the trusted weight: confident Sybils (at
 * graded shares: all at one share they would be the median) can buy at most {@code max_widening}
 * (at a reference of 10% and 200 answers, a share of 66% instead of 35% to reach 0.5). With a
 * configured or calibrated reference the factor is 1.
 *
 * <p>A query that repeats the key's current situation (a near-copy of its run's first query with a
 * near answer, see {@link Runs}; {@code run_near}, 0.5, 0 turns it off; {@code run_seed}) is not put in
 * the window: a camera sending every frame of a scene counts the scene once.
 */
public final class BoundaryDetector implements Detector<BoundaryDetector.State> {

    public static final String NAME = "boundary";
    /** Every parameter this detector takes, with its range: what {@link Params} reads and checks. */
    public static final List<ParamSpec> PARAMETERS = List.of(
            new Decimal("margin", 0, 1),
            new Whole("window", 10, 100_000),
            new Whole("min_queries", 1, 100_000),
            new Decimal("reference_share", 0, 1),
            new Decimal("default_share", 0, 1),
            new Whole("min_keys", 1, 100_000),
            new Decimal("tolerance", 0, 1),
            new Decimal("z_low", 0, 100),
            new Decimal("z_high", 0, 100),
            new Decimal("run_near", 0, 10),
            new Whole("run_seed", Long.MIN_VALUE, Long.MAX_VALUE),
            new Decimal("max_widening", 1, 10));

    /** Validated parameters; {@code referenceShare} is NaN when learned from the population. */
    public record Settings(
            double margin,
            int window,
            int minQueries,
            double referenceShare,
            double defaultShare,
            int minKeys,
            double tolerance,
            double zLow,
            double zHigh,
            double runNear,
            Long runSeed,
            double maxWidening) {
        public static Settings from(Map<String, Object> raw) {
            Params p = new Params(NAME, raw, PARAMETERS);
            Settings s = new Settings(
                    p.number("margin", 0.2),
                    (int) p.integer("window", 200),
                    (int) p.integer("min_queries", 50),
                    p.number("reference_share", Double.NaN),
                    p.number("default_share", 0.1),
                    (int) p.integer("min_keys", 5),
                    p.number("tolerance", 0.1),
                    p.number("z_low", 3),
                    p.number("z_high", 8),
                    p.number("run_near", Runs.DEFAULT_NEAR),
                    raw.containsKey("run_seed") ? p.integer("run_seed", 0) : null,
                    p.number("max_widening", 3));
            if (s.zHigh <= s.zLow) {
                throw p.fail("z_high", s.zHigh, "greater than z_low (" + s.zLow + ")");
            }
            return s;
        }
    }

    /**
     * One key's state; the window it extends holds whether each of the last {@code window} answers
     * had a small margin.
     */
    static final class State extends BitWindow {
        State(int window) {
            super(window);
        }

        long queries;
        /** The key's current run of answers (see {@link Runs}): its members after the first are not counted. */
        final Runs.Key run = new Runs.Key();

        int slot = -1;
        double reference = Double.NaN;
        double z = Double.NaN;
        double score;
        /** The factor {@code z_low} and {@code z_high} were widened by at the last score (see {@link #widening}); 1: not. */
        float widening = 1;
        /**
         * Whether the score with the widening at most {@link #TRUST_WIDENING} is under {@link
         * KeyPopulation#TRUSTED_BELOW}: what the score decides of whether the key is trusted (a
         * boolean, not the double: it sits in the fields' padding).
         */
        boolean trustedScore = true;
        /** Whether the last score was against fewer than {@code min_keys} trusted keys (capped, see {@link #trusted}). */
        boolean few;
        /**
         * Whether the key's published risk (see {@link Detector#observeRisk}) was not below
         * {@link dev.moat.detectors.internal.KeyPopulation#KEY_OK_BELOW}: all that is asked of it (a boolean,
         * not the double: 8 bytes a key).
         */
        boolean keyNotOk;
    }

    public static Factory factory(Map<String, Object> params) {
        return factory(params, null);
    }

    /** As {@link #factory(Map)}, with the calibration's share unless {@code reference_share} is set. */
    public static Factory factory(Map<String, Object> params, dev.moat.detectors.Calibration calibration) {
        Settings parsed = Settings.from(params);
        double share = calibration == null ? Double.NaN : calibration.shareBelow(parsed.margin());
        Settings s = Double.isNaN(parsed.referenceShare()) && !Double.isNaN(share)
                ? new Settings(
                        parsed.margin(),
                        parsed.window(),
                        parsed.minQueries(),
                        share,
                        parsed.defaultShare(),
                        parsed.minKeys(),
                        parsed.tolerance(),
                        parsed.zLow(),
                        parsed.zHigh(),
                        parsed.runNear(),
                        parsed.runSeed(),
                        parsed.maxWidening())
                : parsed;
        return Factory.of(NAME, () -> new BoundaryDetector(s));
    }

    private final Settings settings;
    /** Each trusted key's last share (column 0, whose lenient quantile is the reference) and the answers it is over. */
    private final KeyPopulation population = KeyPopulation.standard(2);

    private final double[] summary = new double[2];

    /**
     * The highest score below {@code min_keys} trusted keys: under {@code suspicious}, so a key's share
     * against a handful of peers is reported (its reason shows it) but flags nothing on its own.
     */
    static final double FEW_MAX_SCORE = 0.45;

    /** The quantile of the other keys' shares below {@code min_keys} keys: the population's lenient one. */
    static final double FEW_QUANTILE = 0.75;

    /** Below {@code min_keys}: the trusted keys' slots and last shares (at most min_keys - 1), and when read. */
    private final int[] fewSlots;

    private final double[] fewShares;
    private final double[] others;
    private int few;
    private long fewAt = Long.MIN_VALUE;
    private boolean fewStale = true;

    private final Runs runs;

    public BoundaryDetector(Settings settings) {
        this.settings = settings;
        this.runs = new Runs(
                settings.runNear(),
                settings.window(),
                settings.runSeed() != null ? settings.runSeed() : new java.security.SecureRandom().nextLong(),
                false);
        int n = Math.max(1, Math.min(settings.minKeys(), 1024));
        this.fewSlots = new int[n];
        this.fewShares = new double[n];
        this.others = new double[n];
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public State newState() {
        return new State(settings.window());
    }

    @Override
    public void update(State s, double[] input, double[] prediction, long now) {
        double m = Rows.margin(prediction);
        if (Double.isNaN(m)) {
            return;
        }
        if (runs.enabled()) {
            int cls = Rows.top1Class(prediction);
            if (runs.joins(s.run, input, cls, Rows.top1(prediction), m, trusted(s))) {
                // a repeat of the key's current situation: its first answer already counts for it
                return;
            }
        }
        int window = settings.window();
        s.add(m < settings.margin());
        s.queries++;
        // while the window fills, a report every min_queries answers: the reference forms when the peers have
        // min_queries answers each, not a full window (a heavy key was judged against default_share until then)
        int every = s.full() ? window : settings.minQueries();
        if (s.filled() >= Math.min(window, settings.minQueries()) && s.queries % every == 0) {
            summary[0] = (double) s.count() / s.filled();
            summary[1] = s.filled();
            s.slot = population.report(s.slot, s, summary, trusted(s), now);
            fewStale = true;
            reportsSinceSpread++;
        }
        s.score = computeScore(s, now);
    }

    private double computeScore(State s, long now) {
        if (filled(s) < settings.minQueries()) {
            s.z = Double.NaN;
            s.trustedScore = true;
            return 0;
        }
        double ref = settings.referenceShare();
        s.few = false;
        if (Double.isNaN(ref)) {
            s.few = population.activeKeys(now) < settings.minKeys();
            ref = s.few ? fewReference(s, now) : population.median(0, now);
        }
        s.reference = ref;
        if (Double.isNaN(ref)) {
            // no trusted key to compare with: the key's share is kept, not judged
            s.z = Double.NaN;
            s.trustedScore = true;
            return 0;
        }
        double p0 = Math.min(0.999, ref + settings.tolerance());
        double share = (double) small(s) / filled(s);
        s.z = (share - p0) / Math.sqrt(p0 * (1 - p0) / filled(s));
        double f = s.few || !Double.isNaN(settings.referenceShare()) ? 1 : widening(p0, now);
        s.widening = (float) f;
        s.trustedScore = zScore(s.z, Math.min(f, TRUST_WIDENING)) < KeyPopulation.TRUSTED_BELOW;
        double score = zScore(s.z, f);
        return s.few ? Math.min(FEW_MAX_SCORE, score) : score;
    }

    /** z scored from {@code f x z_low} (0) to {@code f x z_high} (1). */
    private double zScore(double z, double f) {
        return Rows.clamp01((z - f * settings.zLow()) / (f * (settings.zHigh() - settings.zLow())));
    }

    /** The 0.75 quantile of a standard normal: a normal population's quartile gap and MAD, in deviations. */
    static final double NORMAL_QUARTILE = 0.6745;

    /** How far the thresholds may widen for whether a key is trusted, whatever {@code max_widening} allows its score. */
    static final double TRUST_WIDENING = 3;

    /**
     * The factor by which {@code z_low} and {@code z_high} are widened: how much the trusted keys'
     * shares spread ({@link #spread}, as a standard deviation), in the unit the key's z is measured
     * in, a full window's binomial deviation at {@code p0} (the reference plus {@code tolerance}),
     * between 1 and {@code max_widening}. Keys that differ only by their windows' noise spread less
     * than that unit (their shares sit near the reference, under p0), so the factor is 1 until they
     * differ by more than the test already tolerates. See the class comment ("Peers who differ").
     */
    double widening(double p0, long now) {
        if (settings.maxWidening() <= 1) {
            return 1;
        }
        double f = spread(now) / Math.sqrt(p0 * (1 - p0) / settings.window());
        return f > 1 ? Math.min(settings.maxWidening(), f) : 1;
    }

    /**
     * How much the trusted keys' last shares differ, as a standard deviation of a full window's share:
     * the weighted median absolute deviation of their shares around their weighted median, over
     * {@value #NORMAL_QUARTILE}, each key's deviation scaled by the root of its window's share of a
     * full one (a share over 50 answers has twice a full window's binomial noise; scaled, a young key
     * counts for less spread, never more). Around the median, not the lenient reference: a hesitant
     * key that stayed trusted (a fresh deployment's first prober, older and so heavier than the peers
     * who came after it) pulls the 0.75 quantile toward itself, and a MAD around that widened the
     * thresholds enough to keep it trusted and unflagged
     * (UnsureModelsTest.firstKeysOfAFreshDeploymentVouchForEachOtherBypass, the single prober). A
     * median again: keys far from the others move it only as half the trusted weight. 0 with fewer
     * than {@code min_keys} keys. Recomputed when the population's count of trusted keys changes, else
     * at most once a second of event time or every 64 reports.
     */
    double spread(long now) {
        int active = population.activeKeys(now);
        if (active == spreadKeys && reportsSinceSpread < 64 && spreadAt != Long.MIN_VALUE && now - spreadAt < 1000) {
            return spread;
        }
        spreadAt = now;
        spreadKeys = active;
        reportsSinceSpread = 0;
        spread = 0;
        int n = 0;
        double total = 0;
        for (int slot = 0; slot < population.capacity(); slot++) {
            double w = population.weightOf(slot, now);
            if (w > 0) {
                population.summaryOf(slot, summary);
                spreadValues[n] = summary[0];
                spreadAnswers[n] = summary[1];
                spreadWeights[n++] = w;
                total += w;
            }
        }
        if (n < settings.minKeys()) {
            return 0;
        }
        double median = KeyPopulation.weightedQuantile(spreadValues, spreadWeights, spreadOrder, n, total, 0.5);
        int window = settings.window();
        for (int i = 0; i < n; i++) {
            spreadValues[i] = Math.abs(spreadValues[i] - median) * Math.sqrt(Math.min(1, spreadAnswers[i] / window));
        }
        spread = KeyPopulation.weightedQuantile(spreadValues, spreadWeights, spreadOrder, n, total, 0.5)
                / NORMAL_QUARTILE;
        return spread;
    }

    private final double[] spreadValues = new double[population.capacity()];
    private final double[] spreadWeights = new double[population.capacity()];
    private final double[] spreadAnswers = new double[population.capacity()];
    private int spreadKeys = -1;
    private final long[] spreadOrder = new long[population.capacity()];
    private double spread;
    private long spreadAt = Long.MIN_VALUE;
    /** Reports since the spread was computed (none yet: {@link #spreadAt} is {@code Long.MIN_VALUE}). */
    private int reportsSinceSpread;

    /**
     * Whether the key may shape the reference: ok, and its share passing the test against the
     * reference, except while that reference is a few keys' ({@code s.few}): then a key flagged only
     * by its share against a handful of peers that happened to come first would never become
     * anyone's peer, and the reference would stay theirs.
     */
    private static boolean trusted(State s) {
        return (s.trustedScore || s.few) && !s.keyNotOk;
    }

    /**
     * With fewer than {@code min_keys} trusted keys (a small deployment, or the first minutes after a
     * start): the larger of {@code default_share} and the lenient ({@value #FEW_QUANTILE}) quantile of
     * the other trusted keys' last shares, so on a model whose honest answers hesitate more than
     * {@code default_share} (a binary model with many answers near 0.5) honest keys meet each other's
     * level, never a level stricter than {@code default_share}. The key's own share never counts for
     * itself (a lone key cannot raise its own reference), and a key counts for the others only while
     * trusted, that is while its share passes the test against its own reference.
     */
    private double fewReference(State s, long now) {
        if (fewStale || now - fewAt >= 1000) {
            few = 0;
            for (int slot = 0; slot < population.capacity() && few < fewSlots.length; slot++) {
                if (population.weightOf(slot, now) > 0) {
                    population.summaryOf(slot, summary);
                    fewSlots[few] = slot;
                    fewShares[few++] = summary[0];
                }
            }
            fewAt = now;
            fewStale = false;
        }
        int n = 0;
        for (int i = 0; i < few; i++) {
            if (fewSlots[i] != s.slot) {
                others[n++] = fewShares[i];
            }
        }
        if (n == 0) {
            return Double.NaN;
        }
        java.util.Arrays.sort(others, 0, n);
        return Math.max(settings.defaultShare(), others[(int) Math.ceil(FEW_QUANTILE * n) - 1]);
    }

    @Override
    public void observeRisk(State s, double risk) {
        s.keyNotOk = !(risk < KeyPopulation.KEY_OK_BELOW);
    }

    @Override
    public double score(State s, long timeMillis) {
        return s.score;
    }

    @Override
    public String reason(State s, long timeMillis) {
        // String.format's text, built without a Formatter (reasons are rebuilt on a few percent of events)
        StringBuilder b = new StringBuilder(100).append("boundary: ");
        if (Double.isNaN(s.z) && filled(s) >= settings.minQueries()) {
            Decimals.fixed(b, 100.0 * small(s) / filled(s), 0)
                    .append("% of last ")
                    .append(filled(s));
            Decimals.fixed(b.append(" answers with margin < "), settings.margin(), 2);
            return b.append(", no trusted key to compare with yet").toString();
        }
        if (Double.isNaN(s.z)) {
            return b.append(filled(s))
                    .append(" answers in window (need ")
                    .append(settings.minQueries())
                    .append(')')
                    .toString();
        }
        Decimals.fixed(b, 100.0 * small(s) / filled(s), 0).append("% of last ").append(filled(s));
        Decimals.fixed(b.append(" answers with margin < "), settings.margin(), 2);
        Decimals.fixed(b.append(" vs reference "), 100 * s.reference, 0);
        Decimals.fixed(b.append("% (z="), s.z, 1).append(')');
        if (s.widening > 1) {
            Decimals.fixed(b.append("; the peers differ, so scored from z="), s.widening * settings.zLow(), 1);
            Decimals.fixed(b.append(" to "), s.widening * settings.zHigh(), 1);
            Decimals.fixed(b.append(" (x"), s.widening, 2).append(')');
        }
        return b.toString();
    }

    private static int filled(State s) {
        return s.filled();
    }

    private static int small(State s) {
        return s.count();
    }
}
