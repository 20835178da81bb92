package dev.moat.detectors;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * An immutable map of detector name to {@link DetectorScore}, in detector order, as the engine
 * publishes it in a {@link Verdict}: the first {@code size} names of a names array shared by every
 * key scored under the same detectors, and the key's scores. It costs a key one small object and
 * one array, where {@code Map.copyOf} built a hash table and the engine kept a second array. A
 * {@link Verdict} keeps it as it is rather than copying it.
 */
public final class DetectorScores extends AbstractMap<String, DetectorScore> {

    private final String[] names;
    private final DetectorScore[] scores;
    private final int size;

    /**
     * Takes the arrays over (the caller must not change them afterwards): entries are
     * {@code (names[i], scores[i])} for i below {@code size}; names distinct, no nulls among them.
     */
    public DetectorScores(String[] names, DetectorScore[] scores, int size) {
        if (size > names.length || size > scores.length) {
            throw new IllegalArgumentException(
                    size + " scores, " + names.length + " names, " + scores.length + " slots");
        }
        for (int i = 0; i < size; i++) {
            Objects.requireNonNull(names[i], "name");
            Objects.requireNonNull(scores[i], "score");
        }
        this.names = names;
        this.scores = scores;
        this.size = size;
    }

    /**
     * These scores with {@code extra} as entry {@code n} (named {@code names[n]}), or without one
     * when {@code extra} is null; only the first {@code n} entries of this map are kept.
     */
    public DetectorScores with(int n, DetectorScore extra) {
        if (extra == null && n == size) {
            return this;
        }
        DetectorScore[] s = new DetectorScore[extra == null ? n : n + 1];
        System.arraycopy(scores, 0, s, 0, n);
        if (extra != null) {
            s[n] = extra;
        }
        return new DetectorScores(names, s, s.length);
    }

    /** The score of entry i (in detector order). */
    public DetectorScore scoreAt(int i) {
        Objects.checkIndex(i, size);
        return scores[i];
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public DetectorScore get(Object key) {
        for (int i = 0; i < size; i++) {
            if (names[i].equals(key)) {
                return scores[i];
            }
        }
        return null;
    }

    @Override
    public boolean containsKey(Object key) {
        return get(key) != null;
    }

    @Override
    public Set<Entry<String, DetectorScore>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public int size() {
                return size;
            }

            @Override
            public Iterator<Entry<String, DetectorScore>> iterator() {
                return new Iterator<>() {
                    private int i;

                    @Override
                    public boolean hasNext() {
                        return i < size;
                    }

                    @Override
                    public Entry<String, DetectorScore> next() {
                        if (i >= size) {
                            throw new NoSuchElementException();
                        }
                        int at = i++;
                        return new SimpleImmutableEntry<>(names[at], scores[at]);
                    }
                };
            }
        };
    }
}
