package dev.moat.detectors.volume;

import dev.moat.detectors.Detector;
import dev.moat.detectors.internal.Decimals;
import dev.moat.detectors.internal.KeyPopulation;
import dev.moat.detectors.internal.Params;
import dev.moat.detectors.internal.Rows;
import dev.moat.detectors.params.ParamSpec;
import dev.moat.detectors.params.ParamSpec.Decimal;
import dev.moat.detectors.params.ParamSpec.Whole;
import java.util.List;
import java.util.Map;

/**
 * Query volume: steady harvesting, not one-off bursts. Extraction needs many queries (Tramer et
 * al., USENIX Security 2016: ~530 for a softmax model, ~4,450 for an MLP, far more for deep models),
 * so an account that keeps querying far above its peers is worth a look (Kesarwani et al., ACSAC
 * 2018, warn on what a user's queries add up to).
 *
 * <p>Per key: an exponentially weighted count with a short (1 min) and a long ({@code
 * half_life_minutes}, 60) half-life, whose ratio compares the key with its own baseline (reported,
 * not scored: a burst alone is not theft); 60 one-minute and 24 one-hour buckets. Two scores, the
 * larger wins:
 * <ul>
 *   <li>budget: queries in the last 24 hours over {@code daily_budget} (20,000): 0 at the budget,
 *       1 at twice the budget;</li>
 *   <li>population: the robust z-score of log(long-term rate) against the reference and MAD over the
 *       worker's trusted keys (at least {@code min_keys}, 5; {@link KeyPopulation}: the lenient
 *       quantile over keys that have been ok for a while, remembered for a day), or the calibration's
 *       fixed median and MAD when {@code detection.calibration} is set, 0 at {@code z_low} (3), 1 at {@code z_high}
 *       (6), multiplied by steadiness, the share of the last 60 minutes in which the key was active
 *       (from 15 minutes up to 45). The population is per worker shard (see {@link KeyPopulation}).</li>
 * </ul>
 * With the MAD floored at ln 2, z = 3 means about 20x the median peer's rate and z = 6 about 500x.
 *
 * <p>The detector's score is the larger of the two, capped at {@code max_score} (default 0.45,
 * below the suspicious threshold of 0.5): by default volume alone never takes a key past {@code
 * ok}. Volume cannot tell an honest heavy customer from a patient thief sending natural data
 * (neither can per-query content), so a flag from volume alone would perturb paying customers
 * while proving nothing; the score still shows in verdicts and reasons, adds to the tenant's pooled
 * risk, and keeps a busy key out of the peers' trusted reference. A daily cap is a business limit
 * and belongs in the tier's token buckets (e.g. {@code "5000/1d"}), which refuse the excess
 * outright. An operator who wants volume to escalate on its own (a policy without content
 * detectors, such as an LLM route) sets {@code max_score} up to 1.
 */
public final class VolumeDetector implements Detector<VolumeState> {

    public static final String NAME = "volume";
    /** Every parameter this detector takes, with its range: what {@link Params} reads and checks. */
    public static final List<ParamSpec> PARAMETERS = List.of(
            new Whole("daily_budget", 1, Long.MAX_VALUE / 4),
            new Decimal("half_life_minutes", 1, 7 * 24 * 60),
            new Whole("min_keys", 2, 100_000),
            new Decimal("z_low", 0, 100),
            new Decimal("z_high", 0, 100),
            new Decimal("max_score", 0, 1));

    private static final double SHORT_TAU = 60_000 / Math.log(2);
    private static final double MAD_SCALE = 1.4826;

    /** Validated parameters. */
    public record Settings(
            long dailyBudget, double halfLifeMinutes, int minKeys, double zLow, double zHigh, double maxScore) {
        /** The default cap on the score: under the suspicious threshold (0.5), so volume alone leaves a key ok. */
        public static final double DEFAULT_MAX_SCORE = 0.45;

        public static Settings from(Map<String, Object> raw) {
            Params p = new Params(NAME, raw, PARAMETERS);
            Settings s = new Settings(
                    p.integer("daily_budget", 20_000),
                    p.number("half_life_minutes", 60),
                    (int) p.integer("min_keys", 5),
                    p.number("z_low", 3),
                    p.number("z_high", 6),
                    p.number("max_score", DEFAULT_MAX_SCORE));
            if (s.zHigh <= s.zLow) {
                throw p.fail("z_high", s.zHigh, "greater than z_low (" + s.zLow + ")");
            }
            return s;
        }
    }

    public static Factory factory(Map<String, Object> params) {
        return factory(params, null);
    }

    /** As {@link #factory(Map)}; with a calibration holding rates, peers are replaced by its fixed median/MAD. */
    public static Factory factory(Map<String, Object> params, dev.moat.detectors.Calibration calibration) {
        Settings s = Settings.from(params);
        dev.moat.detectors.Calibration c = calibration != null && calibration.hasVolume() ? calibration : null;
        return Factory.of(NAME, () -> new VolumeDetector(s, c));
    }

    private final Settings settings;
    private final double longTau;
    private final KeyPopulation population = KeyPopulation.standard(1);
    private final double[] summary = new double[1];

    private final dev.moat.detectors.Calibration calibration;

    public VolumeDetector(Settings settings) {
        this(settings, null);
    }

    public VolumeDetector(Settings settings, dev.moat.detectors.Calibration calibration) {
        this.settings = settings;
        this.calibration = calibration;
        this.longTau = settings.halfLifeMinutes() * 60_000 / Math.log(2);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public VolumeState newState() {
        return new VolumeState();
    }

    @Override
    public void update(VolumeState s, double[] input, double[] prediction, long now) {
        long last = s.lastMillis;
        long dt = last == Long.MIN_VALUE ? 0 : Math.max(0, now - last);
        if (dt > 0) {
            s.shortCount *= Math.exp(-dt / SHORT_TAU);
            s.longCount *= Math.exp(-dt / longTau);
        }
        s.shortCount += 1;
        s.longCount += 1;
        s.lastMillis = Math.max(now, s.lastMillis);
        s.queries++;
        // the current minute and hour: the latest query time's (they never move back)
        boolean newMinute = advanceMinutes(s, last == Long.MIN_VALUE ? Long.MIN_VALUE : last / 60_000, now / 60_000);
        advanceHours(s, last == Long.MIN_VALUE ? Long.MIN_VALUE : last / 3_600_000, now / 3_600_000);
        long minuteIndex = s.lastMillis / 60_000;
        long hourIndex = s.lastMillis / 3_600_000;
        s.activeMinutes |= 1L << Math.floorMod(minuteIndex, 60L);
        if (s.hours == null && s.thisHour + 1 >= VolumeState.RING_AFTER) {
            s.hours = new int[24];
            s.hours[(int) Math.floorMod(hourIndex, 24L)] = s.thisHour;
        }
        if (s.hours == null) {
            s.thisHour++;
        } else {
            s.hours[(int) Math.floorMod(hourIndex, 24L)]++;
        }
        if (newMinute && calibration == null) {
            summary[0] = Math.log(longRatePerHour(s));
            s.slot = population.report(s.slot, s, summary, s.score < KeyPopulation.TRUSTED_BELOW && !s.keyNotOk, now);
        }
        s.score = computeScore(s, now);
    }

    /**
     * Moves the hour ring from the bucket of {@code current} to that of {@code index}, zeroing skipped buckets. Without a ring the
     * current bucket is the only non-empty one: it becomes a ring if it stays within the 24 hours.
     */
    private static void advanceHours(VolumeState s, long current, long index) {
        if (index <= current) {
            return;
        }
        if (s.hours == null) {
            if (current != Long.MIN_VALUE && index - current < 24 && s.thisHour > 0) {
                s.hours = new int[24];
                s.hours[(int) Math.floorMod(current, 24L)] = s.thisHour;
            }
            s.thisHour = 0;
            return;
        }
        int[] ring = s.hours;
        long steps = current == Long.MIN_VALUE ? ring.length : Math.min(ring.length, index - current);
        for (long i = 1; i <= steps; i++) {
            ring[(int) Math.floorMod(index - steps + i, (long) ring.length)] = 0;
        }
    }

    /** Moves the minute bits from minute {@code current} to {@code index}, clearing skipped minutes; true if it moved. */
    private static boolean advanceMinutes(VolumeState s, long current, long index) {
        if (index <= current) {
            return false;
        }
        long steps = current == Long.MIN_VALUE ? 60 : Math.min(60, index - current);
        for (long i = 1; i <= steps; i++) {
            s.activeMinutes &= ~(1L << Math.floorMod(index - steps + i, 60L));
        }
        return true;
    }

    private double longRatePerHour(VolumeState s) {
        return s.longCount / longTau * 3_600_000;
    }

    /** Queries in the last 24 hour buckets. */
    private static long daily(VolumeState s) {
        if (s.hours == null) {
            return s.thisHour;
        }
        long daily = 0;
        for (int h : s.hours) {
            daily += h;
        }
        return daily;
    }

    private double computeScore(VolumeState s, long now) {
        long daily = daily(s);
        double budget = Rows.clamp01((double) (daily - settings.dailyBudget()) / settings.dailyBudget());
        double pop = 0;
        s.z = Double.NaN;
        if (calibration != null || population.activeKeys(now) >= settings.minKeys()) {
            // Peers that are nearly idle do not define "normal": the median never goes below a
            // floor (5% of the daily budget's hourly pace). Without it, a swarm of low-volume
            // keys (a blocked Sybil attack, dormant accounts) made ordinary users look busy.
            double ref = calibration != null ? calibration.volumeLogRateMedian() : population.median(0, now);
            double med = Math.max(ref, Math.log(settings.dailyBudget() / 24.0 / 20.0));
            // rates within a factor of two of each other are noise, however alike the peers are
            double mad = Math.max(
                    calibration != null ? calibration.volumeLogRateMad() : population.mad(0, now), Math.log(2));
            s.z = (Math.log(longRatePerHour(s)) - med) / (MAD_SCALE * mad);
            pop = Rows.clamp01((s.z - settings.zLow()) / (settings.zHigh() - settings.zLow()));
        }
        s.uncapped = Math.max(budget, pop * Rows.clamp01((activeMinutes(s) - 15) / 30.0));
        return Math.min(settings.maxScore(), s.uncapped);
    }

    private static int activeMinutes(VolumeState s) {
        return Long.bitCount(s.activeMinutes);
    }

    @Override
    public void observeRisk(VolumeState s, double risk) {
        s.keyNotOk = !(risk < KeyPopulation.KEY_OK_BELOW);
    }

    @Override
    public double score(VolumeState s, long timeMillis) {
        return s.score;
    }

    @Override
    public String reason(VolumeState s, long timeMillis) {
        long daily = daily(s);
        double burst = s.longCount > 0 ? (s.shortCount / SHORT_TAU) / (s.longCount / longTau) : 0;
        // String.format's text, built without a Formatter (reasons are rebuilt on a few percent of events)
        StringBuilder b = new StringBuilder(120)
                .append("volume: ")
                .append(daily)
                .append(" queries in 24h (budget ")
                .append(settings.dailyBudget())
                .append("), ");
        Decimals.fixed(b, longRatePerHour(s), 0).append("/h, z=");
        if (Double.isNaN(s.z)) {
            b.append("n/a");
        } else {
            Decimals.fixed(b, s.z, 1);
        }
        b.append(" vs peers, active ").append(activeMinutes(s)).append(" of last 60 min, burst x");
        Decimals.fixed(b, burst, 1);
        if (s.uncapped > settings.maxScore()) {
            Decimals.fixed(b.append(" (score "), s.uncapped, 2).append(", capped at max_score ");
            Decimals.fixed(b, settings.maxScore(), 2).append(')');
        }
        return b.toString();
    }
}
