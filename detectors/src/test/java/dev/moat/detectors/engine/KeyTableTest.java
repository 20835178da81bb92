package dev.moat.detectors.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.SimClock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The worker's key table: idle expiry, the size bound, and lock-free reads racing its writer. */
class KeyTableTest {

    private static final long IDLE = 1_000;

    private final SimClock clock = new SimClock(5_000);
    private final List<String> evicted = new ArrayList<>();

    private KeyTable table(long maxKeys) {
        return new KeyTable(maxKeys, IDLE, clock, evicted::add);
    }

    private static KeyEntry put(KeyTable t, String id) {
        KeyEntry e = new KeyEntry(id);
        t.put(e);
        return e;
    }

    @Test
    void anIdleEntryExpiresAtExactlyTheIdleTimeForReadersAndIsSweptForTheWriter() {
        KeyTable t = table(100);
        KeyEntry a = put(t, "a");
        clock.advance(IDLE - 1);
        assertThat(t.getQuietly("a")).isSameAs(a);
        clock.advance(1);
        assertThat(t.getQuietly("a")).isNull();
        assertThat(t.size()).isEqualTo(1); // not swept yet, as Caffeine's estimated size
        t.cleanUp();
        assertThat(t.size()).isZero();
        assertThat(evicted).containsExactly("a");
        assertThat(t.get("a")).isNull();
    }

    @Test
    void feedingKeepsAnEntryAliveQuietReadsDoNot() {
        KeyTable t = table(100);
        KeyEntry a = put(t, "a");
        put(t, "b");
        clock.advance(IDLE / 2);
        assertThat(t.get("a")).isSameAs(a);
        assertThat(t.getQuietly("b")).isNotNull();
        clock.advance(IDLE / 2 + 1);
        t.cleanUp();
        assertThat(t.getQuietly("a")).isSameAs(a);
        assertThat(t.getQuietly("b")).isNull();
        assertThat(evicted).containsExactly("b");
    }

    @Test
    void pastMaxKeysTheLeastRecentlyFedKeyIsEvicted() {
        KeyTable t = table(3);
        put(t, "a");
        put(t, "b");
        put(t, "c");
        clock.advance(1);
        t.get("a");
        put(t, "d");
        assertThat(t.size()).isEqualTo(3);
        assertThat(evicted).containsExactly("b");
        assertThat(t.getQuietly("b")).isNull();
        assertThat(t.getQuietly("a")).isNotNull();
        put(t, "e");
        assertThat(evicted).containsExactly("b", "c");
    }

    @Test
    void anAdminRemovalIsNotAnEviction() {
        KeyTable t = table(10);
        put(t, "a");
        t.remove("a");
        t.remove("nobody");
        assertThat(t.getQuietly("a")).isNull();
        assertThat(t.size()).isZero();
        assertThat(evicted).isEmpty();
        put(t, "a");
        assertThat(t.getQuietly("a")).isNotNull();
    }

    /** Random puts, feeds, removals, expiries and evictions against a plain access-ordered map. */
    @Test
    void agreesWithAnAccessOrderedMapThroughTombstonesAndResizes() {
        KeyTable t = table(700);
        LinkedHashMap<String, long[]> model = new LinkedHashMap<>(16, 0.75f, true);
        Map<String, KeyEntry> entries = new HashMap<>();
        SplittableRandom random = new SplittableRandom(15);
        for (int step = 0; step < 200_000; step++) {
            String id = "k" + random.nextInt(1_000);
            int op = random.nextInt(10);
            clock.advance(random.nextInt(3));
            long now = clock.millis();
            model.values().removeIf(at -> now - at[0] >= IDLE);
            if (op < 6) {
                KeyEntry e = t.get(id);
                long[] at = model.get(id);
                assertThat(e != null).as("step %d: %s present", step, id).isEqualTo(at != null);
                if (e == null) {
                    e = put(t, id);
                    entries.put(id, e);
                    model.put(id, new long[] {now});
                    if (model.size() > 700) {
                        var eldest = model.keySet().iterator();
                        eldest.next();
                        eldest.remove();
                    }
                } else {
                    assertThat(e).isSameAs(entries.get(id));
                    at[0] = now;
                }
            } else if (op < 7) {
                t.remove(id);
                model.remove(id);
            } else {
                KeyEntry e = t.getQuietly(id);
                assertThat(e != null).as("step %d: %s visible", step, id).isEqualTo(model.containsKey(id));
            }
            if (step % 1_000 == 0) {
                t.cleanUp();
                assertThat(t.size()).isEqualTo(model.size());
            }
        }
    }

    /**
     * A reader looking a key up while the writer removes, inserts and resizes around it must always
     * find it: a missed lookup reads as an unknown key, {@code Verdict.OK}, for a key that may be
     * blocked (what moving entries on removal, as backward-shift deletion does, would cause).
     */
    @Test
    void aReaderNeverMissesAPresentKeyWhileTheWriterChurnsAroundItBypass() throws Exception {
        SimClock still = new SimClock(0);
        KeyTable t = new KeyTable(100_000, Long.MAX_VALUE / 4, still, id -> {});
        List<String> stable = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            String id = "blocked-" + i;
            stable.add(id);
            t.put(new KeyEntry(id));
        }
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong misses = new AtomicLong();
        AtomicLong reads = new AtomicLong();
        Thread reader = new Thread(() -> {
            while (!done.get()) {
                for (String id : stable) {
                    if (t.getQuietly(id) == null) {
                        misses.incrementAndGet();
                    }
                }
                reads.addAndGet(stable.size());
            }
        });
        reader.start();
        try {
            SplittableRandom random = new SplittableRandom(7);
            for (int round = 0; round < 200; round++) {
                List<String> churn = new ArrayList<>();
                for (int i = 0; i < 2_000; i++) {
                    String id = "churn-" + random.nextInt(1 << 20);
                    if (t.get(id) == null) {
                        t.put(new KeyEntry(id));
                        churn.add(id);
                    }
                }
                for (String id : churn) {
                    t.remove(id);
                }
            }
        } finally {
            done.set(true);
            reader.join();
        }
        assertThat(reads.get()).isPositive();
        assertThat(misses.get()).isZero();
    }
}
