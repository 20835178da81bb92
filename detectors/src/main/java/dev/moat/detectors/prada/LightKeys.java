package dev.moat.detectors.prada;

/**
 * How a light key's rows are stored (see {@link PradaState#lightRows}): {@link PradaDetector} keeps
 * a key light, one array of rows and log and no per-class state, for its first {@value
 * PradaDetector#LIGHT_QUERIES} queries, and asks this class to store a joining query's row ({@link
 * #storeLight}: its codes, sparse where the zero codes outweigh a mask, under the key's shared
 * header or its own), to decode a stored one ({@link #decodeLight}), and to build the per-class
 * states the key would hold had it had them from its first query when it leaves light mode ({@link
 * #toHeavy}, replaying the log). Lossless: a light key scores and stores exactly as a heavy one
 * would (LightModeEquivalenceTest). Reads the detector's query row and its code scratch.
 */
final class LightKeys {

    private final PradaSettings settings;
    /** The detector's query, projected if wide. */
    private final float[] x;
    /** One encoded row (codes and header), before a light key stores it. */
    private final byte[] rowScratch;
    /** That row as a light key stores it (mask and non-zero codes or all codes, then its header if its own). */
    private final byte[] packScratch;
    /** A light key's sparse row's codes, expanded (the detector's: its search expands them too). */
    private final byte[] codeScratch;

    LightKeys(PradaSettings settings, float[] x, byte[] codeScratch) {
        this.settings = settings;
        this.x = x;
        this.codeScratch = codeScratch;
        this.rowScratch = new byte[ByteRows.stride(settings.projectionDims())];
        this.packScratch =
                new byte[PradaState.maskBytes(settings.projectionDims()) + ByteRows.stride(settings.projectionDims())];
    }

    /**
     * Stores the query as row {@code at} (starting at {@code base}) of a light key's {@link PradaState#lightRows}: its codes
     * alone if its offset and step are the key's shared header (the first row's), else codes and
     * header (see {@link PradaState#lightLo}). Lossless: the codes, offset and step are those {@link
     * ByteRows#encode} gives.
     */
    void storeLight(PradaState s, int at, int base, int logEntry) {
        int dims = s.dims;
        byte[] row = rowScratch;
        ByteRows.encode(x, dims, row, 0);
        float lo = ByteRows.offset(row, 0, dims);
        float step = ByteRows.step(row, 0, dims);
        if (s.lightRows == null) {
            s.lightLo = lo;
            s.lightStep = step;
        }
        boolean own = Float.floatToRawIntBits(lo) != Float.floatToRawIntBits(s.lightLo)
                || Float.floatToRawIntBits(step) != Float.floatToRawIntBits(s.lightStep);
        int mask = PradaState.maskBytes(dims);
        int zeros = 0;
        for (int i = 0; i < dims; i++) {
            zeros += row[i] == 0 ? 1 : 0;
        }
        // sparse only where the mask costs less than the zero codes it drops
        boolean sparse = zeros > mask;
        byte[] packed = packScratch;
        int length;
        if (sparse) {
            java.util.Arrays.fill(packed, 0, mask, (byte) 0);
            length = mask;
            for (int i = 0; i < dims; i++) {
                if (row[i] != 0) {
                    packed[i >>> 3] |= (byte) (1 << (i & 7));
                    packed[length++] = row[i];
                }
            }
        } else {
            System.arraycopy(row, 0, packed, 0, dims);
            length = dims;
        }
        if (own) {
            System.arraycopy(row, dims, packed, length, ByteRows.HEADER);
            length += ByteRows.HEADER;
        }
        s.lightRows = withRow(s.lightRows, base, length, logEntry);
        System.arraycopy(packed, 0, s.lightRows, base, length);
        long below = (1L << at) - 1; // at < 64: a light key stores at most 64 rows
        s.lightOwn = (s.lightOwn & below) | (s.lightOwn & ~below) << 1 | (own ? 1L << at : 0);
        s.lightSparse = (s.lightSparse & below) | (s.lightSparse & ~below) << 1 | (sparse ? 1L << at : 0);
    }

    /**
     * Row r of a light key's rows, starting at base, decoded into out[0..dims); returns its
     * quantisation error (as {@link ByteRows#decode} and {@link ByteRows#quantisation} give for the same row).
     */
    float decodeLight(PradaState s, int r, int base, float[] out) {
        int dims = s.dims;
        byte[] codes = s.lightCodes(r, base, codeScratch);
        int at = codes == s.lightRows ? base : 0;
        float lo = s.lightLo;
        float step = s.lightStep;
        if (s.lightOwn(r)) {
            int header = base + s.lightCodes(r, base);
            lo = ByteRows.getFloat(s.lightRows, header);
            step = ByteRows.getFloat(s.lightRows, header + 4);
        }
        for (int i = 0; i < dims; i++) {
            out[i] = lo + step * (codes[at + i] & 0xFF);
        }
        return step == 1f ? 0f : step / 2;
    }

    /** A light key's {@code n} rows as {@link ByteRows} rows, each with its header (the heavy states' layout). */
    private static byte[] lightRowsWithHeaders(PradaState s, int n) {
        int dims = s.dims;
        int stride = ByteRows.stride(dims);
        byte[] rows = new byte[n * stride];
        byte[] scratch = new byte[dims];
        for (int r = 0, from = 0; r < n; r++) {
            byte[] codes = s.lightCodes(r, from, scratch);
            System.arraycopy(codes, codes == scratch ? 0 : from, rows, r * stride, dims);
            int length = s.lightCodes(r, from);
            if (s.lightOwn(r)) {
                System.arraycopy(s.lightRows, from + length, rows, r * stride + dims, ByteRows.HEADER);
                length += ByteRows.HEADER;
            } else {
                ByteRows.putOffsetAndStep(rows, r * stride, dims, s.lightLo, s.lightStep);
            }
            from += length;
        }
        return rows;
    }

    /** A copy of rows (null: none) with {@code stride} zero bytes inserted at {@code at} and {@code tail} appended. */
    static byte[] withRow(byte[] rows, int at, int stride, int tail) {
        if (rows == null) {
            return new byte[stride + tail];
        }
        byte[] grown = new byte[rows.length + stride + tail];
        System.arraycopy(rows, 0, grown, 0, at);
        System.arraycopy(rows, at, grown, at + stride, rows.length - at);
        return grown;
    }

    /**
     * Leaves light mode: the per-class states the key would hold had it had them from its first
     * query (bare rows, ClassStates with G_c, T_c, the member sums and D_c, the active order), built
     * by replaying the log.
     */
    void toHeavy(PradaState s) {
        if (s.lightRows == null) {
            return;
        }
        byte[] log = java.util.Arrays.copyOfRange(s.lightRows, s.lightRows.length - s.logLength, s.lightRows.length);
        // entry starts: a class's first entry is one byte, the others five
        int[] starts = new int[log.length];
        int entries = 0;
        boolean[] met = new boolean[128];
        for (int at = 0; at < log.length; entries++) {
            starts[entries] = at;
            int t = log[at] & 0x7F;
            at += met[t] ? PradaState.LOG_ENTRY : 1;
            met[t] = true;
        }
        int top = 0;
        for (int e = 0; e < entries; e++) {
            top = Math.max(top, log[starts[e]] & 0x7F);
        }
        int[] members = new int[top + 1];
        for (int e = 0; e < entries; e++) {
            int b = log[starts[e]];
            if (b < 0) {
                members[b & 0x7F]++;
            }
        }
        int stride = ByteRows.stride(s.dims);
        int rawStride = s.lightRaw == null ? 0 : ByteRows.stride(s.sampleSize);
        int rowCount = 0;
        for (int m : members) {
            rowCount += m;
        }
        // the heavy states keep every row's header
        byte[] lightRows = lightRowsWithHeaders(s, rowCount);
        s.classes = new Object[top + 1];
        for (int t = 0, first = 0; t <= top; first += members[t], t++) {
            if (members[t] > 0) {
                s.classes[t] = java.util.Arrays.copyOfRange(lightRows, first * stride, (first + members[t]) * stride);
                if (rawStride > 0) {
                    s.setRawRows(
                            t,
                            java.util.Arrays.copyOfRange(
                                    s.lightRaw, first * rawStride, (first + members[t]) * rawStride));
                }
            }
        }
        boolean[] seen = new boolean[top + 1];
        for (int e = 0; e < entries; e++) {
            int b = log[starts[e]];
            int t = b & 0x7F;
            if (!seen[t]) {
                seen[t] = true;
                continue;
            }
            PradaState.ClassState cs =
                    s.classes[t] instanceof PradaState.ClassState k ? k : s.promote(t, (byte[]) s.classes[t]);
            cs.size = members[t];
            if (cs.count() == 0) {
                s.noteActive(t);
            }
            float d = ByteRows.getFloat(log, starts[e] + 1);
            cs.add(d, settings.maxDistances());
            if (b < 0) {
                cs.join(d);
            }
        }
        s.logLength = 0;
        s.lightRows = null;
        s.lightOwn = 0;
        s.lightSparse = 0;
        s.lightRaw = null;
    }
}
