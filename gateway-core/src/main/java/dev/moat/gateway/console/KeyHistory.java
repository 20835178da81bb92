package dev.moat.gateway.console;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the console charts per key: a bounded ring of risk samples (one per sampling period, and one
 * at every level change) and a bounded ring of events (the audit trail's records for the key, and
 * each change of the action the escalation ladder takes). Only keys that have shown risk, or have
 * events, are held, at most {@code maxKeys} of them (the least recently touched goes first), so
 * memory stays bounded whatever the key count (a sample is one small object, about 40 bytes).
 *
 * <p>Written by the sampler thread, the detection worker and the admin worker; never by an event
 * loop. One lock, held for a few array writes.
 */
public final class KeyHistory {

    /** One sample: when, the risk, the level. */
    public record Sample(long timeMillis, double risk, String level) {}

    /** One event: when, what ({@code level_change}, {@code block}, {@code action}, ...), detail. */
    public record Event(long timeMillis, String event, String detail) {}

    private final InstantSource clock;
    private final int maxKeys;
    private final int samplesPerKey;
    private final int eventsPerKey;
    private final LinkedHashMap<String, Track> tracks = new LinkedHashMap<>(64, 0.75f, true);

    public KeyHistory(InstantSource clock, int maxKeys, int samplesPerKey, int eventsPerKey) {
        this.clock = clock;
        this.maxKeys = maxKeys;
        this.samplesPerKey = samplesPerKey;
        this.eventsPerKey = eventsPerKey;
    }

    /**
     * Records a key's risk now, and an {@code action} event when the ladder's action for it changed.
     * A key at zero risk that is not tracked yet is not recorded.
     */
    public synchronized void sample(String keyId, double risk, String level, String action) {
        Track t = tracks.get(keyId);
        if (t == null) {
            if (risk <= 0 && "none".equals(action)) {
                return;
            }
            t = track(keyId);
        }
        long now = clock.millis();
        t.samples.add(new Sample(now, risk, level));
        if (!action.equals(t.lastAction)) {
            if (t.lastAction != null || !"none".equals(action)) {
                t.events.add(new Event(now, "action", (t.lastAction == null ? "none" : t.lastAction) + "->" + action));
            }
            t.lastAction = action;
        }
    }

    /** Records an audit event for a key (ids like {@code tenant:x} are kept too). */
    public synchronized void event(String keyId, String event, String detail) {
        if (keyId == null) {
            return;
        }
        Track t = tracks.get(keyId);
        if (t == null) {
            t = track(keyId);
        }
        t.events.add(new Event(clock.millis(), event, detail));
    }

    public synchronized List<Sample> samples(String keyId) {
        Track t = tracks.get(keyId);
        return t == null ? List.of() : t.samples.list();
    }

    public synchronized List<Event> events(String keyId) {
        Track t = tracks.get(keyId);
        return t == null ? List.of() : t.events.list();
    }

    /** The JSON shape of {@code GET /admin/keys/{id}/history}, without the live point. */
    public Map<String, Object> toJson(String keyId) {
        List<Map<String, Object>> samples = new ArrayList<>();
        for (Sample s : samples(keyId)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("time", Instant.ofEpochMilli(s.timeMillis()).toString());
            m.put("risk", Math.round(s.risk() * 1000) / 1000.0);
            m.put("level", s.level());
            samples.add(m);
        }
        List<Map<String, Object>> events = new ArrayList<>();
        for (Event e : events(keyId)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("time", Instant.ofEpochMilli(e.timeMillis()).toString());
            m.put("event", e.event());
            m.put("detail", e.detail());
            events.add(m);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", keyId);
        out.put("samples", samples);
        out.put("events", events);
        return out;
    }

    public synchronized int trackedKeys() {
        return tracks.size();
    }

    private Track track(String keyId) {
        Track t = new Track();
        tracks.put(keyId, t);
        if (tracks.size() > maxKeys) {
            String eldest = tracks.keySet().iterator().next();
            tracks.remove(eldest);
        }
        return t;
    }

    private final class Track {
        final Ring<Sample> samples = new Ring<>(samplesPerKey);
        final Ring<Event> events = new Ring<>(eventsPerKey);
        String lastAction;
    }

    /** A ring buffer that grows up to its capacity, then overwrites its oldest element. */
    private static final class Ring<T> {
        private final int capacity;
        private Object[] items;
        private int start;
        private int size;

        Ring(int capacity) {
            this.capacity = capacity;
            this.items = new Object[Math.min(8, capacity)];
        }

        void add(T item) {
            if (size < capacity && size == items.length) {
                Object[] grown = new Object[Math.min(capacity, items.length * 2)];
                for (int i = 0; i < size; i++) {
                    grown[i] = items[(start + i) % items.length];
                }
                items = grown;
                start = 0;
            }
            if (size < items.length) {
                items[(start + size) % items.length] = item;
                size++;
            } else {
                items[start] = item;
                start = (start + 1) % items.length;
            }
        }

        @SuppressWarnings("unchecked")
        List<T> list() {
            List<T> out = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                out.add((T) items[(start + i) % items.length]);
            }
            return out;
        }
    }
}
