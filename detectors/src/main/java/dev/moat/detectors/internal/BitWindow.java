package dev.moat.detectors.internal;

/**
 * The last {@code size} yes/no observations of one key and how many of them were yes, in
 * {@code size / 64} longs: the rolling window behind boundary's "small margin" share, coverage's
 * "new cell" share and PRADA's sign-step share. Not thread-safe (one worker owns a key's state); the
 * first 64 bits live in this object and the rest are allocated a word at a time as the window fills,
 * so a key with at most 64 observations costs only this object. A detector's per-key state may
 * extend it when every key has the window from its first query (boundary: no object header and no
 * reference of its own, 16 bytes a key; not coverage, whose window comes after its warm-up).
 */
public class BitWindow {

    private static final long[] EMPTY = new long[0];

    private final int size;
    /** Bits 0-63 (a light key's whole window: no array). */
    private long first;
    /** Bits from 64 on, word w at index w - 1, allocated a word at a time as the window fills. */
    private long[] bits = EMPTY;

    private int next;
    private int filled;
    private int set;

    public BitWindow(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("window " + size + " (expected at least 1)");
        }
        this.size = size;
    }

    /** Records one observation; the oldest falls out once the window is full. */
    public void add(boolean yes) {
        int i = next;
        int w = i >>> 6;
        if (w > bits.length) {
            // still filling (the index only reaches a new word before the window is full)
            bits = java.util.Arrays.copyOf(bits, bits.length + 1);
        }
        long word = w == 0 ? first : bits[w - 1];
        long mask = 1L << (i & 63);
        if (filled == size) {
            if ((word & mask) != 0) {
                set--;
            }
        } else {
            filled++;
        }
        if (yes) {
            word |= mask;
            set++;
        } else {
            word &= ~mask;
        }
        if (w == 0) {
            first = word;
        } else {
            bits[w - 1] = word;
        }
        next = i + 1 == size ? 0 : i + 1;
    }

    /** Observations in the window (at most its size). */
    public int filled() {
        return filled;
    }

    /** How many of them were yes. */
    public int count() {
        return set;
    }

    public boolean full() {
        return filled == size;
    }

    public int size() {
        return size;
    }
}
