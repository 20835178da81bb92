package dev.moat.detectors.prada;

/**
 * The sign-step test's second parent (issue 9, diluted JbDA), asked by {@link PradaDetector} on
 * every query of a wide key past {@value #RECENT_AFTER} queries: a query that is no step from its
 * nearest member of G_c is compared with the nearest of the key's last {@code step_recent_rows}
 * (1,024) rows by the sampled coordinates, with moves scaled per coordinate ({@link
 * SignSteps#isFlatScaled}); searched on every row of a hot key, 1 in {@value #RECENT_SAMPLE} of a
 * cold one. The rows live in the key's {@link PradaState.Recent} ring, with their norms (for the
 * search's norm test) and the per-coordinate scales, rebuilt from the rows without outlier queries
 * ({@link #rescale}); a step from G_c whose query is nearly one the key sent before is not counted
 * again ({@link #resent}). Reads the detector's query and parent samples and its sign-step test.
 */
final class RecentRows {

    private final PradaSettings settings;
    private final SignSteps signSteps;
    /** The detector's query sample, and the parent sample that the sign-step test decoded (and this search decodes). */
    private final float[] xRaw;

    private final float[] parentRaw;
    /** A recent row as it is built, before it is copied into the ring. */
    private final byte[] recentScratch;
    /** The query's sum of squares over its sample, and that of the recent row built from it. */
    private final double[] recentSums = new double[2];
    /**
     * Draws which rows of a cold key search the recent rows; secret like the samples, and a generator
     * of its own so that the keys' coordinate samples do not depend on other keys' traffic.
     */
    private final java.util.SplittableRandom recentDraw;

    RecentRows(PradaSettings settings, SignSteps signSteps, float[] xRaw, float[] parentRaw) {
        this.settings = settings;
        this.signSteps = signSteps;
        this.xRaw = xRaw;
        this.parentRaw = parentRaw;
        this.recentScratch = new byte[ByteRows.stride(settings.stepCoordinates())];
        this.recentDraw = new java.util.SplittableRandom(
                settings.stepSampleSeed() != null
                        ? settings.stepSampleSeed() * 0x9E3779B97F4A7C15L + 1
                        : new java.security.SecureRandom().nextLong());
    }

    /** Keys keep recent rows only past this many queries (the light keys' limit): short-lived keys pay nothing. */
    static final int RECENT_AFTER = PradaDetector.LIGHT_QUERIES;

    /** Whether the last query counted as a step only through the recent rows (the detector's probes read it). */
    boolean lastRecentStep;

    /** A cold key's rows are searched in the recent rows with probability 1 / RECENT_SAMPLE. */
    static final int RECENT_SAMPLE = 8;
    /** Searched rows a key stays hot (every row searched) after a step found in its recent rows. */
    static final int RECENT_HOT = 64;

    /** Searches of the recent rows, and rows scanned in them (past the norm test), for probes. */
    long recentSearches;

    long recentRowsScanned;

    /**
     * The sign-step test's second parent (issue 9): for wide keys past {@value #RECENT_AFTER} queries,
     * a query that is no step from its nearest member of G_c is compared with the nearest of the
     * key's last {@code step_recent_rows} rows by the sampled coordinates, with the scaled flat shape
     * ({@link SignSteps#isFlatScaled}: moves divided by the key's largest value in each coordinate).
     * JbDA's parents mostly never join G_c (a child lies within T_c of what is stored), and random
     * sizes on per-feature scales are flat only per coordinate. Then stores the query's sample in the
     * ring. Returns {@code step} or the ring's finding.
     */
    boolean recentStep(PradaState s, boolean wide, boolean step) {
        lastRecentStep = false;
        int cap = settings.stepRecentRows();
        if (!wide || cap == 0 || s.sampleSize == 0 || s.queries <= RECENT_AFTER) {
            return step;
        }
        int n = s.sampleSize;
        PradaState.Recent r = s.recent;
        if (r == null || r.scale.length != n) {
            r = s.recent = new PradaState.Recent();
            r.scale = new float[n];
        }
        float[] scale = r.scale;
        int stride = ByteRows.stride(n);
        // the row as the ring will store it, built now in the scratch (which the search does not use),
        // in the pass that sums the query's own squares for its norm
        double[] sums = recentSums;
        ByteRows.encode(xRaw, n, recentScratch, 0, sums);
        float norm = (float) Math.sqrt(sums[0]);
        if (norm <= r.normLimit) {
            // rows far beyond the key's median norm (outlier queries) do not set the scales
            for (int i = 0; i < n; i++) {
                float a = Math.abs(xRaw[i]);
                if (a > scale[i]) {
                    scale[i] = a;
                }
            }
        }
        if (step && r.count > 0 && resent(r, norm, n, stride)) {
            // the query is one the key sent before: the step was counted when it was new
            step = false;
            resends++;
        }
        // hot keys (a step found in the recent rows among their last RECENT_HOT searches) are searched on
        // every row, cold ones on 1 row in RECENT_SAMPLE, drawn from the secret generator
        boolean search = !step && r.count > 0 && (r.hot > 0 || recentDraw.nextInt(RECENT_SAMPLE) == 0);
        if (search) {
            recentSearches++;
            byte[] rows = r.rows;
            float[] norms = r.norms;
            float best = Float.POSITIVE_INFINITY;
            float bound = Float.POSITIVE_INFINITY; // sqrt(best), for the norm test
            int bestBase = -1;
            // newest first: a child's parent and a re-send's original are mostly recent, and an early
            // small best lets the partial distances stop after 16 coordinates
            for (int j = 0, k = r.next; j < r.count; j++) {
                k = k == 0 ? r.count - 1 : k - 1;
                // |norm(x) - norm(y)| <= dist(x, y): rows whose norms differ by more cannot be nearer
                if (Math.abs(norm - norms[k]) >= bound) {
                    continue;
                }
                recentRowsScanned++;
                int base = k * stride;
                float q = ByteRows.step(rows, base, n);
                float dd = ByteRows.distanceSquared(xRaw, rows, base, n, ByteRows.offset(rows, base, n), q, best);
                if (dd <= n * (q / 2) * (q / 2)) {
                    // a re-send: the query is this row within its quantisation, so its move is rounding
                    // noise, never a step; the rest of the scan (often the same row's other copies, each
                    // a miss to memory) cannot change that
                    bestBase = -1;
                    break;
                }
                if (dd < best) {
                    best = dd;
                    bound = (float) Math.sqrt(dd);
                    bestBase = base;
                }
            }
            if (bestBase >= 0 && best > 0) {
                ByteRows.decode(rows, bestBase, n, parentRaw);
                signSteps.inOrder(StepSample.whole(s.sampleSize, s.sampleOf));
                step = signSteps.isFlatScaled(
                        xRaw,
                        parentRaw,
                        n,
                        scale,
                        (float) settings.stepMinFraction(),
                        ByteRows.quantisation(rows, bestBase, n));
                lastRecentStep = step;
            }
            r.hot = step ? RECENT_HOT : Math.max(0, r.hot - 1);
        }
        // store: grow by doubling up to the cap, then a ring
        int slot;
        if (r.count < cap) {
            int held = r.rows == null ? 0 : r.rows.length / stride;
            if (r.count == held) {
                int grown = Math.min(cap, Math.max(64, held * 2));
                r.rows = r.rows == null ? new byte[grown * stride] : java.util.Arrays.copyOf(r.rows, grown * stride);
                r.norms = r.norms == null ? new float[grown] : java.util.Arrays.copyOf(r.norms, grown);
            }
            slot = r.count++;
        } else {
            slot = r.next;
        }
        r.next = (slot + 1) % cap;
        // the stored row's norm, as decoded: the norm test compares the query with what the scan reads;
        // the row was built in the scratch and is copied in one block: the ring's row is mostly not in
        // cache, and a store per code to it filled the store buffer with misses
        System.arraycopy(recentScratch, 0, r.rows, slot * stride, stride);
        r.norms[slot] = (float) Math.sqrt(sums[1]);
        if (r.count == RESCALE_FIRST || (s.queries & (RESCALE_EVERY - 1)) == 0) {
            rescale(r, n, stride);
        }
        return step;
    }

    /** A step's query is a re-send when a recent row is within 1 / this of the step's own length. */
    static final float RESEND = 8f;

    /** Steps from G_c left uncounted as re-sends, for probes. */
    long resends;

    /**
     * Re-sent queries are no new steps (issue 9, session 16: customers who re-send their own photos,
     * exactly or re-encoded, whose first send passed for a step from its nearest member of G_c). A
     * query that does not join G_c is never anyone's nearest member, so each re-send of it met the
     * same parent and was counted again: 140 of the 140 steps of twelve object-photo customers over
     * 1,500 rows were re-sends. True when one of the key's recent rows lies within 1/{@value #RESEND}
     * of the step's length (the sampled coordinates' distance from the query to {@link #parentRaw},
     * which isStep left there) of the query: the query is then nearly one the key sent before, and
     * its step was counted when it was new. A thief whose step is within an eighth of its own length
     * of one of his earlier queries learns next to nothing from it. Newest rows first; the norm test
     * skips rows whose norms differ by more than the tolerance.
     */
    private boolean resent(PradaState.Recent r, float norm, int n, int stride) {
        double step = 0;
        for (int i = 0; i < n; i++) {
            double d = xRaw[i] - parentRaw[i];
            step += d * d;
        }
        float tol = (float) (Math.sqrt(step) / RESEND);
        float tolSquared = tol * tol;
        byte[] rows = r.rows;
        float[] norms = r.norms;
        for (int j = 0, k = r.next; j < r.count; j++) {
            k = k == 0 ? r.count - 1 : k - 1;
            if (Math.abs(norm - norms[k]) > tol) {
                continue;
            }
            int base = k * stride;
            float q = ByteRows.step(rows, base, n);
            float limit = Math.max(tolSquared, n * (q / 2) * (q / 2));
            if (ByteRows.distanceSquared(xRaw, rows, base, n, ByteRows.offset(rows, base, n), q, limit) < limit) {
                return true;
            }
        }
        return false;
    }

    /** The scales are rebuilt from the recent rows when the ring first holds this many, then every RESCALE_EVERY queries. */
    static final int RESCALE_FIRST = 16;

    static final int RESCALE_EVERY = 256;
    /** Recent rows whose norm is over this many times the rows' median norm set no scale (outlier queries). */
    static final float OUTLIER_NORM = 8f;

    private float[] normScratch = new float[0];
    private float[] normSpare = new float[0];
    /** A recent row's codes as floats, for {@link #rescale}. */
    private float[] rescaleCodes = new float[0];

    /**
     * Rebuilds the per-coordinate scales from the recent rows whose norm is at most {@value
     * #OUTLIER_NORM} times their median norm, and sets that limit for the rows to come (issue 9, an
     * attacker who read it: one query of 1,000,000 in every coordinate set every scale for good and
     * no scaled step passed the floor again). Robust while fewer than half of the recent rows are
     * outliers; about 1,024 x 128 byte decodes every 256 queries.
     */
    private void rescale(PradaState.Recent r, int n, int stride) {
        int count = r.count;
        if (normScratch.length < count) {
            normScratch = new float[settings.stepRecentRows()];
            normSpare = new float[settings.stepRecentRows()];
        }
        System.arraycopy(r.norms, 0, normScratch, 0, count);
        float median = FloatOrder.select(normScratch, normSpare, count, count / 2);
        float limit = OUTLIER_NORM * median;
        float[] scale = r.scale;
        byte[] rows = r.rows;
        if (rescaleCodes.length < n) {
            rescaleCodes = new float[n];
        }
        float[] codes = rescaleCodes;
        java.util.Arrays.fill(scale, 0f);
        for (int k = 0; k < count; k++) {
            if (r.norms[k] <= limit) {
                // each coordinate decoded as ByteRows.decode does, its magnitude taken in the same pass
                int base = k * stride;
                float lo = ByteRows.offset(rows, base, n);
                float step = ByteRows.step(rows, base, n);
                // two passes, each of which the compiler vectorises (one with the conversion and the max
                // together it did not: 260 -> 75 us a rescale of 1,024 rows of 128, a probe); the same
                // floats as ByteRows.decode. Math.max for the branch: a row's decoded values are finite
                // here (a NaN or an infinity among them makes its norm fail the test above)
                for (int i = 0; i < n; i++) {
                    codes[i] = rows[base + i] & 0xFF;
                }
                for (int i = 0; i < n; i++) {
                    scale[i] = Math.max(scale[i], Math.abs(lo + step * codes[i]));
                }
            }
        }
        r.normLimit = limit;
    }
}
