package dev.moat.detectors.prada;

import static dev.moat.detectors.prada.ChildKey.credit;
import static dev.moat.detectors.prada.ChildKey.creditedBefore;
import static dev.moat.detectors.prada.ClassBand.SKETCH;
import static dev.moat.detectors.prada.NarrowMoves.repeats;
import static dev.moat.detectors.prada.ParentSearch.CANDIDATES;
import static dev.moat.detectors.prada.ParentSearch.NARROW_CANDIDATES;
import static dev.moat.detectors.prada.StoreScales.RAW_ROWS;
import static dev.moat.detectors.prada.StoreScales.rescaleEvery;

import dev.moat.detectors.internal.Params;
import dev.moat.detectors.internal.Rows;
import dev.moat.detectors.params.ParamSpec;
import dev.moat.detectors.params.ParamSpec.Decimal;
import dev.moat.detectors.params.ParamSpec.Whole;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The {@code cross_key} detector: PRADA's sign-step test ({@link SignSteps}) with the parent looked
 * for among the recent queries of every <em>other</em> key, whatever its tenant (issue 9: JbDA whose
 * batches go to keys of different tenants in turn, so no key holds the parent of its own synthetic
 * points and the {@code tenant} detector cannot join the keys; {@code tenants5-jbda} was flagged at
 * 512 rows).
 *
 * <p>One gateway-wide store per input width ({@link WidthStore}): a ring of the last {@code store_size}
 * (4,096) rows, each kept as a sample of {@code coordinates} (128) raw coordinates (all of them for
 * narrower inputs; for wider ones runs of 5 consecutive coordinates at a secret offset and stride
 * ({@link StepSample}), like PRADA's per-key sample but one for the store, so every key's rows are
 * comparable), one byte per coordinate ({@link ByteRows}), with its predicted class and the key that
 * sent it. It is owned by one engine worker, which every event of a policy with {@code cross_key}
 * visits (like a tenant's worker). For each row: the {@value ParentSearch#CANDIDATES} nearest stored
 * rows of the same predicted class sent by other keys ({@link ParentSearch}; the same
 * restriction as PRADA's growing sets: a sign step rarely changes the class; the key's own rows are
 * skipped, PRADA's own test already sees those), each put, nearest first until one passes, to the
 * sign-step shapes of {@link SignSteps} (equal and flat; not repeat, which needs one key's history)
 * with the child key's own floor ({@code step_min_fraction} of the largest value it has sent) and
 * clip bounds. Several, because a second key that first sends a noisy near-copy of each child puts
 * a decoy nearer than the parent; but a copy of the row (re-encoded) ends the test, and an
 * identical row leaves the row uncounted (the same public image sent by two customers). Only the child is credited: the parent's key may
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
 * SignSteps}); (3) a child whose class differs from its parent's; (4) a key's second and later
 * children of one parent ({@link ChildKey#creditedBefore}: one row of another key credits a key once; they are
 * sign steps from one another, {@code prada}'s per-key test). Framing: an attacker who sends sign
 * steps of public images before an honest customer sends the same images makes the customer's rows
 * look like children of the attacker's: the customer is then credited, once per attacker's row
 * ({@link ChildKey#creditedBefore}: a camera's frames of one scene near one such row count once). Needs the
 * exact images (bytes) and order the customer will send; the reason names the attacker's key as parent.
 *
 * <p>Narrow inputs (every coordinate stored, {@code m == width}): when the coordinates' spreads are
 * of mixed scales (the largest 16 times the median or more: tabular data) rows are stored and
 * searched in units of each coordinate's spread, from its median ({@link StoreScales}); under {@link
 * SignSteps#FLAT_MIN_MOVED} inputs, and on wider ones of mixed scales, a searched row also keeps its
 * {@value ParentSearch#NARROW_CANDIDATES} nearest candidates (the key's own rows included) and counts
 * as a step when its move from one of them repeats a move of one of the key's last searched rows
 * ({@link NarrowMoves}): per-feature JbDA steps move each coordinate by the same amount every time
 * (detectors/README: "Narrow inputs").
 *
 * <p>Sampling (the search where the evidence is): every row is stored, but a row is searched only
 * when its key is young (fewer than {@code search_all_rows} (64) rows seen: new keys, and a Sybil's
 * many fresh keys), hot (a sign step among its last {@value #HOT_ROWS} searched rows), or else with
 * probability 1/{@code sample} (8), drawn per row from a secret generator (SecureRandom-seeded). The
 * score is the share of searched rows that were steps, so sampling does not bias it. What it leaves
 * open: old, cold keys that each send a few steps (detectors/README: "Aged, cold keys").
 *
 * <p>Cost per searched row: one pass over the class's contiguous band records ({@link ClassBand}), a
 * bound per row from its sketch, and a full distance for the few rows whose bound can beat the
 * third-nearest ({@link ParentSearch}). Cost per stored row (every row): one pass over the sampled
 * coordinates to load them, one to quantise them and build the band record ({@link LoadedRow}), and
 * an append to the class's band: at most 2 records written per row stored ({@code CrossKeyCostTest}).
 * No allocation once the ring, the class arrays and the key's record ({@link ChildKey}) exist. Not
 * thread-safe: one instance per engine, used by the worker that owns it.
 *
 * <p>Where the parts live: this class reads the parameters ({@link Settings}), picks each row's
 * store, decides which rows are searched, puts the candidates to the sign-step shapes (the copy rule,
 * the re-send and once-per-parent rules), keeps each key's window and gives its score and reason; a
 * store is a {@link WidthStore} of {@link ClassBand}s, written through a {@link LoadedRow}, its units
 * kept by {@link StoreScales}; the candidates come from {@link ParentSearch}, the repeated move from
 * {@link NarrowMoves}, and what is known of a child key, with the parents it was credited with, is
 * its {@link ChildKey}.
 */
public final class CrossKeyParents {

    public static final String NAME = "cross_key";
    /** Every parameter this detector takes, with its range: what {@link Params} reads and checks. */
    public static final List<ParamSpec> PARAMETERS = List.of(
            new Whole("store_size", 16, 1_000_000),
            new Whole("coordinates", SignSteps.MIN_MOVED, 4096),
            new Whole("window", 10, 100_000),
            new Whole("min_hits", 1, 100_000),
            new Decimal("step_low", 0.0, 1.0),
            new Decimal("step_high", 0.0, 1.0),
            new Decimal("step_min_fraction", 0.0, 1.0),
            new Whole("max_keys", 1, 10_000_000),
            new Whole("sample", 1, 1_000_000),
            new Whole("search_all_rows", 0, 1_000_000_000),
            new Whole("sample_seed", Long.MIN_VALUE, Long.MAX_VALUE));
    /**
     * Bytes a slot takes besides its coded row: its band record, its slot and key hash in the band,
     * its place in the band, its class, offset and step, the key reference, and the search's bound.
     */
    static final int SLOT_BYTES = 4 * (SKETCH + 1) + 4 + 4 + 4 + 4 * 3 + 8 + 4;

    /**
     * Searched rows a key stays hot after a sign step: every row of it is searched until this many
     * in a row found none (the sampling's 1/{@code sample} draw only decides a cold key's rows).
     */
    static final int HOT_ROWS = 64;

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
            int sample,
            int searchAllRows,
            Long sampleSeed) {

        public static Settings from(Map<String, Object> raw) {
            Params p = new Params(NAME, raw == null ? Map.of() : raw, PARAMETERS);
            Map<String, Object> r = raw == null ? Map.of() : raw;
            Settings s = new Settings(
                    (int) p.integer("store_size", 4096),
                    (int) p.integer("coordinates", 128),
                    (int) p.integer("window", 200),
                    (int) p.integer("min_hits", 4),
                    p.number("step_low", 0.05),
                    p.number("step_high", 0.15),
                    p.number("step_min_fraction", 0.02),
                    (int) p.integer("max_keys", 65_536),
                    (int) p.integer("sample", 8),
                    (int) p.integer("search_all_rows", 64),
                    r.containsKey("sample_seed") ? p.integer("sample_seed", 0) : null);
            if (s.stepHigh <= s.stepLow) {
                throw p.fail("step_high", s.stepHigh, "greater than step_low (" + s.stepLow + ")");
            }
            if ((long) s.storeSize * (ByteRows.stride(s.coordinates) + (long) SLOT_BYTES) > MAX_STORE_BYTES) {
                throw p.fail(
                        "store_size",
                        s.storeSize,
                        "at most " + MAX_STORE_BYTES / (ByteRows.stride(s.coordinates) + (long) SLOT_BYTES)
                                + " rows with " + s.coordinates
                                + " coordinates (a store of at most 256 MiB per width)");
            }
            if (s.minHits > s.window) {
                throw p.fail("min_hits", s.minHits, "at most window (" + s.window + ")");
            }
            return s;
        }
    }

    private final Settings settings;
    private final SignSteps signSteps;
    /** The row being searched or stored: its sample, range and band record. */
    private final LoadedRow row;
    /** The loaded row's sample ({@link LoadedRow#x}). */
    private final float[] x;
    /** The search for a row's candidate parents, and its re-send test. */
    private final ParentSearch parentSearch;
    /** The repeated-move test of narrow and mixed-scale stores. */
    private final NarrowMoves narrowMoves;
    /** The estimate of each store's scales, and the re-coding of its rows when they change. */
    private final StoreScales scales;

    private final float[] parent;
    private final java.util.SplittableRandom sampler;
    /**
     * Decides which rows of an old, cold key are searched (1 in {@code sample}): secret (seeded from
     * SecureRandom) and drawn per row, so no key can count its way to the rows that are skipped.
     */
    private final java.util.SplittableRandom rowDraw;
    /** The store last fed (most gateways serve one width: no map look-up, no boxing). */
    private WidthStore last;

    private final Map<Integer, WidthStore> stores = new LinkedHashMap<>(16, 0.75f, true);
    private final LinkedHashMap<String, ChildKey> records;
    private long searches;
    private long hits;
    private long tested;
    private long storedOnly;
    /** Rows of old, cold keys stored without a search because the 1/{@code sample} draw passed them over. */
    private long sampledOut;
    /** Rows put to the search (whether or not a candidate parent was found). */
    private long searched;
    /** Steps left uncounted as re-sends of the key's own rows, for probes. */
    private long resends;

    /** Steps left uncounted because the key was credited with one from the same parent ({@link ChildKey#creditedBefore}). */
    private long sameParents;

    /** Stores made so far (each store's {@link WidthStore#id}). */
    private long storesMade;

    /** Steps left uncounted because the key was credited with one from the same parent before, for probes. */
    public long sameParents() {
        return sameParents;
    }

    /** Steps left uncounted because the key had sent the query before ({@link ParentSearch#resent}), for probes. */
    public long resends() {
        return resends;
    }

    /** {@code evicted} hears each key whose record the bound on keys drops (its score is gone). */
    public CrossKeyParents(Settings settings, Consumer<String> evicted) {
        this.settings = settings;
        this.signSteps = new SignSteps(settings.coordinates());
        this.row = new LoadedRow(settings.coordinates());
        this.x = row.x;
        this.parentSearch = new ParentSearch(row);
        this.parent = new float[settings.coordinates()];
        this.narrowMoves = new NarrowMoves(x, parent, parentSearch.candSlots);
        this.scales = new StoreScales(row);

        this.sampler = new java.util.SplittableRandom(
                settings.sampleSeed() != null ? settings.sampleSeed() : new java.security.SecureRandom().nextLong());
        this.rowDraw = new java.util.SplittableRandom(
                settings.sampleSeed() != null
                        ? settings.sampleSeed() * 0x9E3779B97F4A7C15L + 1
                        : new java.security.SecureRandom().nextLong());
        int max = settings.maxKeys();
        Consumer<String> onEvict = evicted == null ? k -> {} : evicted;
        this.records = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, ChildKey> eldest) {
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
        ChildKey rec = null;
        for (int r = 0; r < inputs.length; r++) {
            WidthStore st = loadRow(inputs[r], predictions[r]);
            if (st == null) {
                continue;
            }
            int c = loadedClass;
            if (rec == null) {
                rec = records.get(keyId);
                if (rec == null) {
                    rec = new ChildKey(settings.window());
                    records.put(keyId, rec);
                }
            }
            // young keys (new keys: a Sybil's many fresh keys) and hot ones (a sign step among their last
            // HOT_ROWS searched rows) are searched on every row; an old, cold key's rows 1 in `sample`
            boolean search = rec.rows < settings.searchAllRows()
                    || rec.hotLeft > 0
                    || settings.sample() == 1
                    || rowDraw.nextInt(settings.sample()) == 0;
            rec.rows++;
            int m = st.m;
            // the key's largest value over every row it sent, searched or not
            // (the largest |value| is at one end of the row: no pass over x)
            float rowScale = Math.max(0f, Math.max(Math.abs(row.xLo), Math.abs(row.xHi)));
            if (rec.epoch != st.epoch) {
                // the store's units changed (rescale): what the key sent before is in the old ones
                rec.epoch = st.epoch;
                rec.scale = 0;
                rec.moveCount = 0;
                rec.moveNext = 0;
            }
            rec.scale = Math.max(rec.scale, rowScale);
            if (!search) {
                sampledOut++;
                add(st, c, h, keyId);
                continue;
            }
            searched++;
            if (rec.hotLeft > 0) {
                rec.hotLeft--;
            }
            // inputs too narrow for the flat shape, or every coordinate stored and of mixed scales
            // (tabular data): more candidates, for the repeated move
            boolean narrow = repeats(st);
            parentSearch.want = narrow ? NARROW_CANDIDATES : CANDIDATES;
            parentSearch.skipOwn = !narrow;
            int found = parentSearch.candidates(st, c, h);
            // an identical row (the same public image sent by two customers) is no step, and the row
            // goes uncounted, as before
            if (found > 0 && parentSearch.candDist[0] > 0) {
                searches++;
                // the copy rule's smallest step from the smaller of the key's largest value and this
                // row's: one outlier row would raise rec.scale for good and make every neighbour a copy
                float minStep = (float) (settings.stepMinFraction() * Math.min(rec.scale, rowScale));
                int stride = ByteRows.stride(m);
                // a copy of the row (too near for even SignSteps.MIN_MOVED coordinates to have moved by
                // the smallest step: a re-encoded public image) ends the test after it: what lies behind
                // a copy is another image, and natural neighbours of whole-number images often look
                // like equal steps. A decoy that near is itself a step from the parent (its key is
                // credited); a farther one is passed over.
                boolean copy = parentSearch.candDist[0] < SignSteps.MIN_MOVED * minStep * minStep;
                int tests = copy ? 1 : found;
                boolean hit = false;
                float hitDist = 0;
                int hitSlot = -1;
                // nearest first; the first sign step ends it (a decoy nearer than the parent is passed over)
                for (int k = 0, other = 0; k < tests && other < CANDIDATES && !hit; k++) {
                    int slot = parentSearch.candSlots[k];
                    if (!parentSearch.skipOwn && st.keys[slot].equals(keyId)) {
                        // a narrow store's own rows are for the repeated move only
                        continue;
                    }
                    other++;
                    int base = slot * stride;
                    ByteRows.decode(st.rows, base, m, parent);
                    float step = st.steps[slot];
                    float quantError = step == 1f ? 0f : step / 2;
                    tested++;
                    // the floor capped by the displacement's own values, as PRADA's: one outlier row would
                    // raise rec.scale for good (OutlierQueryTest.oneOutlierRowDoesNotBlindCrossKeyParents)
                    // on a sample of a wide input, the data's last digit moving is no step (SignSteps#lastDigits)
                    float fraction = (float) settings.stepMinFraction();
                    signSteps.inOrder(m >= inputs[r].length);
                    hit = signSteps.isStepAcross(x, parent, m, fraction, rec.scale, quantError)
                            && !(m < inputs[r].length
                                    && signSteps.lastDigits(inputs[r], x, parent, m, quantError, fraction, rec.scale));
                    if (hit) {
                        hitDist = parentSearch.candDist[k];
                        hitSlot = slot;
                    }
                }
                if (hit && parentSearch.skipOwn && parentSearch.resent(st, c, h, keyId, hitDist)) {
                    // the key sent this query before: its step was counted when it was new, and a
                    // re-send neither counts again nor dilutes the key's window
                    resends++;
                    add(st, c, h, keyId);
                    continue;
                }
                if (hit && creditedBefore(st, rec, hitSlot)) {
                    // the key was credited with a step from this parent before (a camera's frames of
                    // one scene near it): neither counted again nor diluting, as a re-send
                    sameParents++;
                    rec.sameParents++;
                    add(st, c, h, keyId);
                    continue;
                }
                if (hit) {
                    hits++;
                    rec.hotLeft = HOT_ROWS;
                    rec.lastParent = st.keys[hitSlot];
                    credit(st, rec, hitSlot);
                }
                if (narrow) {
                    // a copy ends the test (as above): it is neither tested nor kept, and the key's last
                    // moves stay (a near-copy of a public record sent after each child must not wipe them)
                    String by = copy ? null : narrowMoves.repeatedMove(st, rec, found, m);
                    if (by != null && !hit) {
                        hit = true;
                        hits++;
                        repeatHits++;
                        rec.repeated++;
                        rec.hotLeft = HOT_ROWS;
                        rec.lastParent = by;
                    }
                }
                rec.steps.add(hit);
            }
            add(st, c, h, keyId);
        }
        if (rec == null) {
            return 0;
        }
        return score(rec);
    }

    /**
     * Stores an event's rows without searching them: what the engine does with the rows of a search
     * it sheds (its worker is behind), so that a flood never keeps a parent out of the store. An
     * insert costs a sixth or less of a search.
     */
    public void store(String keyId, double[][] inputs, double[][] predictions) {
        int h = keyId.hashCode();
        for (int r = 0; r < inputs.length; r++) {
            WidthStore st = loadRow(inputs[r], predictions[r]);
            if (st == null) {
                continue;
            }
            int c = loadedClass;
            add(st, c, h, keyId);
            storedOnly++;
        }
    }

    private double score(ChildKey rec) {
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
        ChildKey rec = records.get(keyId);
        if (rec == null) {
            return null;
        }
        return String.format(
                Locale.ROOT,
                "cross_key: %d of last %d queries with a candidate are sign steps from another key's query%s%s%s"
                        + " (%d queries seen, need %d steps)",
                rec.steps.count(),
                rec.steps.filled(),
                rec.lastParent == null ? "" : " (last parent sent by key " + rec.lastParent + ")",
                rec.repeated == 0
                        ? ""
                        : " (" + rec.repeated
                                + " by a move the key repeated, per-feature steps, its own rows as parents too)",
                rec.sameParents == 0
                        ? ""
                        : " (" + rec.sameParents + " more from a parent already counted, not counted again)",
                rec.rows,
                settings.minHits());
    }

    /** Rows held over every width. */
    public int rowsHeld() {
        int n = 0;
        for (WidthStore s : stores.values()) {
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

    /** Rows stored without a search ({@link #store}). */
    public long storedOnly() {
        return storedOnly;
    }

    /** Rows put to the parent search since the start (young, hot, or drawn). */
    public long searched() {
        return searched;
    }

    /** Rows of old, cold keys stored without a search because the 1/{@code sample} draw passed them over. */
    public long sampledOut() {
        return sampledOut;
    }

    /** Candidate parents put to the sign-step test. */
    public long tested() {
        return tested;
    }

    /** Rows of the query's class band bounded by their sketch since the start. */
    public long banded() {
        return parentSearch.banded;
    }

    /** Rows compared over the sketch since the start. */
    public long sketched() {
        return parentSearch.sketched;
    }

    /** Rows whose sketch bound did not rule them out, compared over every coordinate. */
    public long compared() {
        return parentSearch.compared;
    }

    /** The predicted class of the row {@link #loadRow} loaded last. */
    private int loadedClass;

    /**
     * Loads a row into the scratch of its width's store and returns that store, with its predicted
     * class in {@link #loadedClass}; null for a row that is skipped (missing, empty, or no class).
     */
    private WidthStore loadRow(double[] input, double[] prediction) {
        if (input == null || prediction == null || input.length == 0) {
            return null;
        }
        int c = Rows.argmax(prediction);
        if (c < 0) {
            return null;
        }
        WidthStore st = store(input.length);
        row.load(st, input);
        loadedClass = c;
        return st;
    }

    private WidthStore store(int width) {
        if (last != null && last.width == width) {
            return last;
        }
        WidthStore st = stores.get(width);
        last = st;
        if (st == null) {
            if (stores.size() >= MAX_WIDTHS) {
                // the store fed the fewest rows goes, not the least recently fed: a few rows of odd
                // widths (on a route that takes any width) must not wipe the real width's ring and
                // every parent in it (CrossKeyParentsTest.oddWidthsDoNotWipeTheStore)
                WidthStore fewest = null;
                for (WidthStore o : stores.values()) {
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
                stride = StepSample.stride(sampler, m, width, start);
            }
            st = new WidthStore(storesMade++, width, m, start, stride, settings.storeSize());
            stores.put(width, st);
            last = st;
        }
        return st;
    }

    /** Band records written by inserts and evictions since the start, over the stores held (cost accounting). */
    long moved() {
        long n = 0;
        for (WidthStore st : stores.values()) {
            for (ClassBand b : st.bands) {
                n += b == null ? 0 : b.moved;
            }
        }
        return n;
    }

    private void add(WidthStore st, int c, int keyHash, String keyId) {
        int slot = st.next;
        if (st.count == st.keys.length) {
            // the ring is full: the oldest row leaves its class's band
            st.bands[st.classes[slot]].remove(st.bandAt[slot], st.bandAt);
        }
        System.arraycopy(row.rawX, 0, st.raw, st.rawNext * st.m, st.m);
        int rawRows = st.raw.length / st.m;
        st.rawNext = st.rawNext + 1 == rawRows ? 0 : st.rawNext + 1;
        st.rawCount = Math.min(st.rawCount + 1, rawRows);
        row.place(st, slot, c, keyHash);
        st.keys[slot] = keyId;
        st.total++;
        st.next = slot + 1 == st.keys.length ? 0 : slot + 1;
        if (st.count < st.keys.length) {
            st.count++;
        }
        if (st.total >= st.nextRescale) {
            st.nextRescale = st.total < RAW_ROWS ? RAW_ROWS : st.total + rescaleEvery(st);
            scales.rescale(st);
        }
    }

    /** Pairs of moves compared by {@link NarrowMoves#repeatedMove}, and rows it found a step, since the start. */
    long repeatPairs() {
        return narrowMoves.repeatPairs;
    }

    long repeatHits() {
        return repeatHits;
    }

    private long repeatHits;

    /** The narrow store's per-coordinate factors and centres for this width (null: raw units; tests). */
    float[][] units(int width) {
        WidthStore st = stores.get(width);
        return st == null || st.inv == null ? null : new float[][] {st.inv.clone(), st.centre.clone()};
    }

    /** Times a narrow store's scales changed and its rows were re-coded, since the start (tests). */
    long rescaled() {
        return scales.rescaled;
    }
}
