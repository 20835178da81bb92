package dev.moat.gateway.state;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link StateStore} shared by every instance through Redis. Reads come from the local view
 * (inherited); a write changes the local view at once, then a writer thread stores it in Redis and
 * publishes it on {@code moat:changes} ({@code moat:changes:N} for database N other than 0: Redis has one
 * set of channels per server, and a deployment on another database of the server, such as a staging,
 * would otherwise apply its changes here), where every other instance applies it to its own view
 * (within a few milliseconds: well inside the 1 s promise). Layout, under the prefix {@code moat:}:
 *
 * <ul>
 *   <li>{@code moat:block:ID}: a block as JSON, expiring (PX) when the block ends
 *   <li>{@code moat:risk:ID}: a shared risk as JSON, expiring (PX) at the time to live its writer gives
 *       it (the gateway's: {@link #SHARED_RISK_LIFE_MILLIS}, 8 risk half-lives, when 1/256 of it is left);
 *       the local view drops it then too (a risk read from Redis, when its entry's PTTL runs out), so
 *       a risk is never written back past its life
 *   <li>hashes {@code moat:unblocked} (an operator's last unblock, kept for {@link
 *       #UNBLOCK_MARK_HORIZON_MILLIS}, 45 days), {@code moat:forgotten} (an operator's last reset, kept
 *       for {@link #RESET_MARK_HORIZON_MILLIS}, 30 days), {@code moat:revoked} (id to millis), {@code
 *       moat:keys} (id to JSON)
 * </ul>
 *
 * <p>Revocations and runtime keys are kept for good; blocks and shared risks expire on their own.
 * The two hashes of marks are pruned by each unblock or reset (of the marks of its kind) and by each
 * read of the shared view (of both), here and in Redis; a mark past its horizon is not applied.
 *
 * <p>When Redis is unreachable, writes stay in the local view and in a replay queue; once Redis
 * answers again the queue is written first, then the whole Redis view is read back (a change
 * published while this instance was cut off is not lost: blocks absent from Redis are dropped,
 * others added; blocks, shared risks, and unblock and reset marks Redis lost, e.g. in a restart
 * without persistence, written back; but what this instance did to a key an operator reset elsewhere meanwhile is dropped, its
 * evidence of the key included: the operator's reset wins). The same full read runs at start, so a restarted instance finds every block; until one has
 * succeeded, {@link #viewRead()} is false and the gateway answers 503 rather than serve keys whose
 * blocks it has not read.
 */
public final class RedisStateStore extends InMemoryStateStore {

    private static final String BLOCK = "moat:block:";
    private static final String RISK = "moat:risk:";
    private static final String UNBLOCKED = "moat:unblocked";
    private static final String FORGOTTEN = "moat:forgotten";
    /** HSET KEYS[1] ARGV[1] ARGV[2] unless the field holds a larger number already. */
    private static final String NEWER_MARK = "local old = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))"
            + " if old == nil or old < tonumber(ARGV[2]) then return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])"
            + " end return 0";

    /**
     * How long a reset's mark is kept, here and in {@code moat:forgotten}: 30 days. A mark matters only
     * to an instance that was cut off from Redis when the reset was made (the others forgot the key at
     * once): on its return, it drops what it holds of the key from before the reset instead of writing
     * it back. No finite time covers every outage (a cut-off instance's evidence of a key that keeps
     * querying it never ages out), so this is the longest outage after which an instance is expected to
     * rejoin as it is; one cut off longer should be restarted (its first read takes the shared view as
     * it stands). Marks this old are dropped, not applied, by a read of the shared view, so an instance
     * whose clock runs ahead drops them alike. Resets are an operator's, so the hash holds a month's.
     */
    static final long RESET_MARK_HORIZON_MILLIS = REJOIN_HORIZON_MILLIS;

    /**
     * HDEL KEYS[1] each field of ARGV[2..] whose time is still older than ARGV[1]: a reset or unblock
     * made on another instance between the scan and this keeps its newer mark, and what is not a number
     * (by hand, or another version's) is left alone.
     */
    private static final String PRUNE_MARKS = "local n = 0 for i = 2, #ARGV do"
            + " local at = tonumber(redis.call('HGET', KEYS[1], ARGV[i]))"
            + " if at ~= nil and at < tonumber(ARGV[1]) then n = n + redis.call('HDEL', KEYS[1], ARGV[i]) end"
            + " end return n";

    private static final String REVOKED = "moat:revoked";
    private static final String KEYS = "moat:keys";

    private static final Logger LOG = LoggerFactory.getLogger(RedisStateStore.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    /** One change as stored and published. */
    record Op(String origin, String op, String id, long at, Block block, KeyRecord key, Risk risk, long ttl) {}

    private final RedisLink link;
    private final InstantSource clock;
    private final String origin = UUID.randomUUID().toString();
    private final String channel;
    /**
     * The newest reset of each key this instance knows of, made here or elsewhere (epoch millis), for
     * {@link #RESET_MARK_HORIZON_MILLIS}.
     */
    private final ConcurrentHashMap<String, Long> forgottenAt = new ConcurrentHashMap<>();

    private final List<java.util.function.Consumer<String>> resetListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    private volatile boolean viewRead;
    private final ConcurrentLinkedQueue<Op> replay = new ConcurrentLinkedQueue<>();
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "moat-state-redis");
        t.setDaemon(true);
        return t;
    });

    public RedisStateStore(RedisLink link, InstantSource clock) {
        super(clock);
        this.link = link;
        this.clock = clock;
        this.channel = link.database() == 0 ? "moat:changes" : "moat:changes:" + link.database();
        link.subscribe(ps -> {
            ps.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String from, String message) {
                    if (channel.equals(from)) {
                        receive(message);
                    }
                }
            });
            ps.async().subscribe(channel);
        });
        link.onUp(() -> writer.execute(this::resync));
    }

    /** Reads the whole Redis view now (at start, before traffic), waiting up to the store timeout. */
    public void loadNow() {
        try {
            // once: Redis answering at start already queued a read (onUp), and each logged that it read
            writer.submit(() -> {
                        if (!viewRead) {
                            resync();
                        }
                    })
                    .get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.warn("shared state not read from Redis at start: no answer within 5 s; it will be once Redis answers");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.warn("shared state not read from Redis at start: {}", plainly(e.getCause()));
        }
    }

    /** What went wrong, as its message says it (an operator reads it; a Java class name says little). */
    static String plainly(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? "unexpected " + e.getClass().getSimpleName() : m;
    }

    /**
     * True once the whole shared view has been read from Redis (at start, or when Redis first
     * answers): before, this instance knows no block, revocation or runtime key of the others'.
     */
    public boolean viewRead() {
        return viewRead;
    }

    @Override
    public String health() {
        return link.up() ? "redis-up" : "redis-down";
    }

    @Override
    public CompletionStage<Void> putBlock(Block block) {
        applyBlock(block);
        notifyListeners(block.keyId());
        // when it was made: an operator's block made after a reset elsewhere outlives it (resync)
        return push(new Op(origin, "block", block.keyId(), clock.millis(), block, null, null, 0));
    }

    @Override
    public CompletionStage<Void> unblock(String keyId, long atMillis) {
        applyUnblock(keyId, atMillis);
        notifyListeners(keyId);
        return push(new Op(origin, "unblock", keyId, atMillis, null, null, null, 0));
    }

    @Override
    public CompletionStage<Void> forget(String keyId) {
        long at = clock.millis();
        markReset(keyId, at);
        applyForget(keyId);
        notifyListeners(keyId);
        return push(new Op(origin, "forget", keyId, at, null, null, null, 0));
    }

    @Override
    public void addResetListener(java.util.function.Consumer<String> onReset) {
        resetListeners.add(onReset);
    }

    @Override
    public CompletionStage<Void> putKey(KeyRecord key) {
        applyKey(key);
        notifyListeners(key.id());
        return push(new Op(origin, "key", key.id(), 0, null, key, null, 0));
    }

    @Override
    public CompletionStage<Void> revoke(String keyId, long atMillis) {
        applyRevoke(keyId, atMillis);
        notifyListeners(keyId);
        return push(new Op(origin, "revoke", keyId, atMillis, null, null, null, 0));
    }

    @Override
    public CompletionStage<Void> putRisk(String id, Risk risk, long ttlMillis) {
        applyRisk(id, risk, risk.atMillis() + ttlMillis);
        notifyListeners(id);
        return push(new Op(origin, "risk", id, 0, null, null, risk, ttlMillis));
    }

    private static final String PENDING =
            "applied on this instance; Redis is unreachable: written there, and so seen by the other instances,"
                    + " when it answers again (lost if this instance stops before that)";

    /** Stores and publishes a change on the writer thread; a failure keeps it for replay. */
    private CompletionStage<Void> push(Op op) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        writer.execute(() -> {
            if (!replay.isEmpty()) { // keep the order: behind what waits for Redis
                replay.add(op);
                done.completeExceptionally(new Deferred(PENDING, null));
                return;
            }
            try {
                write(op);
                done.complete(null);
            } catch (RuntimeException e) {
                replay.add(op);
                link.markDown();
                done.completeExceptionally(new Deferred(PENDING, e));
            }
        });
        return done;
    }

    private void write(Op op) {
        RedisCommands<String, String> r = commands();
        long now = clock.millis();
        switch (op.op()) {
            case "block" -> {
                long ttl = op.block().untilEpochMillis() - now;
                if (ttl > 0) {
                    r.set(BLOCK + op.id(), json(op.block()), SetArgs.Builder.px(ttl));
                }
            }
            case "unblock" -> {
                r.del(BLOCK + op.id());
                newerMark(r, UNBLOCKED, op.id(), op.at()); // an unblock replayed late hides no newer one
                // each unblock prunes: the hash grows by no more than the unblocks within the horizon
                pruneMarks(r, UNBLOCKED, now - UNBLOCK_MARK_HORIZON_MILLIS);
            }
            case "forget" -> {
                r.del(BLOCK + op.id(), RISK + op.id());
                r.hdel(UNBLOCKED, op.id());
                // kept for an instance cut off now: on its return, what it holds of the key is older. Only a
                // newer time is written: a reset replayed late by an instance that was cut off must not
                // hide a newer one made elsewhere meanwhile
                newerMark(r, FORGOTTEN, op.id(), op.at());
                // each reset prunes: the hash grows by no more than the resets within the horizon
                pruneMarks(r, FORGOTTEN, now - RESET_MARK_HORIZON_MILLIS);
            }
            case "key" -> r.hset(KEYS, op.id(), json(op.key()));
            case "revoke" -> {
                r.hset(REVOKED, op.id(), Long.toString(op.at()));
                r.hdel(KEYS, op.id());
            }
            case "risk" -> {
                long ttl = op.risk().atMillis() + op.ttl() - now;
                if (ttl > 0) {
                    r.set(RISK + op.id(), json(op.risk()), SetArgs.Builder.px(ttl));
                }
            }
            default -> throw new IllegalArgumentException("unknown op " + op.op());
        }
        r.publish(channel, json(op));
    }

    /** Sets the mark of {@code id} in {@code hash} to {@code atMillis} unless Redis holds a newer one. */
    private static void newerMark(RedisCommands<String, String> r, String hash, String id, long atMillis) {
        r.eval(NEWER_MARK, io.lettuce.core.ScriptOutputType.INTEGER, new String[] {hash}, id, Long.toString(atMillis));
    }

    private RedisCommands<String, String> commands() {
        var c = link.store();
        if (c == null) {
            throw new IllegalStateException("not connected to Redis");
        }
        return c.sync();
    }

    /** A change published by an instance (ours are already applied). */
    private void receive(String message) {
        Op op;
        try {
            op = JSON.readValue(message, Op.class);
        } catch (IOException e) {
            LOG.warn("ignored a malformed message on {}", channel);
            return;
        }
        if (origin.equals(op.origin())) {
            return;
        }
        apply(op);
        notifyListeners(op.id());
    }

    private void apply(Op op) {
        switch (op.op()) {
            case "block" -> applyBlock(op.block());
            case "unblock" -> applyUnblock(op.id(), op.at());
            case "forget" -> forgetElsewhere(op.id(), op.at());
            case "key" -> applyKey(op.key());
            case "revoke" -> applyRevoke(op.id(), op.at());
            case "risk" -> applyRisk(op.id(), op.risk(), op.risk().atMillis() + op.ttl());
            default -> LOG.warn("ignored unknown change {}", op.op());
        }
    }

    /**
     * A reset made on another instance: the key's block, risk and unblock mark go, and so does this
     * instance's own evidence (the reset listeners), which the load balancer may have gathered here.
     * The listeners hear of it first: a request between the two met no block or risk here and this
     * instance's old verdict, and shared them again.
     */
    private void forgetElsewhere(String keyId, long atMillis) {
        markReset(keyId, atMillis);
        for (java.util.function.Consumer<String> l : resetListeners) {
            l.accept(keyId);
        }
        applyForget(keyId);
    }

    /** Records a reset of {@code keyId} and drops the marks past the horizon, so that the map stays bounded. */
    private void markReset(String keyId, long atMillis) {
        forgottenAt.merge(keyId, atMillis, Math::max);
        dropMarksBefore(forgottenAt, clock.millis() - RESET_MARK_HORIZON_MILLIS);
    }

    /**
     * Drops the marks older than {@code horizon} from {@code hash} ({@code moat:forgotten} or {@code
     * moat:unblocked}): scanned in pages, each stale page deleted by {@link #PRUNE_MARKS}, so several
     * instances pruning at once, or one resetting or unblocking a key meanwhile, delete nothing newer.
     */
    private static void pruneMarks(RedisCommands<String, String> r, String hash, long horizon) {
        ScanArgs args = ScanArgs.Builder.limit(500);
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            io.lettuce.core.MapScanCursor<String, String> page = r.hscan(hash, cursor, args);
            List<String> stale = new ArrayList<>();
            stale.add(Long.toString(horizon));
            page.getMap().forEach((id, at) -> {
                Long mark = quietMillis(at);
                if (mark != null && mark < horizon) {
                    stale.add(id);
                }
            });
            if (stale.size() > 1) {
                r.eval(
                        PRUNE_MARKS,
                        io.lettuce.core.ScriptOutputType.INTEGER,
                        new String[] {hash},
                        stale.toArray(new String[0]));
            }
            cursor = page;
        } while (!cursor.isFinished());
    }

    /** Writes what could not be written, then reads the whole Redis view into the local one. */
    private void resync() {
        try {
            // listen again before re-reading: a change published between the two is then either in
            // what we read or delivered to us
            link.confirmSubscribed(channel);
            // resets made elsewhere while this instance was cut off: its blocks and risks of those keys
            // (held, or waiting to be written) predate the operator's reset and are dropped with the
            // key's evidence here, before anything is written back
            // (the first read is of history: this instance served nothing before it, so holds nothing to forget)
            boolean first = !viewRead;
            Set<String> reset = new HashSet<>();
            // marks past the horizon go, here and in Redis; one still there (written back by an instance
            // whose clock runs behind) is not applied: this instance may have dropped its own copy
            long horizon = clock.millis() - RESET_MARK_HORIZON_MILLIS;
            dropMarksBefore(forgottenAt, horizon);
            pruneMarks(commands(), FORGOTTEN, horizon);
            commands().hgetall(FORGOTTEN).forEach((id, at) -> {
                Long mark = millis(FORGOTTEN, id, at);
                if (mark == null || mark < horizon) {
                    return;
                }
                if (first) {
                    forgottenAt.merge(id, mark, Math::max);
                } else if (mark > forgottenAt.getOrDefault(id, 0L)) {
                    reset.add(id);
                    forgetElsewhere(id, mark);
                }
            });
            replay.removeIf(o -> reset.contains(o.id())
                    && (o.op().equals("risk") || (o.op().equals("block") && !operatorsAfterReset(o))));
            // an operator's block made here after that reset is the newer word: kept, and written below
            for (Op o : replay) {
                if (reset.contains(o.id()) && o.op().equals("block")) {
                    applyBlock(o.block());
                }
            }
            Op op;
            while ((op = replay.peek()) != null) {
                write(op);
                replay.poll();
            }
            RedisCommands<String, String> r = commands();
            // unblock marks past their horizon go alike, here (before any is written back) and in Redis;
            // one still there is not applied, nor taken for an unblock made elsewhere
            long unblockHorizon = unblockHorizon();
            pruneUnblockMarks();
            pruneMarks(r, UNBLOCKED, unblockHorizon);
            Set<String> touched = new HashSet<>();
            Set<String> inRedis = new HashSet<>();
            for (String k : scan(r, BLOCK + "*")) {
                String v = r.get(k);
                if (v != null) {
                    Block b = parsed(k, v, Block.class);
                    if (b == null || b.keyId() == null) {
                        // unreadable (written by hand, or by another version): the key stays blocked for the
                        // entry's time to live, rather than an operator's block dropped for its form
                        long ttl = r.pttl(k);
                        b = new Block(
                                k.substring(BLOCK.length()),
                                clock.millis() + (ttl > 0 ? ttl : UNREADABLE_BLOCK_MILLIS),
                                "unreadable block in Redis",
                                "redis");
                    }
                    inRedis.add(b.keyId());
                    if (!b.equals(block(b.keyId(), clock.millis()))) {
                        applyBlock(b);
                        touched.add(b.keyId());
                    }
                }
            }
            Map<String, String> marks = r.hgetall(UNBLOCKED);
            writeBackMarks(r, marks);
            long now = clock.millis();
            for (Block b : blocks(now).values()) {
                if (inRedis.contains(b.keyId())) {
                    continue;
                }
                Long mark = millis(UNBLOCKED, b.keyId(), marks.get(b.keyId()));
                if (mark != null && mark >= unblockHorizon && mark > unblockedAt(b.keyId())) {
                    applyUnblock(b.keyId(), mark); // lifted elsewhere while we were cut off
                    touched.add(b.keyId());
                } else { // Redis lost it (restarted without persistence): ours is the only copy left
                    write(new Op(origin, "block", b.keyId(), 0, b, null, null, 0));
                }
            }
            Set<String> risksInRedis = new HashSet<>();
            for (String k : scan(r, RISK + "*")) {
                String v = r.get(k);
                long ttl = r.pttl(k);
                if (v != null && ttl > 0) {
                    String id = k.substring(RISK.length());
                    Risk risk = parsed(k, v, Risk.class);
                    if (risk == null) {
                        continue;
                    }
                    risksInRedis.add(id);
                    applyRisk(id, risk, now + ttl); // it expires here when it does there
                }
            }
            // Redis lost it: written back, as blocks are, for the rest of its life; an expired one is
            // pruned here first (heldRisks), neither held nor written back
            for (Map.Entry<String, HeldRisk> e : heldRisks().entrySet()) {
                HeldRisk held = e.getValue();
                if (!risksInRedis.contains(e.getKey()) && held.untilMillis() > now) {
                    Risk risk = held.risk();
                    write(new Op(
                            origin, "risk", e.getKey(), 0, null, null, risk, held.untilMillis() - risk.atMillis()));
                }
            }
            marks.forEach((id, at) -> {
                Long mark = millis(UNBLOCKED, id, at);
                if (mark != null) {
                    applyUnblockMark(id, Math.max(unblockedAt(id), mark));
                }
            });
            Map<String, String> revokedInRedis = r.hgetall(REVOKED);
            for (Map.Entry<String, String> e : revokedInRedis.entrySet()) {
                if (!revoked(e.getKey())) {
                    Long at = millis(REVOKED, e.getKey(), e.getValue());
                    applyRevoke(e.getKey(), at == null ? 0 : at); // revoked all the same
                    touched.add(e.getKey());
                }
            }
            for (Map.Entry<String, Long> e : revocations().entrySet()) { // a revocation is never lost
                if (!revokedInRedis.containsKey(e.getKey())) {
                    write(new Op(origin, "revoke", e.getKey(), e.getValue(), null, null, null, 0));
                }
            }
            Map<String, String> keysInRedis = r.hgetall(KEYS);
            for (Map.Entry<String, String> e : keysInRedis.entrySet()) {
                KeyRecord k = parsed(KEYS + " " + e.getKey(), e.getValue(), KeyRecord.class);
                if (k != null && k.id() != null && !revoked(k.id()) && !k.equals(keys().get(k.id()))) {
                    applyKey(k);
                    touched.add(k.id());
                }
            }
            for (KeyRecord k : keys().values()) {
                if (!keysInRedis.containsKey(k.id())) {
                    write(new Op(origin, "key", k.id(), 0, null, k, null, 0));
                }
            }
            touched.addAll(reset);
            touched.forEach(this::notifyListeners);
            viewRead = true;
            LOG.info(
                    "shared state read from Redis: {} block(s), {} revocation(s), {} runtime key(s)",
                    inRedis.size(),
                    revocations().size(),
                    keys().size());
        } catch (RuntimeException e) {
            link.markDown();
            LOG.warn("shared state not read from Redis: {}", plainly(e));
        }
    }

    /**
     * Writes back the unblock and reset marks held here that Redis lacks or holds older (a restart
     * without persistence lost them), before the shared risks are: a risk written back without the
     * unblock that followed it blocked the key again on the next instance to read it, with no new
     * evidence (the ladder blocks on a risk measured after the key's unblock mark, and found none);
     * a reset mark lost let an instance cut off during the reset write its older block back. Only a
     * newer time is written (a mark made elsewhere meanwhile stands), and nothing is published: the
     * other instances hold the mark, or read it at their next read of the view.
     */
    private void writeBackMarks(RedisCommands<String, String> r, Map<String, String> unblockedInRedis) {
        for (Map.Entry<String, Long> e : unblockMarks().entrySet()) {
            Long there = millis(UNBLOCKED, e.getKey(), unblockedInRedis.get(e.getKey()));
            if (there == null || there < e.getValue()) {
                newerMark(r, UNBLOCKED, e.getKey(), e.getValue());
            }
        }
        Map<String, String> forgottenInRedis = r.hgetall(FORGOTTEN);
        for (Map.Entry<String, Long> e : forgottenAt.entrySet()) {
            Long there = millis(FORGOTTEN, e.getKey(), forgottenInRedis.get(e.getKey()));
            if (there == null || there < e.getValue()) {
                newerMark(r, FORGOTTEN, e.getKey(), e.getValue());
            }
        }
    }

    /**
     * Whether a block waiting for Redis is an operator's, made after the key's newest reset known
     * here. The ladder's blocks of a key reset elsewhere came from evidence the reset forgot, and go
     * with it; an operator's made later must not (it was answered as made, pending Redis).
     */
    private boolean operatorsAfterReset(Op block) {
        return "admin".equals(block.block().source()) && block.at() > forgottenAt.getOrDefault(block.id(), 0L);
    }

    /** How long a block Redis holds in a form this version cannot read, and without a time to live, stays. */
    static final long UNREADABLE_BLOCK_MILLIS = TimeUnit.HOURS.toMillis(24);

    /**
     * An entry of the shared view as JSON, or null when it is not what this version writes (by hand,
     * or by another version): one such entry threw out of the whole read, so the view was never read
     * (a gateway started then answered 503 for good) and no later read succeeded either.
     */
    private static <T> T parsed(String where, String value, Class<T> type) {
        try {
            return JSON.readValue(value, type);
        } catch (IOException e) {
            LOG.warn("ignored {} in Redis: not a {} as this version writes it", where, type.getSimpleName());
            return null;
        }
    }

    /**
     * The time (epoch millis) in one of the hashes of marks, or null when there is none or it is not
     * a number. One entry written by hand, or by another version in another form, threw out of the
     * whole read of the shared view, which marked Redis down and read again, failing so forever.
     */
    private static Long millis(String hash, String id, String value) {
        if (value == null) {
            return null;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            LOG.warn("ignored the time of {} in {}: not a number", id, hash);
            return null;
        }
    }

    /** As {@link #millis}, without a warning (a prune meets what a read of the view warns of). */
    private static Long quietMillis(String value) {
        try {
            return value == null ? null : Long.parseLong(value);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static List<String> scan(RedisCommands<String, String> r, String match) {
        List<String> keys = new ArrayList<>();
        ScanArgs args = ScanArgs.Builder.matches(match).limit(500);
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = r.scan(cursor, args);
            keys.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished());
        return keys;
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Changes still waiting for Redis. */
    public int pendingWrites() {
        return replay.size();
    }

    @Override
    public void close() {
        writer.shutdown();
        try {
            writer.awaitTermination(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
