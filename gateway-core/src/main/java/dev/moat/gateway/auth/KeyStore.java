package dev.moat.gateway.auth;

import dev.moat.config.KeyConfig;
import dev.moat.gateway.http.FlatHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Looks API keys up by the SHA-256 of the presented secret, so the gateway never stores secrets.
 * Immutable; a reload or a runtime key change builds a new one ({@link KeyDirectory}). Lookup is one
 * SHA-256 of a short string, one hash-map probe and one comparison with the digest's end of validity.
 */
public final class KeyStore {

    /** Validity without an end. */
    public static final long FOREVER = Long.MAX_VALUE;

    /**
     * One digest the store accepts: the key it opens and the time (epoch millis, exclusive) from
     * which it no longer does: the key's expiry, or the end of a rotation's grace for an old secret.
     */
    public record Grant(ApiKey key, String sha256, long notAfterMillis) {}

    /**
     * A key as the admin API shows it.
     *
     * @param expiresAtMillis when the key stops working, or {@link #FOREVER}
     * @param runtime true when made or changed at runtime (admin API), false when it is the YAML entry
     */
    public record Entry(ApiKey key, long expiresAtMillis, boolean runtime) {}

    private static final FastThreadLocal<MessageDigest> SHA256 = new FastThreadLocal<>() {
        @Override
        protected MessageDigest initialValue() {
            return newSha256();
        }
    };

    /** The lookup key of {@link #authenticate}: one per thread, refilled per request (no allocation). */
    private static final FastThreadLocal<Digest> PROBE = new FastThreadLocal<>() {
        @Override
        protected Digest initialValue() {
            return new Digest(new byte[32]);
        }
    };

    private final Map<Digest, Grant> byDigest;
    private final Map<String, Entry> byId;

    /** A store of YAML keys only: no expiry, no runtime overlay. */
    public KeyStore(List<KeyConfig> keys) {
        this(grants(keys), entries(keys));
    }

    /**
     * @param grants every accepted digest (a rotated key has two until its grace ends)
     * @param entries one per key id
     */
    public KeyStore(List<Grant> grants, List<Entry> entries) {
        Map<Digest, Grant> digests = new HashMap<>(grants.size() * 2);
        for (Grant g : grants) {
            digests.put(new Digest(HexFormat.of().parseHex(g.sha256())).rehash(), g);
        }
        Map<String, Entry> ids = new HashMap<>(entries.size() * 2);
        for (Entry e : entries) {
            ids.put(e.key().id(), e);
        }
        this.byDigest = Map.copyOf(digests);
        this.byId = Map.copyOf(ids);
    }

    private static List<Grant> grants(List<KeyConfig> keys) {
        List<Grant> out = new ArrayList<>(keys.size());
        for (KeyConfig k : keys) {
            out.add(new Grant(new ApiKey(k.id(), k.tier(), k.tenant()), k.sha256(), FOREVER));
        }
        return out;
    }

    private static List<Entry> entries(List<KeyConfig> keys) {
        List<Entry> out = new ArrayList<>(keys.size());
        for (KeyConfig k : keys) {
            out.add(new Entry(new ApiKey(k.id(), k.tier(), k.tenant()), FOREVER, false));
        }
        return out;
    }

    /**
     * The key a request presents ({@code Authorization: Bearer} or {@code X-API-Key}), or null.
     *
     * <p>Read exactly as the key-hashing load balancer of the README reads it (nginx's map, {@code
     * docker/nginx-keyhash.conf}): the scheme {@code Bearer} in any case after optional whitespace,
     * then whitespace, then the secret; else the {@code X-API-Key} header. A secret is one run of
     * visible characters: with whitespace or control characters inside, or sent in two headers of a
     * name, it is no key (401). Any secret the gateway accepts is then the one the balancer hashed:
     * when they differed ({@code "Bearer<TAB>x"} with {@code X-API-Key: secret}, read as the secret
     * here and as {@code x} by the balancer), a client chose its instance per request, spreading its
     * queries over several detectors and its LLM token budget, kept per instance, over several budgets.
     */
    public static String presentedSecret(HttpHeaders headers) {
        String auth = headers.get(HttpHeaderNames.AUTHORIZATION);
        if (auth != null) {
            int from = skipSpace(auth, 0);
            if (auth.length() > from + 6
                    && auth.regionMatches(true, from, "Bearer", 0, 6)
                    && isSpace(auth.charAt(from + 6))) {
                return once(headers, HttpHeaderNames.AUTHORIZATION) ? credential(auth, from + 6) : null;
            }
        }
        String apiKey = headers.get(X_API_KEY);
        if (apiKey == null || !once(headers, X_API_KEY)) {
            return null;
        }
        return credential(apiKey, 0);
    }

    private static final String X_API_KEY = "X-API-Key";

    /** The secret in {@code value} from {@code from}, without the whitespace around it; null when none or not one run. */
    private static String credential(String value, int from) {
        int start = skipSpace(value, from);
        int end = value.length();
        while (end > start && isSpace(value.charAt(end - 1))) {
            end--;
        }
        if (start == end) {
            return null;
        }
        for (int i = start; i < end; i++) {
            char c = value.charAt(i);
            if (c <= ' ' || c == 0x7f) {
                return null;
            }
        }
        return start == 0 && end == value.length() ? value : value.substring(start, end);
    }

    private static int skipSpace(String s, int from) {
        int i = from;
        while (i < s.length() && isSpace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    /** Whitespace as the balancer's regular expressions see it ({@code \s}: space, tab, LF, VT, FF, CR). */
    private static boolean isSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    /** Whether the header is there exactly once; without an allocation for the decoder's headers. */
    private static boolean once(HttpHeaders headers, CharSequence name) {
        if (headers instanceof FlatHeaders flat) {
            return flat.once(name);
        }
        var values = headers.valueCharSequenceIterator(name);
        if (!values.hasNext()) {
            return false;
        }
        values.next();
        return !values.hasNext();
    }

    /** The key whose secret this is and which is still valid at {@code nowMillis}, or null. */
    public ApiKey authenticate(String secret, long nowMillis) {
        if (secret == null) {
            return null;
        }
        MessageDigest md = SHA256.get();
        Digest probe = PROBE.get();
        byte[] ascii = probe.ascii;
        int n = secret.length();
        boolean plain = n <= ascii.length;
        for (int i = 0; plain && i < n; i++) {
            char c = secret.charAt(i);
            plain = c < 0x80;
            ascii[i] = (byte) c;
        }
        if (plain) {
            md.update(ascii, 0, n); // an ASCII secret's UTF-8 bytes, without a new array
        } else {
            md.reset();
            md.update(secret.getBytes(StandardCharsets.UTF_8));
        }
        try {
            md.digest(probe.bytes, 0, probe.bytes.length); // into the probe: no digest array, no ByteBuffer
        } catch (java.security.DigestException e) {
            throw new IllegalStateException(e);
        }
        Grant g = byDigest.get(probe.rehash());
        return g == null || nowMillis >= g.notAfterMillis() ? null : g.key();
    }

    /**
     * A SHA-256 digest as a map key (was a {@code ByteBuffer}: an object per lookup and its generic
     * {@code equals}). Its hash is the digest's first four bytes, uniform as SHA-256's output is.
     */
    private static final class Digest {
        final byte[] bytes;
        int hash;
        /** The probe's scratch space for an ASCII secret's bytes (longer or non-ASCII secrets take {@code getBytes}). */
        final byte[] ascii = new byte[256];

        Digest(byte[] bytes) {
            this.bytes = bytes;
        }

        Digest rehash() {
            byte[] b = bytes;
            hash = b.length >= 4
                    ? (b[0] << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff)
                    : java.util.Arrays.hashCode(b);
            return this;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Digest d && java.util.Arrays.equals(bytes, d.bytes);
        }
    }

    /** The key with this id (expired ones included; revoked ones are not in the store), or null. */
    public ApiKey byId(String id) {
        Entry e = byId.get(id);
        return e == null ? null : e.key();
    }

    /** The admin view of a key, or null. */
    public Entry entry(String id) {
        return byId.get(id);
    }

    /** Every key, in no particular order. */
    public java.util.Collection<Entry> entries() {
        return byId.values();
    }

    public int size() {
        return byId.size();
    }

    /** Lower-case hex SHA-256 of a secret, as the config holds it. */
    public static String sha256Hex(String secret) {
        return HexFormat.of().formatHex(newSha256().digest(secret.getBytes(StandardCharsets.UTF_8)));
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
