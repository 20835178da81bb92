package dev.moat.detectors.prada;

import dev.moat.detectors.internal.BitWindow;
import dev.moat.detectors.internal.Params;
import dev.moat.detectors.internal.Rows;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The {@code cross_key} detector: PRADA's sign-step test ({@link SignSteps}) with the parent looked
 * for among the recent queries of every <em>other</em> key, whatever its tenant (issue 9: JbDA whose
 * batches go to keys of different tenants in turn, so no key holds the parent of its own synthetic
 * points and the {@code tenant} detector cannot join the keys; {@code tenants5-jbda} was flagged at
 * 512 rows).
 *
 * <p>One gateway-wide store per input width: a ring of the last {@code store_size} (4,096) rows, each
 * kept as a sample of {@code coordinates} (128) raw coordinates (all of them for narrower inputs;
 * for wider ones a secret start and a stride coprime with the width, like PRADA's per-key sample but
 * one for the store, so every key's rows are comparable), one byte per coordinate ({@link ByteRows}),
 * with its predicted class and the key that sent it. It is owned by one engine worker, which every
 * event of a policy with {@code cross_key} visits (like a tenant's worker). For each row: the nearest
 * stored row of the same predicted class sent by another key (the same restriction as PRADA's
 * growing sets: a sign step rarely changes the class; the key's own rows are skipped, PRADA's own
 * test already sees those), then the sign-step shapes of {@link SignSteps} (equal and flat; not
 * repeat, which needs one key's history) with the child key's own floor ({@code step_min_fraction}
 * of the largest value it has sent) and clip bounds. Only the child is credited: the parent's key may
 * be an honest customer whose public image an attacker stepped from. The reason names the last parent
 * key, which links the two keys for the operator.
 *
 * <p>Score, with the same care as PRADA's step score: over the key's last {@code window} (200) rows
 * that had a candidate parent, the share of sign steps, 0 at {@code step_low} (0.05) and 1 at {@code
 * step_high} (0.15), and 0 until {@code min_hits} (4) of them were steps. The window is shorter to
 * fill than PRADA's 50 queries on purpose: an attacker spreading over 20 keys sends 25 rows per key
 * in 500; four steps among few rows is what an honest key cannot reach by chance (an honest row
 * passes the shapes with probability about 0.005 or less; four of 26 then has odds about 1e-5).
 *
 * <p>What it does not see: (1) parents older than the ring: the attacker who spaces parent and child
 * by {@code store_size} rows of the gateway's traffic (on a quiet gateway, its own rows: a JbDA round
 * of more than 4,096 queries, or 4,096 natural filler rows between rounds; on a busy gateway, a few
 * seconds); (2) steps whose shape the per-key test also misses (noise-like random sizes, see {@link
 * SignSteps}); (3) a child whose class differs from its parent's. Framing: an attacker who sends sign
 * steps of public images before an honest customer sends the same images makes the customer's rows
 * look like children of the attacker's: the customer is then credited. Needs the exact images (bytes)
 * and order the customer will send; the reason names the attacker's key as parent.
 *
 * <p>Cost per row: a scan of the ring's class bytes and, for same-class rows of other keys, a partial
 * squared distance over the sample, abandoned every 16 coordinates once past the best (as PRADA's
 * growing-set search); no allocation once the ring and the key's record exist. Not thread-safe: one
 * instance per engine, used by the worker that owns it.
 */
public final class CrossKeyParents {

    public static final String NAME = "cross_key";
    static final Set<String> PARAMS = Set.of(
            "store_size",
            "coordinates",
            "window",
            "min_hits",
            "step_low",
            "step_high",
            "step_min_fraction",
            "max_keys",
            "sample_seed");
    /** Coordinates per row in the contiguous lower-bound sketch. */
    static final int SKETCH = 16;
    /** Ints per slot record: the sketch, key hash, previous slot, sequence number and the previous one's. */
    static final int REC = 24;

    private static final int R_KEY = SKETCH;
    private static final int R_PREV_SLOT = SKETCH + 1;
    private static final int R_SEQ = SKETCH + 2;
    private static final int R_PREV_SEQ = SKETCH + 4;

    /** Widths with a store of their own (a gateway serves a few models); the least recently fed is dropped. */
    static final int MAX_WIDTHS = 8;

    /** The most one width's store may take (rows and records): 256 MiB, and int offsets never overflow. */
    static final long MAX_STORE_BYTES = 256L << 20;

    /** Validated {@code cross_key} parameters. */
    public record Settings(
            int storeSize,
            int coordinates,
            int window,
            int minHits,
            double stepLow,
            double stepHigh,
            double stepMinFraction,
            int maxKeys,
            Long sampleSeed) {

        public static Settings from(Map<String, Object> raw) {
            Params p = new Params(NAME, raw == null ? Map.of() : raw, PARAMS);
            Map<String, Object> r = raw == null ? Map.of() : raw;
            Settings s = new Settings(
                    (int) p.integer("store_size", 4096, 16, 1_000_000),
                    (int) p.integer("coordinates", 128, SignSteps.MIN_MOVED, 4096),
                    (int) p.integer("window", 200, 10, 100_000),
                    (int) p.integer("min_hits", 4, 1, 100_000),
                    p.number("step_low", 0.05, 0.0, 1.0),
                    p.number("step_high", 0.15, 0.0, 1.0),
                    p.number("step_min_fraction", 0.02, 0.0, 1.0),
                    (int) p.integer("max_keys", 65_536, 1, 10_000_000),
                    r.containsKey("sample_seed") ? p.integer("sample_seed", 0, Long.MIN_VALUE, Long.MAX_VALUE) : null);
            if (s.stepHigh <= s.stepLow) {
                throw p.fail("step_high", s.stepHigh, "greater than step_low (" + s.stepLow + ")");
            }
            if ((long) s.storeSize * (ByteRows.stride(s.coordinates) + 4L * REC) > MAX_STORE_BYTES) {
                throw p.fail(
                        "store_size",
                        s.storeSize,
                        "at most " + MAX_STORE_BYTES / (ByteRows.stride(s.coordinates) + 4L * REC) + " rows with "
                                + s.coordinates + " coordinates (a store of at most 256 MiB per width)");
            }
            if (s.minHits > s.window) {
                throw p.fail("min_hits", s.minHits, "at most window (" + s.window + ")");
            }
            return s;
        }
    }

    /** One input width's ring of rows. */
    private static final class Store {
        final int width;
        final int m;
        final int start;
        final int stride;
        final byte[] rows;
        /**
         * Per slot, one record of {@value #REC} ints, so that a step of the chain touches one or two
         * adjacent cache lines (five arrays cost a miss each): the sketch (16 float bits: block sums over
         * consecutive sample coordinates, each divided by the root of its block's size, so the squared
         * distance between two sketches is a lower bound of the rows'), the key's
         * hash, the previous same-class row's slot, this row's and that row's sequence numbers (two
         * ints each).
         */
        final int[] rec;

        final float[] offsets;
        final float[] steps;
        final String[] keys;
        int[] headSlot = new int[0];
        long[] headSeq = new long[0];
        long total;
        int next;
        int count;

        Store(int width, int m, int start, int stride, int capacity) {
            this.width = width;
            this.m = m;
            this.start = start;
            this.stride = stride;
            this.rows = new byte[capacity * ByteRows.stride(m)];
            this.rec = new int[capacity * REC];
            this.offsets = new float[capacity];
            this.steps = new float[capacity];
            this.keys = new String[capacity];
        }
    }

    /** What the store knows of one child key. */
    private static final class KeyRecord {
        final BitWindow steps;
        float scale;
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        long rows;
        String lastParent;

        KeyRecord(int window) {
            this.steps = new BitWindow(window);
        }
    }

    private final Settings settings;
    private final SignSteps signSteps;
    private final float[] x;
    private final float[] parent;
    private final java.util.SplittableRandom sampler;
    /** The store last fed (most gateways serve one width: no map look-up, no boxing). */
    private Store last;
    /** The query's sketch, and a stored row's (while it is written). */
    private final float[] xSketch = new float[SKETCH];

    private final float[] xSketchStored = new float[SKETCH];

    private final Map<Integer, Store> stores = new LinkedHashMap<>(16, 0.75f, true);
    private final LinkedHashMap<String, KeyRecord> records;
    private long searches;
    private long hits;
    /** Rows compared over the sketch, and over every coordinate, since the start (cost accounting). */
    private long sketched;

    private long compared;

    /** {@code evicted} hears each key whose record the bound on keys drops (its score is gone). */
    public CrossKeyParents(Settings settings, Consumer<String> evicted) {
        this.settings = settings;
        this.signSteps = new SignSteps(settings.coordinates());
        this.x = new float[settings.coordinates()];
        this.parent = new float[settings.coordinates()];
        this.sampler = new java.util.SplittableRandom(
                settings.sampleSeed() != null ? settings.sampleSeed() : new java.security.SecureRandom().nextLong());
        int max = settings.maxKeys();
        Consumer<String> onEvict = evicted == null ? k -> {} : evicted;
        this.records = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, KeyRecord> eldest) {
                if (size() > max) {
                    onEvict.accept(eldest.getKey());
                    return true;
                }
                return false;
            }
        };
    }

    public Settings settings() {
        return settings;
    }

    /**
     * Feeds one event's rows: each is searched for a parent among other keys' stored rows, then
     * stored. Returns the key's score after them (0 when it has no record).
     */
    public double observe(String keyId, double[][] inputs, double[][] predictions) {
        int h = keyId.hashCode();
        KeyRecord rec = null;
        for (int r = 0; r < inputs.length; r++) {
            double[] input = inputs[r];
            double[] prediction = predictions[r];
            if (input == null || prediction == null || input.length == 0) {
                continue;
            }
            int c = Rows.argmax(prediction);
            if (c < 0) {
                continue;
            }
            Store st = store(input.length);
            load(st, input);
            if (rec == null) {
                rec = records.get(keyId);
                if (rec == null) {
                    rec = new KeyRecord(settings.window());
                    records.put(keyId, rec);
                }
            }
            rec.rows++;
            int m = st.m;
            for (int i = 0; i < m; i++) {
                float v = x[i];
                rec.scale = Math.max(rec.scale, Math.abs(v));
                rec.lo = Math.min(rec.lo, v);
                rec.hi = Math.max(rec.hi, v);
            }
            int found = nearest(st, c, h);
            if (found >= 0) {
                searches++;
                int stride = ByteRows.stride(m);
                int base = found * stride;
                ByteRows.decode(st.rows, base, m, parent);
                float step = ByteRows.step(st.rows, base, m);
                float quantError = step == 1f ? 0f : step / 2;
                // the floor capped by the displacement's own values, as PRADA's: one outlier row would
                // raise rec.scale for good (OutlierQueryTest.oneOutlierRowDoesNotBlindCrossKeyParents)
                boolean hit = signSteps.isStepScaled(
                        x, parent, m, (float) settings.stepMinFraction(), rec.scale, quantError, null);
                rec.steps.add(hit);
                if (hit) {
                    hits++;
                    rec.lastParent = st.keys[found];
                }
            }
            add(st, c, h, keyId);
        }
        if (rec == null) {
            return 0;
        }
        return score(rec);
    }

    private double score(KeyRecord rec) {
        int filled = rec.steps.filled();
        int n = rec.steps.count();
        if (n < settings.minHits() || filled == 0) {
            return 0;
        }
        return Rows.clamp01(((double) n / filled - settings.stepLow()) / (settings.stepHigh() - settings.stepLow()));
    }

    /** Forgets what the store holds of the key as a child (an admin reset); its rows stay as possible parents. */
    public void forget(String keyId) {
        records.remove(keyId);
    }

    /** Why the key's score is what it is; null when the store has no record of it. */
    public String reason(String keyId) {
        KeyRecord rec = records.get(keyId);
        if (rec == null) {
            return null;
        }
        return String.format(
                Locale.ROOT,
                "cross_key: %d of last %d queries with a candidate are sign steps from another key's query%s"
                        + " (%d queries seen, need %d steps)",
                rec.steps.count(),
                rec.steps.filled(),
                rec.lastParent == null ? "" : " (last parent sent by key " + rec.lastParent + ")",
                rec.rows,
                settings.minHits());
    }

    /** Rows held over every width. */
    public int rowsHeld() {
        int n = 0;
        for (Store s : stores.values()) {
            n += s.count;
        }
        return n;
    }

    /** Searches made and sign steps found, since the start (for tests and benchmarks). */
    public long searches() {
        return searches;
    }

    public long hits() {
        return hits;
    }

    /** Rows compared over the sketch since the start. */
    public long sketched() {
        return sketched;
    }

    /** Rows whose sketch bound did not rule them out, compared over every coordinate. */
    public long compared() {
        return compared;
    }

    private Store store(int width) {
        if (last != null && last.width == width) {
            return last;
        }
        Store st = stores.get(width);
        last = st;
        if (st == null) {
            if (stores.size() >= MAX_WIDTHS) {
                // the store fed the fewest rows goes, not the least recently fed: a few rows of odd
                // widths (on a route that takes any width) must not wipe the real width's ring and
                // every parent in it (CrossKeyParentsTest.oddWidthsDoNotWipeTheStore)
                Store fewest = null;
                for (Store o : stores.values()) {
                    if (fewest == null || o.total < fewest.total) {
                        fewest = o;
                    }
                }
                stores.remove(fewest.width);
            }
            int m = Math.min(width, settings.coordinates());
            int start = 0;
            int stride = 1;
            if (width > m) {
                start = sampler.nextInt(width);
                stride = Rows.coprimeStride(sampler, width);
            }
            st = new Store(width, m, start, stride, settings.storeSize());
            stores.put(width, st);
            last = st;
        }
        return st;
    }

    private void load(Store st, double[] input) {
        long at = st.start;
        for (int i = 0; i < st.m; i++) {
            x[i] = (float) input[(int) at];
            at += st.stride;
            if (at >= st.width) {
                at -= st.width;
            }
        }
    }

    /**
     * The slot of the nearest stored row of class c sent by another key, or -1. Two stages: the
     * squared distance between the sketches (a lower bound of the whole), and only when that is below
     * the best so far, the whole distance from the stored row, abandoned every 16 coordinates once
     * past the best.
     */
    private int nearest(Store st, int c, int keyHash) {
        int m = st.m;
        int stride = ByteRows.stride(m);
        byte[] rows = st.rows;
        int[] rec = st.rec;
        float[] offsets = st.offsets;
        float[] steps = st.steps;
        float[] q = x;
        float[] qs = xSketch;
        sketch(q, m, qs, 0);
        float best = Float.POSITIVE_INFINITY;
        int bestSlot = -1;
        if (c >= st.headSlot.length) {
            return -1;
        }
        long oldest = st.total - st.keys.length;
        int slot = st.headSlot[c];
        long seq = st.headSeq[c];
        while (seq > oldest && seq > 0) {
            int rb = slot * REC;
            if (longAt(rec, rb + R_SEQ) != seq) {
                break;
            }
            int here = slot;
            slot = rec[rb + R_PREV_SLOT];
            seq = longAt(rec, rb + R_PREV_SEQ);
            if (rec[rb + R_KEY] == keyHash) {
                continue;
            }
            float l0 = 0;
            float l1 = 0;
            float l2 = 0;
            float l3 = 0;
            for (int j = 0; j < SKETCH; j += 4) {
                float d0 = qs[j] - Float.intBitsToFloat(rec[rb + j]);
                float d1 = qs[j + 1] - Float.intBitsToFloat(rec[rb + j + 1]);
                float d2 = qs[j + 2] - Float.intBitsToFloat(rec[rb + j + 2]);
                float d3 = qs[j + 3] - Float.intBitsToFloat(rec[rb + j + 3]);
                l0 += d0 * d0;
                l1 += d1 * d1;
                l2 += d2 * d2;
                l3 += d3 * d3;
            }
            float lb = (l0 + l1) + (l2 + l3);
            sketched++;
            // a bound a little under the float sum, so rounding never rules out the true nearest
            if (lb * 0.999f >= best) {
                continue;
            }
            compared++;
            float sum = ByteRows.distanceSquared(q, rows, here * stride, m, offsets[here], steps[here], best);
            if (sum < best) {
                best = sum;
                bestSlot = here;
            }
        }
        // an identical row (the same public image sent by two customers) is no step
        return best > 0 ? bestSlot : -1;
    }

    private static long longAt(int[] a, int i) {
        return ((long) a[i] << 32) | (a[i + 1] & 0xFFFFFFFFL);
    }

    private static void setLong(int[] a, int i, long v) {
        a[i] = (int) (v >>> 32);
        a[i + 1] = (int) v;
    }

    /** Block sums of v[0..m) over {@value #SKETCH} consecutive blocks, each over the root of its size, into out[at..). */
    private static void sketch(float[] v, int m, float[] out, int at) {
        for (int j = 0; j < SKETCH; j++) {
            int from = (int) ((long) j * m / SKETCH);
            int to = (int) ((long) (j + 1) * m / SKETCH);
            float sum = 0;
            for (int i = from; i < to; i++) {
                sum += v[i];
            }
            out[at + j] = to > from ? (float) (sum / Math.sqrt(to - from)) : 0f;
        }
    }

    private void add(Store st, int c, int keyHash, String keyId) {
        int slot = st.next;
        int base = slot * ByteRows.stride(st.m);
        ByteRows.encode(x, st.m, st.rows, base);
        float lo = ByteRows.offset(st.rows, base, st.m);
        float step = ByteRows.step(st.rows, base, st.m);
        st.offsets[slot] = lo;
        st.steps[slot] = step;
        // the sketch of the stored (decoded) values, so the bound holds against what the search decodes
        ByteRows.decode(st.rows, base, st.m, parent);
        sketch(parent, st.m, xSketchStored, 0);
        int rb = slot * REC;
        for (int j = 0; j < SKETCH; j++) {
            st.rec[rb + j] = Float.floatToRawIntBits(xSketchStored[j]);
        }
        if (c >= st.headSlot.length) {
            st.headSlot = java.util.Arrays.copyOf(st.headSlot, c + 1);
            st.headSeq = java.util.Arrays.copyOf(st.headSeq, c + 1);
        }
        long seq = ++st.total;
        setLong(st.rec, rb + R_SEQ, seq);
        st.rec[rb + R_PREV_SLOT] = st.headSlot[c];
        setLong(st.rec, rb + R_PREV_SEQ, st.headSeq[c]);
        st.headSlot[c] = slot;
        st.headSeq[c] = seq;
        st.rec[rb + R_KEY] = keyHash;
        st.keys[slot] = keyId;
        st.next = slot + 1 == st.keys.length ? 0 : slot + 1;
        if (st.count < st.keys.length) {
            st.count++;
        }
    }
}
