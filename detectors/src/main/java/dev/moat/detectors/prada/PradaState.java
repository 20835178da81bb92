package dev.moat.detectors.prada;

import java.util.Arrays;

/**
 * One key's PRADA state. For its first queries (light mode, up to 64 and never past min_distances)
 * a key holds no per-class state: one array of all its stored rows grouped by class ({@link
 * #lightRows}, the log after them) and a log entry per query ({@link #logLength}: class, joined, distance; 1 byte for a class's first query, else 5), from which
 * T_c and the member sums are replayed when a class is queried; then the log is replayed into the
 * per-class states below, exactly as they would have grown. Heavy keys, per predicted class: at its first query only that query's row (G_c's one
 * member, T_c = 0, no distances yet: a light key sees several classes once, and they cost no class
 * state); from its second query a {@link ClassState}: the growing set G_c (rows of {@link ByteRows}, one byte per coordinate, grown one row at a time up to
 * four and by half after that, a ring once full), its threshold T_c, the running mean/variance of
 * the member distances D_Gc, and the latest min-distances D_c (the class state is itself a
 * {@link SortedRing}, saving an object per class). Plus a window of "was the query a sign step"
 * bits for {@link SignSteps}. Memory is bounded by about
 * {@code classes * (max_set_size * (dims + 8) + max_distances * 8)} bytes.
 */
final class PradaState extends dev.moat.detectors.internal.BitWindow {

    /** One predicted class's growing set and distances (the {@link SortedRing} it extends). */
    static final class ClassState extends SortedRing {
        byte[] rows;

        /**
         * The members held while G_c fills; once it holds {@code max_set_size} members, that size plus
         * the slot the next member replaces (oldest first), so the ring position needs no field: see
         * {@link PradaDetector}'s {@code members} and {@code add}.
         */
        int size;

        int memberCount;
        double threshold;
        double memberSum;
        double memberSumSq;

        /** A member joined G_c at distance d: T_c rises to the members' mean minus one sd, if higher. */
        void join(float d) {
            memberCount++;
            memberSum += d;
            memberSumSq += (double) d * d;
            threshold = raised(threshold, memberCount, memberSum, memberSumSq);
        }

        /** T_c after a join: the larger of t and mean - sd of the member distances' sums. */
        static double raised(double t, int count, double sum, double sumSq) {
            double n = count;
            double mean = sum / n;
            double var = Math.max(0, sumSq / n - mean * mean);
            return Math.max(t, mean - Math.sqrt(var));
        }
    }

    private static final Object[] NO_CLASSES = {};
    private static final int[] NO_ACTIVE = {};

    int dims = -1;

    /**
     * Light mode (the key's first queries, see {@link PradaDetector}'s {@code LIGHT_QUERIES}): every
     * member of every G_c in one array, grouped by class in ascending class order, each group in the
     * order its members joined, then the log ({@link #logLength}); null once the key is heavy (or
     * before its first query). A key is light while {@link #classes} is empty.
     */
    byte[] lightRows;
    /**
     * Light mode: the offset and step of the key's first stored row, the header shared by every row
     * of {@link #lightRows} whose bit in {@link #lightOwn} is clear: such a row is its {@code dims}
     * codes alone; a row with another header (bit set) is a {@link ByteRows} row, codes then its own
     * header. Image rows clipped to a fixed range (or whole pixel values from 0) mostly share one,
     * so most rows save their 8 header bytes; rows that differ cost what they did before.
     */
    float lightLo;

    float lightStep;
    /** Bit r: row r of {@link #lightRows} carries its own header (a light key holds at most 64 rows). */
    long lightOwn;
    /**
     * Bit r: row r of {@link #lightRows} keeps its codes sparse: a mask of {@code (dims + 7) / 8}
     * bytes (bit i set: code i is not 0) and then the non-zero codes in order, instead of all
     * {@code dims} codes. A row is stored so when it has more zero codes than the mask has bytes
     * (image rows: the background; a digits row of the benchmark has about 16 of 64), so it never
     * costs more; decoded, its codes are the same.
     */
    long lightSparse;

    static int maskBytes(int dims) {
        return (dims + 7) >>> 3;
    }

    /** Whether row r of {@link #lightRows} keeps its codes sparse. */
    boolean lightSparse(int r) {
        return (lightSparse >>> r & 1) != 0;
    }

    /** The bytes of row r's codes (mask and non-zero codes if sparse, else {@code dims}), the row starting at base. */
    int lightCodes(int r, int base) {
        if (!lightSparse(r)) {
            return dims;
        }
        int m = maskBytes(dims);
        int n = m;
        int i = 0;
        for (; i + 8 <= m; i += 8) {
            n += Long.bitCount((long) LONG.get(lightRows, base + i));
        }
        for (; i < m; i++) {
            n += Integer.bitCount(lightRows[base + i] & 0xFF);
        }
        return n;
    }

    private static final java.lang.invoke.VarHandle LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    /** Where row r of {@link #lightRows} starts. */
    int lightBase(int r) {
        if (lightSparse == 0) {
            long below = r >= 64 ? lightOwn : lightOwn & ((1L << r) - 1);
            return r * dims + ByteRows.HEADER * Long.bitCount(below);
        }
        int base = 0;
        for (int i = 0; i < r; i++) {
            base += lightCodes(i, base) + (lightOwn(i) ? ByteRows.HEADER : 0);
        }
        return base;
    }

    /**
     * Row r's codes, the row starting at base: the array and offset to read {@code dims} codes at,
     * {@code scratch} (from 0) holding them if the row is sparse.
     */
    byte[] lightCodes(int r, int base, byte[] scratch) {
        if (!lightSparse(r)) {
            return lightRows;
        }
        byte[] rows = lightRows;
        int m = maskBytes(dims);
        int at = base + m;
        java.util.Arrays.fill(scratch, 0, dims, (byte) 0);
        // the mask 64 bits at a time (a little-endian long is bytes i..i+7, bit k of the long code 8i+k)
        for (int i = 0; i < m; i += 8) {
            long bits = i + 8 <= m ? (long) LONG.get(rows, base + i) : tail(rows, base + i, m - i);
            int from = i << 3;
            while (bits != 0) {
                scratch[from + Long.numberOfTrailingZeros(bits)] = rows[at++];
                bits &= bits - 1;
            }
        }
        return scratch;
    }

    /** The last {@code n} (below 8) bytes of a mask at {@code at}, as the low bytes of a long. */
    private static long tail(byte[] rows, int at, int n) {
        long bits = 0;
        for (int k = 0; k < n; k++) {
            bits |= (rows[at + k] & 0xFFL) << (8 * k);
        }
        return bits;
    }

    /** Whether row r of {@link #lightRows} carries its own header. */
    boolean lightOwn(int r) {
        return (lightOwn >>> r & 1) != 0;
    }
    /** Light mode, wide inputs: the members' raw-sample rows, in the same order as {@link #lightRows}. */
    byte[] lightRaw;
    /**
     * Light mode: the length of the log, the last bytes of {@link #lightRows} (after the rows: one
     * array a key, not two). The log: one entry per query, in arrival order: the predicted class (below 128) with bit 7
     * set if the query joined G_c, then, except for a class's first query (which always joins, at no
     * distance: one byte), the distance to G_c as a little-endian float ({@value #LOG_ENTRY} bytes).
     * Everything else of the class state (T_c, the member
     * distances' sums, D_c) is a function of this log and is recomputed from it.
     */
    int logLength;

    static final int LOG_ENTRY = 5;

    /** Per class: null (not seen), its first query's row (a byte[], one member), or its ClassState. */
    Object[] classes = NO_CLASSES;
    /**
     * Wide inputs only (null otherwise): per class, the key's sample of raw coordinates of each
     * member of G_c, in the same slots as the class's rows.
     */
    byte[][] rawRows;
    /** Classes holding at least one distance, in the order they got it: the runs the test merges. */
    int[] active = NO_ACTIVE;

    int activeCount;

    long queries;
    int sinceTest;
    double lastW = Double.NaN;
    int lastN;
    /** The W score before the {@code w_max_score} cap (the score is the capped value; the reason reports the cap when it bites). */
    double wUncapped;

    /** The largest |input coordinate| seen: the scale that the smallest sign step is measured against. */
    float inputScale;

    /**
     * Wide inputs only: the key's sample of raw coordinates for the sign-step test, sampleSize of
     * sampleOf coordinates in runs of consecutive ones ({@link StepSample}: sampleStart sets the
     * offset and the first block, sampleStride the stride over the blocks); drawn per key from
     * a secret seed, so an attacker cannot know which coordinates to leave alone.
     */
    int sampleSize;

    int sampleStart;
    int sampleStride;
    int sampleOf;
    /** The magnitudes of the key's previous displacement (the sign-step test's "repeat" shape). */
    float[] prevSteps;

    /**
     * The window of whether each of the last {@code step_window} queries was a sign step from a
     * stored one is this state itself (it extends {@link dev.moat.detectors.internal.BitWindow}: every
     * key has it from its first query, so no object and reference of its own, 16 bytes a key).
     */
    PradaState(int stepWindow) {
        super(stepWindow);
    }

    /** The sign-step window (this state), or null before the key's first query, as probes read it. */
    dev.moat.detectors.internal.BitWindow stepWindow() {
        return filled() == 0 ? null : this;
    }

    /** Wide inputs, keys past {@link PradaDetector}'s warm-up only (null before): see {@link Recent}. */
    Recent recent;

    /**
     * The sign-step test's second parent and its sequential test (issue 9), for wide keys past the
     * warm-up: the sampled raw coordinates of the key's latest {@code step_recent_rows} queries
     * ({@link ByteRows} rows of {@link #sampleSize} codes, a ring; grown by doubling up to that many),
     * their norms, the key's largest |value| in each sampled coordinate, and the CUSUM of the key's
     * sign-step bits. One object, so keys that never get here (short-lived ones, narrow inputs) pay
     * one reference.
     */
    static final class Recent {
        byte[] rows;
        /** Each row's norm over the sampled coordinates, as decoded, for the search's norm test. */
        float[] norms;
        /** The largest |value| the key has sent in each sampled coordinate since the warm-up. */
        float[] scale;
        /** The slot after the newest row. */
        int next;

        int count;
        /** Searches left before the key goes cold (its rows then searched 1 in RecentRows' RECENT_SAMPLE). */
        int hot;
        /** Rows with a larger norm set no scale (see RecentRows#rescale); none until the first rescale. */
        float normLimit = Float.POSITIVE_INFINITY;
        /** The CUSUM of the key's sign-step bits since the warm-up (see PradaDetector's noteStep). */
        double evidence;
    }

    /** What class c holds (null, a byte[] row or a ClassState), making room for it. */
    Object slot(int c) {
        if (c >= classes.length) {
            classes = Arrays.copyOf(classes, c + 1);
        }
        return classes[c];
    }

    /** Class c's state at its second query: G_c = {its first row}, T_c = 0, no distances. */
    ClassState promote(int c, byte[] firstRow) {
        ClassState s = new ClassState();
        s.rows = firstRow;
        s.size = 1;
        classes[c] = s;
        return s;
    }

    /** The state of an active class (one holding distances, so promoted). */
    ClassState active(int k) {
        return (ClassState) classes[active[k]];
    }

    /** The raw-sample rows of class c (wide inputs), or null. */
    byte[] rawRows(int c) {
        return rawRows == null || c >= rawRows.length ? null : rawRows[c];
    }

    void setRawRows(int c, byte[] rows) {
        if (rawRows == null) {
            rawRows = new byte[classes.length][];
        } else if (c >= rawRows.length) {
            rawRows = Arrays.copyOf(rawRows, classes.length);
        }
        rawRows[c] = rows;
    }

    void noteActive(int c) {
        if (activeCount == active.length) {
            active = Arrays.copyOf(active, Math.max(4, active.length * 2));
        }
        active[activeCount++] = c;
    }
}
