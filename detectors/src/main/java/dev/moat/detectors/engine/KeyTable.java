package dev.moat.detectors.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.InstantSource;
import java.util.function.Consumer;

/**
 * One worker's keys (or tenants): their {@link KeyEntry}s by id, at most {@code maxKeys} of them,
 * each dropped once idle for {@code idleMillis} on the engine's clock. Written by its worker only;
 * read by any thread without locks ({@link #getQuietly}: the event loops reading verdicts).
 *
 * <p>What the Caffeine cache it replaces kept per key in a node of its own (the key, the value,
 * the access time, the access-order links, a queue type) and a hash-map node (hash, key, value,
 * next), about 80 bytes, lives here in the entry itself (id, access time, access-order links: 20
 * bytes) and one reference in an open-addressing table. Entries are kept in access order, least
 * recent first: an idle key expires from the front, and past {@code maxKeys} the least recently
 * fed key is evicted (Caffeine's W-TinyLFU admitted by frequency instead; this bound is only
 * reached by more live keys than {@code max_keys}, and the key store bounds how many keys exist).
 *
 * <p>Readers never see a key move: a removal leaves a tombstone (skipped by lookups, reused by
 * inserts) and a resize builds a new array that is then published whole, so a lookup racing the
 * writer finds every key that was present throughout.
 */
final class KeyTable {

    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(KeyEntry[].class);
    /** A removed slot: lookups probe past it. */
    private static final KeyEntry TOMBSTONE = new KeyEntry("\0tombstone");

    private static final int MIN_CAPACITY = 16;

    private final long maxKeys;
    private final long idleMillis;
    private final InstantSource clock;
    /** Told the id of every entry dropped by expiry or by the size bound (not by {@link #remove}). */
    private final Consumer<String> onEvicted;

    private volatile KeyEntry[] slots = new KeyEntry[MIN_CAPACITY];
    /** Live entries (read by gauges on other threads). */
    private volatile int size;
    /** Live entries plus tombstones: what lengthens probes. */
    private int used;
    /** Access order: least recently fed first. */
    private KeyEntry head;

    private KeyEntry tail;

    KeyTable(long maxKeys, long idleMillis, InstantSource clock, Consumer<String> onEvicted) {
        this.maxKeys = Math.max(1, maxKeys);
        this.idleMillis = idleMillis;
        this.clock = clock;
        this.onEvicted = onEvicted;
    }

    /** Live entries, expired ones not yet swept included (as Caffeine's estimated size). */
    long size() {
        return size;
    }

    /** The id's entry unless expired, without counting as an access. Any thread. */
    KeyEntry getQuietly(String id) {
        KeyEntry e = find(slots, id);
        return e == null || expired(e, clock.millis()) ? null : e;
    }

    /** The id's entry (an access: it moves to the back of the access order), or null; the writer only. */
    KeyEntry get(String id) {
        long now = clock.millis();
        expire(now);
        KeyEntry[] t = slots;
        KeyEntry e = find(t, id);
        if (e == null) {
            return null;
        }
        if (expired(e, now)) {
            unlink(e);
            clear(t, id);
            onEvicted.accept(id);
            return null;
        }
        e.accessedAt(now);
        if (e != tail) {
            unlink(e);
            append(e);
        }
        return e;
    }

    /** Adds an entry for an id that has none (after {@link #get} found none); the writer only. */
    void put(KeyEntry e) {
        long now = clock.millis();
        expire(now);
        if (used + 1 > slots.length - (slots.length >>> 2)) {
            // past 3/4 full: double when live keys fill half, else just drop the tombstones
            rehash(size + 1 > slots.length >>> 1 ? slots.length << 1 : slots.length);
        }
        KeyEntry[] t = slots;
        int mask = t.length - 1;
        int i = index(e.key, mask);
        int reuse = -1;
        for (KeyEntry s; (s = (KeyEntry) SLOTS.getAcquire(t, i)) != null; i = (i + 1) & mask) {
            if (s == TOMBSTONE) {
                if (reuse < 0) {
                    reuse = i;
                }
            } else if (s.key.equals(e.key)) {
                throw new IllegalStateException("an entry for the id is present");
            }
        }
        if (reuse >= 0) {
            i = reuse;
        } else {
            used++;
        }
        e.accessedAt(now);
        SLOTS.setRelease(t, i, e);
        append(e);
        size++;
        while (size > maxKeys) {
            KeyEntry victim = head;
            unlink(victim);
            clear(slots, victim.key);
            onEvicted.accept(victim.key);
        }
    }

    /** Drops the id's entry, if any, without telling {@code onEvicted} (an admin reset); the writer only. */
    void remove(String id) {
        KeyEntry e = find(slots, id);
        if (e != null) {
            unlink(e);
            clear(slots, id);
        }
    }

    /** Drops the expired entries; the writer only. */
    void cleanUp() {
        expire(clock.millis());
    }

    private void expire(long now) {
        while (head != null && expired(head, now)) {
            KeyEntry e = head;
            unlink(e);
            clear(slots, e.key);
            onEvicted.accept(e.key);
        }
    }

    private boolean expired(KeyEntry e, long now) {
        return now - e.accessedAt() >= idleMillis;
    }

    private static KeyEntry find(KeyEntry[] t, String id) {
        int mask = t.length - 1;
        for (int i = index(id, mask); ; i = (i + 1) & mask) {
            KeyEntry s = (KeyEntry) SLOTS.getAcquire(t, i);
            if (s == null) {
                return null;
            }
            if (s != TOMBSTONE && (s.key == id || s.key.equals(id))) {
                return s;
            }
        }
    }

    /** Replaces the id's slot with a tombstone (the entry must be present). */
    private void clear(KeyEntry[] t, String id) {
        int mask = t.length - 1;
        for (int i = index(id, mask); ; i = (i + 1) & mask) {
            KeyEntry s = (KeyEntry) SLOTS.getAcquire(t, i);
            if (s != TOMBSTONE && s.key.equals(id)) {
                SLOTS.setRelease(t, i, TOMBSTONE);
                size--;
                return;
            }
        }
    }

    /** Copies the live entries into a fresh array of {@code capacity} slots, then publishes it. */
    private void rehash(int capacity) {
        KeyEntry[] fresh = new KeyEntry[Math.max(MIN_CAPACITY, capacity)];
        int mask = fresh.length - 1;
        for (KeyEntry e = head; e != null; e = e.next) {
            int i = index(e.key, mask);
            while (fresh[i] != null) {
                i = (i + 1) & mask;
            }
            fresh[i] = e;
        }
        used = size;
        slots = fresh;
    }

    private static int index(String id, int mask) {
        // murmur3's finalizer: its bits are independent of the engine's shard choice (which took the low
        // bit of another mix; with that mix here, half of each worker's home slots went unused)
        int h = id.hashCode();
        h = (h ^ (h >>> 16)) * 0x85EBCA6B;
        h = (h ^ (h >>> 13)) * 0xC2B2AE35;
        return (h ^ (h >>> 16)) & mask;
    }

    private void append(KeyEntry e) {
        e.prev = tail;
        e.next = null;
        if (tail == null) {
            head = e;
        } else {
            tail.next = e;
        }
        tail = e;
    }

    private void unlink(KeyEntry e) {
        KeyEntry p = e.prev;
        KeyEntry n = e.next;
        if (p == null) {
            head = n;
        } else {
            p.next = n;
        }
        if (n == null) {
            tail = p;
        } else {
            n.prev = p;
        }
        e.prev = null;
        e.next = null;
    }
}
