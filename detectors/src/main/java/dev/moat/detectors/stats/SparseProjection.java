package dev.moat.detectors.stats;

import java.util.SplittableRandom;

/**
 * A seeded very sparse random projection from d to k dimensions (P. Li, T. Hastie, K. Church,
 * "Very Sparse Random Projections", KDD 2006): each entry is {@code +-sqrt(s/k)} with probability
 * {@code 1/(2s)} each and 0 otherwise, with {@code s = sqrt(d)}. Distances are preserved like a
 * Gaussian projection's (Johnson-Lindenstrauss) for inputs whose energy is not concentrated in a few
 * coordinates, at about {@code k * sqrt(d)} additions instead of {@code k * d} multiply-adds: 3,500
 * instead of 196,000 for 3,072 inputs into 64. Immutable and thread-safe.
 *
 * <p>A thread that only projects rows nobody changes afterwards can say so ({@link
 * #rememberRowsOnThisThread}): its projections of its last few rows are then remembered by the row's
 * identity, and a projection with the same dimensions and seed copies the remembered output instead
 * of reading the row again. The detection engine's workers do: a key's detectors and its tenant's
 * (PRADA and coverage, with the same settings) project each row twice.
 */
public final class SparseProjection {

    private final int inDims;
    private final int outDims;
    private final long seed;
    /** Row j's non-zero input indices are index[start[j]..start[j+1]), ascending, with signs sign[...]. */
    private final int[] start;

    private final int[] index;
    /** +1 or -1 per entry of {@link #index}: multiplying by it is exact, and unlike a branch on a random sign bit it is never mispredicted. */
    private final double[] sign;

    private final double scale;

    public SparseProjection(int inDims, int outDims, long seed) {
        if (inDims < 1 || outDims < 1) {
            throw new IllegalArgumentException("dims: " + inDims + " -> " + outDims + " (expected: positive)");
        }
        this.inDims = inDims;
        this.outDims = outDims;
        this.seed = seed;
        double s = Math.max(1, Math.sqrt(inDims));
        this.scale = Math.sqrt(s / outDims);
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] idx = new int[Math.max(16, (int) (outDims * inDims / s * 1.5) + 16)];
        this.start = new int[outDims + 1];
        int n = 0;
        for (int j = 0; j < outDims; j++) {
            start[j] = n;
            int before = n;
            for (int i = 0; i < inDims; i++) {
                double u = rnd.nextDouble();
                if (u < 1 / s) {
                    if (n == idx.length) {
                        idx = java.util.Arrays.copyOf(idx, idx.length * 2);
                    }
                    idx[n++] = u < 0.5 / s ? i : i | Integer.MIN_VALUE;
                }
            }
            if (n == before) {
                // an empty row would project everything to 0: give it one coordinate
                if (n == idx.length) {
                    idx = java.util.Arrays.copyOf(idx, idx.length * 2);
                }
                idx[n++] = rnd.nextInt(inDims);
            }
        }
        start[outDims] = n;
        this.index = new int[n];
        this.sign = new double[n];
        for (int p = 0; p < n; p++) {
            index[p] = idx[p] & Integer.MAX_VALUE;
            sign[p] = idx[p] < 0 ? -1 : 1;
        }
    }

    public int inDims() {
        return inDims;
    }

    public int outDims() {
        return outDims;
    }

    /**
     * out[0..k) = R x; x shorter than d is zero-padded. Each output is the sum of its row's signed
     * terms in ascending index order, bit for bit, however the work is arranged: the rows are summed
     * four at a time (independent chains the CPU overlaps; one row at a time waited on each
     * addition), and a row the CPU has not seen is first read in order, so the memory system streams
     * it in instead of fetching each of the ~k sqrt(d) scattered reads' cache lines one miss at a
     * time (a 3,072-input row is 384 cache lines, nearly all of which the 64 rows touch).
     */
    public void project(double[] x, double[] out) {
        Remembered memo = MEMO.get();
        if (memo == null) {
            compute(x, out);
        } else if (!memo.recall(x, inDims, outDims, seed, out)) {
            compute(x, out);
            memo.keep(x, inDims, outDims, seed, out);
        }
    }

    /**
     * From now on this thread's projections are remembered for its last rows, by identity: the
     * caller promises never to change a row it has passed to {@link #project} (the detection
     * engine's workers, whose rows come from {@code QueryEvent}s, which the gateway does not change
     * after submitting). The output is the same as computed: the same matrix applied to the same numbers.
     */
    public static void rememberRowsOnThisThread() {
        if (MEMO.get() == null) {
            MEMO.set(new Remembered());
        }
    }

    /** Drops this thread's remembered rows (an idle worker need not keep them alive), still remembering later ones. */
    public static void forgetRowsOnThisThread() {
        Remembered memo = MEMO.get();
        if (memo != null) {
            memo.clear();
        }
    }

    private static final ThreadLocal<Remembered> MEMO = new ThreadLocal<>();

    /**
     * The last {@link #SLOTS} projections of one thread: enough for a batch of 16 rows projected by
     * PRADA and coverage, or for events of other keys queued between a key's event and its tenant's.
     */
    private static final class Remembered {
        static final int SLOTS = 32;
        final double[][] rows = new double[SLOTS][];
        final long[] seeds = new long[SLOTS];
        final int[] ins = new int[SLOTS];
        final int[] lengths = new int[SLOTS];
        final double[][] outs = new double[SLOTS][];
        int next;

        boolean recall(double[] x, int in, int out, long seed, double[] into) {
            for (int k = 0; k < SLOTS; k++) {
                if (rows[k] == x && ins[k] == in && seeds[k] == seed && lengths[k] == out) {
                    System.arraycopy(outs[k], 0, into, 0, out);
                    return true;
                }
            }
            return false;
        }

        void keep(double[] x, int in, int out, long seed, double[] from) {
            int k = next;
            next = k + 1 == SLOTS ? 0 : k + 1;
            rows[k] = x;
            ins[k] = in;
            seeds[k] = seed;
            lengths[k] = out;
            if (outs[k] == null || outs[k].length < out) {
                // PRADA's 64 or more: a slot that held coverage's 12 is not reallocated later
                outs[k] = new double[Math.max(64, out)];
            }
            System.arraycopy(from, 0, outs[k], 0, out);
        }

        void clear() {
            java.util.Arrays.fill(rows, null);
        }
    }

    private void compute(double[] x, double[] out) {
        if (touch(x) == never) {
            throw new AssertionError();
        }
        int[] st = start;
        int[] ix = index;
        double[] sg = sign;
        int j = 0;
        if (x.length >= inDims) {
            for (; j + 4 <= outDims; j += 4) {
                int p0 = st[j];
                int p1 = st[j + 1];
                int p2 = st[j + 2];
                int p3 = st[j + 3];
                int e3 = st[j + 4];
                // the four rows' common length together, then each row's remaining entries
                int n = Math.min(Math.min(p1 - p0, p2 - p1), Math.min(p3 - p2, e3 - p3));
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                for (int k = 0; k < n; k++) {
                    s0 += x[ix[p0 + k]] * sg[p0 + k];
                    s1 += x[ix[p1 + k]] * sg[p1 + k];
                    s2 += x[ix[p2 + k]] * sg[p2 + k];
                    s3 += x[ix[p3 + k]] * sg[p3 + k];
                }
                out[j] = rest(x, p0 + n, p1, s0) * scale;
                out[j + 1] = rest(x, p1 + n, p2, s1) * scale;
                out[j + 2] = rest(x, p2 + n, p3, s2) * scale;
                out[j + 3] = rest(x, p3 + n, e3, s3) * scale;
            }
        }
        for (; j < outDims; j++) {
            out[j] = rest(x, st[j], st[j + 1], 0) * scale;
        }
    }

    /**
     * {@code sum} plus the signed terms p..end of a row, in order; indices past a short x are zero.
     * x * -1 is exact, and unlike a branch on a random sign bit the multiplication is never
     * mispredicted (JMH at 3,072 inputs: engine 27.0 -> 24-25.5 us per event).
     */
    private double rest(double[] x, int p, int end, double sum) {
        int len = x.length;
        for (; p < end; p++) {
            int i = index[p];
            if (i < len) {
                sum += x[i] * sign[p];
            }
        }
        return sum;
    }

    /**
     * NaN, never equal to anything: comparing the touching reads' sum with it keeps the reads from
     * being optimised away (not final, so the compiler cannot fold it).
     */
    @SuppressWarnings("FieldMayBeFinal")
    private static double never = Double.NaN;

    /** Reads one double per cache line of x, in order (the result only keeps the reads from being dropped). */
    private static double touch(double[] x) {
        double a = 0;
        double b = 0;
        double c = 0;
        double d = 0;
        for (int i = 0; i + 24 < x.length; i += 32) {
            a += x[i];
            b += x[i + 8];
            c += x[i + 16];
            d += x[i + 24];
        }
        return a + b + c + d;
    }

    /**
     * The projections of the last {@value #WIDTHS} input widths one detector has seen, most recent
     * first. Building a projection draws {@code inDims * outDims} random numbers (about 200,000, a
     * millisecond or two, at 3,072 inputs into 64); a detector that kept only one would rebuild it on
     * every event of traffic that alternates widths (two routes, or a model that accepts any width),
     * which a client could use to slow the detection worker until events are dropped. Not thread-safe:
     * one per detector instance, which one worker owns.
     */
    public static final class ByWidth {

        static final int WIDTHS = 8;
        private final int outDims;
        private final long seed;
        private final SparseProjection[] recent = new SparseProjection[WIDTHS];

        public ByWidth(int outDims, long seed) {
            this.outDims = outDims;
            this.seed = seed;
        }

        /** The projection from {@code inDims}, built on its first use and kept while it is among the last few widths. */
        public SparseProjection of(int inDims) {
            SparseProjection first = recent[0];
            if (first != null && first.inDims == inDims) {
                return first;
            }
            int at = 1;
            while (at < WIDTHS && recent[at] != null && recent[at].inDims != inDims) {
                at++;
            }
            SparseProjection p =
                    at < WIDTHS && recent[at] != null ? recent[at] : new SparseProjection(inDims, outDims, seed);
            System.arraycopy(recent, 0, recent, 1, Math.min(at, WIDTHS - 1));
            recent[0] = p;
            return p;
        }
    }
}
