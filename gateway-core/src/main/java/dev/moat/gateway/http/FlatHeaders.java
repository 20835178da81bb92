package dev.moat.gateway.http;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.DefaultHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.util.AsciiString;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Calendar;
import java.util.Collections;
import java.util.Date;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * The header fields of a request or an answer as two arrays in arrival order, for the few (about a
 * dozen) fields an HTTP/1.1 head carries: a look-up compares lengths, then the name without case,
 * over the fields present; an addition appends. Netty's {@code DefaultHttpHeaders} keeps a
 * 16-slot hash table of linked entries (an entry object, a hash, three links per field), which the
 * decoder filled for every head and every {@code set} emptied and refilled: about 5 % of mode a's
 * CPU samples were its table operations.
 *
 * <p>Behaves as {@code DefaultHttpHeaders} does for everything the gateway and Netty's codec use
 * (checked operation by operation against it by {@code FlatHeadersTest}): names compared without
 * case, values in the order added, {@code get} the first, {@code set} removes every field of the
 * name and appends one, iteration in insertion order; names validated by {@link GatewayHeaders}'
 * validator (Netty's, except for the gateway's own constants) and values by Netty's value
 * validator, both at every addition, after the same conversion of non-text values (dates as HTTP
 * dates, everything else by {@code toString}).
 */
public final class FlatHeaders extends HttpHeaders {

    private static final DefaultHeaders.ValueValidator<CharSequence> VALUES =
            DefaultHttpHeadersFactory.headersFactory().getValueValidator();

    /** Decoders make these for heads: the gateway's name validator, Netty's value validator. */
    public static final HttpHeadersFactory FACTORY = new HttpHeadersFactory() {
        @Override
        public HttpHeaders newHeaders() {
            return new FlatHeaders(GatewayHeaders.NAMES, VALUES, 16);
        }

        @Override
        public HttpHeaders newEmptyHeaders() {
            return new FlatHeaders(GatewayHeaders.NAMES, VALUES, 0);
        }
    };

    private static final CharSequence[] NONE = new CharSequence[0];

    private final DefaultHeaders.NameValidator<CharSequence> nameValidator;
    private final DefaultHeaders.ValueValidator<CharSequence> valueValidator;
    private CharSequence[] names;
    private CharSequence[] values;
    private int size;

    /** Fields checked by these validators; {@code capacity} 0: no arrays until the first field. */
    public FlatHeaders(
            DefaultHeaders.NameValidator<CharSequence> nameValidator,
            DefaultHeaders.ValueValidator<CharSequence> valueValidator,
            int capacity) {
        this.nameValidator = Objects.requireNonNull(nameValidator, "nameValidator");
        this.valueValidator = Objects.requireNonNull(valueValidator, "valueValidator");
        names = capacity == 0 ? NONE : new CharSequence[capacity];
        values = capacity == 0 ? NONE : new CharSequence[capacity];
    }

    // --- look-ups

    private int indexOf(CharSequence name, int from) {
        int len = name.length();
        CharSequence[] ns = names;
        for (int i = from; i < size; i++) {
            CharSequence n = ns[i];
            if (n == name || (n.length() == len && AsciiString.contentEqualsIgnoreCase(n, name))) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String get(String name) {
        return get((CharSequence) name);
    }

    @Override
    public String get(CharSequence name) {
        Objects.requireNonNull(name, "name");
        int i = indexOf(name, 0);
        return i < 0 ? null : values[i].toString();
    }

    @Override
    public String get(CharSequence name, String defaultValue) {
        String v = get(name);
        return v == null ? defaultValue : v;
    }

    @Override
    public Integer getInt(CharSequence name) {
        String v = get(name);
        if (v == null) {
            return null;
        }
        try {
            return Integer.parseInt(v);
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public int getInt(CharSequence name, int defaultValue) {
        Integer v = getInt(name);
        return v == null ? defaultValue : v;
    }

    @Override
    public Short getShort(CharSequence name) {
        String v = get(name);
        if (v == null) {
            return null;
        }
        try {
            return Short.parseShort(v);
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public short getShort(CharSequence name, short defaultValue) {
        Short v = getShort(name);
        return v == null ? defaultValue : v;
    }

    @Override
    public Long getTimeMillis(CharSequence name) {
        String v = get(name);
        if (v == null) {
            return null;
        }
        Date d = DateFormatter.parseHttpDate(v);
        if (d == null) { // Netty's headers throw here too (a ParseException)
            throw new IllegalArgumentException("header can't be parsed into a Date: " + v);
        }
        return d.getTime();
    }

    @Override
    public long getTimeMillis(CharSequence name, long defaultValue) {
        Long v = getTimeMillis(name);
        return v == null ? defaultValue : v;
    }

    @Override
    public List<String> getAll(String name) {
        return getAll((CharSequence) name);
    }

    @Override
    public List<String> getAll(CharSequence name) {
        Objects.requireNonNull(name, "name");
        int i = indexOf(name, 0);
        if (i < 0) {
            return Collections.emptyList();
        }
        int more = indexOf(name, i + 1);
        if (more < 0) {
            return Collections.singletonList(values[i].toString()); // the usual case: one field
        }
        List<String> all = new ArrayList<>(4);
        all.add(values[i].toString());
        for (i = more; i >= 0; i = indexOf(name, i + 1)) {
            all.add(values[i].toString());
        }
        return all;
    }

    /**
     * Whether {@code name} is here exactly once: no list and no iterator (the key's header is
     * checked so on every request; it was {@code valueStringIterator}, a list and an iterator).
     */
    public boolean once(CharSequence name) {
        Objects.requireNonNull(name, "name");
        int i = indexOf(name, 0);
        return i >= 0 && indexOf(name, i + 1) < 0;
    }

    @Override
    public Iterator<String> valueStringIterator(CharSequence name) {
        return getAll(name).iterator();
    }

    @Override
    public Iterator<? extends CharSequence> valueCharSequenceIterator(CharSequence name) {
        Objects.requireNonNull(name, "name");
        return new Iterator<CharSequence>() {
            private int next = indexOf(name, 0);

            @Override
            public boolean hasNext() {
                return next >= 0;
            }

            @Override
            public CharSequence next() {
                if (next < 0) {
                    throw new NoSuchElementException();
                }
                CharSequence v = values[next];
                next = indexOf(name, next + 1);
                return v;
            }
        };
    }

    @Override
    public List<Map.Entry<String, String>> entries() {
        if (size == 0) {
            return Collections.emptyList();
        }
        List<Map.Entry<String, String>> all = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            all.add(new AbstractMap.SimpleImmutableEntry<>(names[i].toString(), values[i].toString()));
        }
        return all;
    }

    @Override
    public boolean contains(String name) {
        return contains((CharSequence) name);
    }

    @Override
    public boolean contains(CharSequence name) {
        Objects.requireNonNull(name, "name");
        return indexOf(name, 0) >= 0;
    }

    @Override
    public boolean contains(CharSequence name, CharSequence value, boolean ignoreCase) {
        Objects.requireNonNull(name, "name");
        for (int i = indexOf(name, 0); i >= 0; i = indexOf(name, i + 1)) {
            CharSequence v = values[i];
            if (ignoreCase ? AsciiString.contentEqualsIgnoreCase(v, value) : AsciiString.contentEquals(v, value)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean contains(String name, String value, boolean ignoreCase) {
        return contains((CharSequence) name, (CharSequence) value, ignoreCase);
    }

    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        return entries().iterator();
    }

    @Override
    public Iterator<Map.Entry<CharSequence, CharSequence>> iteratorCharSequence() {
        return new Fields();
    }

    /**
     * The fields in order, each as the iterator itself (no entry object per field: Netty's encoder
     * and the gateway's header rules read each entry before asking for the next, as they did with
     * Netty's entries); an entry is valid until the next call to {@code next}. No {@code remove}
     * (as Netty's), {@code setValue} validates the value.
     */
    private final class Fields
            implements Iterator<Map.Entry<CharSequence, CharSequence>>, Map.Entry<CharSequence, CharSequence> {
        private int next;
        private int at = -1;

        @Override
        public boolean hasNext() {
            return next < size;
        }

        @Override
        public Map.Entry<CharSequence, CharSequence> next() {
            if (next >= size) {
                throw new NoSuchElementException();
            }
            at = next++;
            return this;
        }

        @Override
        public void remove() {
            throw new UnsupportedOperationException("read only"); // as Netty's iterator of these
        }

        @Override
        public CharSequence getKey() {
            return names[at];
        }

        @Override
        public CharSequence getValue() {
            return values[at];
        }

        @Override
        public CharSequence setValue(CharSequence v) {
            CharSequence checked = checked(convert(v));
            CharSequence old = values[at];
            values[at] = checked;
            return old;
        }

        @Override
        public String toString() {
            return names[at] + "=" + values[at];
        }
    }

    @Override
    public boolean isEmpty() {
        return size == 0;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Set<String> names() {
        Set<String> all = new LinkedHashSet<>(size * 2);
        for (int i = 0; i < size; i++) {
            all.add(names[i].toString());
        }
        return all;
    }

    // --- changes

    @Override
    public HttpHeaders add(String name, Object value) {
        return add((CharSequence) name, value);
    }

    @Override
    public HttpHeaders add(CharSequence name, Object value) {
        CharSequence v = convert(value); // Netty's order: convert, then the name, then the value
        append(name(name), checked(v));
        return this;
    }

    @Override
    public HttpHeaders add(String name, Iterable<?> values) {
        return add((CharSequence) name, values);
    }

    @Override
    public HttpHeaders add(CharSequence name, Iterable<?> values) {
        Objects.requireNonNull(values, "values");
        for (Object v : values) { // as Netty's: each value added (and checked) on its own
            add(name, v);
        }
        return this;
    }

    @Override
    public HttpHeaders add(HttpHeaders headers) {
        Objects.requireNonNull(headers, "headers");
        if (headers == this) {
            throw new IllegalArgumentException("can't add to itself.");
        }
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            add(e.getKey(), e.getValue());
        }
        return this;
    }

    @Override
    public HttpHeaders set(HttpHeaders headers) {
        Objects.requireNonNull(headers, "headers");
        if (headers == this) {
            return this;
        }
        clear();
        return add(headers);
    }

    @Override
    public HttpHeaders addInt(CharSequence name, int value) {
        return add(name, Integer.toString(value));
    }

    @Override
    public HttpHeaders addShort(CharSequence name, short value) {
        return add(name, Short.toString(value));
    }

    @Override
    public HttpHeaders set(String name, Object value) {
        return set((CharSequence) name, value);
    }

    @Override
    public HttpHeaders set(CharSequence name, Object value) {
        CharSequence v = convert(value);
        CharSequence n = name(name);
        checked(v);
        removeAll(n);
        append(n, v);
        return this;
    }

    @Override
    public HttpHeaders set(String name, Iterable<?> values) {
        return set((CharSequence) name, values);
    }

    @Override
    public HttpHeaders set(CharSequence name, Iterable<?> values) {
        CharSequence n = name(name);
        Objects.requireNonNull(values, "values");
        removeAll(n);
        for (Object v : values) {
            if (v == null) {
                break; // as Netty's: a null ends the list
            }
            append(n, value(v));
        }
        return this;
    }

    @Override
    public HttpHeaders setInt(CharSequence name, int value) {
        return set(name, Integer.toString(value));
    }

    @Override
    public HttpHeaders setShort(CharSequence name, short value) {
        return set(name, Short.toString(value));
    }

    @Override
    public HttpHeaders remove(String name) {
        return remove((CharSequence) name);
    }

    @Override
    public HttpHeaders remove(CharSequence name) {
        Objects.requireNonNull(name, "name");
        removeAll(name);
        return this;
    }

    @Override
    public HttpHeaders clear() {
        Arrays.fill(names, 0, size, null);
        Arrays.fill(values, 0, size, null);
        size = 0;
        return this;
    }

    @Override
    public HttpHeaders copy() {
        FlatHeaders c = new FlatHeaders(nameValidator, valueValidator, size);
        System.arraycopy(names, 0, c.names, 0, size);
        System.arraycopy(values, 0, c.values, 0, size);
        c.size = size;
        return c;
    }

    private void append(CharSequence name, CharSequence value) {
        if (size == names.length) {
            int cap = Math.max(4, size * 2);
            names = Arrays.copyOf(names, cap);
            values = Arrays.copyOf(values, cap);
        }
        names[size] = name;
        values[size] = value;
        size++;
    }

    private void removeAll(CharSequence name) {
        int i = indexOf(name, 0);
        if (i < 0) {
            return;
        }
        int to = i;
        for (int from = i + 1; from < size; from++) {
            CharSequence n = names[from];
            if (n == name || (n.length() == name.length() && AsciiString.contentEqualsIgnoreCase(n, name))) {
                continue;
            }
            names[to] = n;
            values[to] = values[from];
            to++;
        }
        Arrays.fill(names, to, size, null);
        Arrays.fill(values, to, size, null);
        size = to;
    }

    private CharSequence name(CharSequence name) {
        Objects.requireNonNull(name, "name");
        nameValidator.validateName(name);
        return name;
    }

    /** Netty's conversion ({@code DefaultHttpHeaders}' value converter), then Netty's value validation. */
    private CharSequence value(Object value) {
        return checked(convert(value));
    }

    private CharSequence checked(CharSequence v) {
        valueValidator.validate(v);
        return v;
    }

    private static CharSequence convert(Object value) {
        Objects.requireNonNull(value, "value");
        CharSequence v;
        if (value instanceof CharSequence cs) {
            v = cs;
        } else if (value instanceof Date d) {
            v = DateFormatter.format(d);
        } else if (value instanceof Calendar c) {
            v = DateFormatter.format(c.getTime());
        } else {
            v = value.toString();
        }
        return v;
    }
}
