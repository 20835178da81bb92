package dev.moat.policies.watermark;

import dev.moat.policies.internal.Probabilities;
import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Decides which answers carry the DAWN watermark and what they are rewritten to (Szyller, Atli,
 * Marchal, Asokan: "DAWN: Dynamic Adversarial Watermarking of Neural Networks", ACM MM 2021).
 *
 * <p>With c = the {@link CanonicalInput} bytes of the query and K the secret:
 * <ul>
 *   <li>the query is watermarked iff the first 16 bits of HMAC-SHA256(K, c), read as an unsigned
 *       big-endian number h, satisfy h &lt; rate * 2^16. (DAWN writes h &lt;= floor(2^16 r); the
 *       two agree unless 2^16 r is an integer, where ours fires at exactly the rate and never at
 *       rate 0.)</li>
 *   <li>its label y (the answer's top-1) moves to y' = (y + 1 + (h2 mod (C - 1))) mod C, with h2
 *       the first 64 bits of HMAC-SHA256(K, "label" || c) as an unsigned number, so y' is never y
 *       and is uniform over the C - 1 wrong labels for a key unknown to the suspect. With an
 *       <b>attribution</b> id a (the API key id or tenant), h2 comes from HMAC-SHA256(K, "label"
 *       || 0x01 || len(a) as 4 bytes || a || c) instead: the same input gets independent wrong
 *       labels for different ids, so a copy's matches name whose answers it learnt from.
 *       Selection never depends on a: every id gets the same inputs marked (see the README on
 *       colluding keys).</li>
 *   <li>the probabilities of y and y' are swapped, which keeps a valid distribution and makes y'
 *       the top-1; if another class tied with the old maximum, half of its mass moves to y' so
 *       y' is strictly on top. A single-column binary answer p becomes 1 - p (ties: 0.25 / 0.75).</li>
 * </ul>
 * Deterministic: the same (canonical) query with the same top-1 always gets the same answer.
 * Thread-safe without locks: each thread has its own digest and scratch buffers.
 *
 * <p>HMAC-SHA256 (RFC 2104) is computed here on a {@link MessageDigest} rather than through
 * {@code javax.crypto.Mac}, whose {@code doFinal} allocates the inner hash on every call (1.5 % of
 * mode b's allocation, six rows per request): the same two SHA-256 passes over the same bytes, so
 * the same digest bit for bit ({@code WatermarkerTest} checks it against {@code Mac} and Python's
 * {@code hmac}).
 */
public final class Watermarker {

    private static final String DIGEST = "SHA-256";
    private static final int BLOCK = 64; // SHA-256's block, HMAC's key pad length
    private static final int HASH = 32;
    private static final byte[] LABEL_PREFIX = "label".getBytes(StandardCharsets.US_ASCII);
    private static final byte ATTRIBUTED = 1;

    /** The key padded to a block and xor-ed with HMAC's inner and outer pads. */
    private final byte[] innerPad;

    private final byte[] outerPad;
    private final double rate;
    private final double limit;
    private final CanonicalInput canonical;
    private final ThreadLocal<State> state = ThreadLocal.withInitial(this::newState);

    public Watermarker(byte[] secret, double rate) {
        this(secret, rate, CanonicalInput.defaultGrid());
    }

    /**
     * @param secret    the HMAC key, at least 16 bytes
     * @param rate      fraction of queries to watermark, in [0, 1] (DAWN default 0.005)
     * @param canonical the quantisation grid; the verifier must use the same one
     */
    public Watermarker(byte[] secret, double rate, CanonicalInput canonical) {
        if (secret == null || secret.length < 16) {
            throw new IllegalArgumentException(
                    "watermark.secret: " + (secret == null ? 0 : secret.length) + " bytes (expected: at least 16)");
        }
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("watermark.rate: " + rate + " (expected: 0-1)");
        }
        byte[] k = new byte[BLOCK];
        byte[] material = secret.length > BLOCK ? sha256().digest(secret) : secret;
        System.arraycopy(material, 0, k, 0, material.length);
        this.innerPad = new byte[BLOCK];
        this.outerPad = new byte[BLOCK];
        for (int i = 0; i < BLOCK; i++) {
            innerPad[i] = (byte) (k[i] ^ 0x36);
            outerPad[i] = (byte) (k[i] ^ 0x5c);
        }
        this.rate = rate;
        this.limit = rate * 65536.0;
        this.canonical = canonical;
        newState(); // fail at construction, not on the first request, if SHA-256 is missing
    }

    public double rate() {
        return rate;
    }

    public CanonicalInput canonical() {
        return canonical;
    }

    /** Whether the query with these features is watermarked at the base rate. */
    public boolean selects(double[] input) {
        State s = state.get();
        return s.select(input, limit);
    }

    /** The watermark label for a selected query whose true top-1 is {@code label} among {@code classes}. */
    public int watermarkLabel(double[] input, int label, int classes) {
        return watermarkLabel(input, label, classes, null);
    }

    /** The same, keyed by the attribution id {@code owner} ({@code null}: unkeyed, as in DAWN). */
    public int watermarkLabel(double[] input, int label, int classes, String owner) {
        if (classes < 2 || label < 0 || label >= classes) {
            throw new IllegalArgumentException("label " + label + " of " + classes + " classes");
        }
        State s = state.get();
        s.encode(input);
        return s.shift(label, classes, owner);
    }

    /**
     * Watermarks {@code probs} in place if the query is selected.
     *
     * @return the new top-1 label y', or -1 when the answer was left alone (not selected, or no
     *         probability mass to move)
     */
    public int apply(double[] probs, double[] input) {
        return apply(probs, input, null, rate);
    }

    /**
     * Watermarks {@code probs} in place if the query is selected at {@code atRate}.
     *
     * @param owner  the attribution id the label is keyed by, or {@code null} for an unkeyed label
     * @param atRate the rate in force for this key: the base rate, or an escalation step's higher
     *               one; below the base rate the base rate holds. Selection at a higher rate marks
     *               a superset of the base rate's inputs (h &lt; r * 2^16), so a repeated query
     *               never loses its mark when a key escalates.
     */
    public int apply(double[] probs, double[] input, String owner, double atRate) {
        double lim = atRate > rate ? Math.min(1.0, atRate) * 65536.0 : limit;
        if (probs.length == 0 || lim <= 0) {
            return -1;
        }
        State s = state.get();
        if (!s.select(input, lim)) {
            return -1;
        }
        if (probs.length == 1) {
            int y = probs[0] >= 0.5 ? 1 : 0;
            int target = s.shift(y, 2, owner);
            double p = 1.0 - probs[0];
            probs[0] = p == 0.5 ? (target == 1 ? 0.75 : 0.25) : p;
            return target;
        }
        int y = Probabilities.argmax(probs);
        if (!(probs[y] > 0)) {
            return -1;
        }
        int target = s.shift(y, probs.length, owner);
        Probabilities.makeTop1(probs, target);
        return target;
    }

    private State newState() {
        MessageDigest md = sha256();
        md.update(innerPad); // every HMAC starts with the inner pad
        return new State(md);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance(DIGEST);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /**
     * One thread's digest and buffers; {@link #encode} must precede {@link #shift}. Between HMACs
     * the digest holds the inner pad already, as {@code Mac} keeps it after each {@code doFinal}.
     */
    private final class State {
        private final MessageDigest mac;
        private final byte[] inner = new byte[HASH];
        private final byte[] digest = new byte[HASH];
        private byte[] buf = new byte[64 * Long.BYTES];
        private int length;

        State(MessageDigest mac) {
            this.mac = mac;
        }

        void encode(double[] input) {
            int need = CanonicalInput.encodedLength(input.length);
            if (buf.length < need) {
                buf = new byte[Math.max(need, buf.length * 2)];
            }
            length = canonical.encode(input, buf);
        }

        boolean select(double[] input, double lim) {
            encode(input);
            mac.update(buf, 0, length);
            finish();
            int h = ((digest[0] & 0xff) << 8) | (digest[1] & 0xff);
            return h < lim;
        }

        int shift(int label, int classes, String owner) {
            mac.update(LABEL_PREFIX);
            if (owner != null) {
                byte[] id = owner.getBytes(StandardCharsets.UTF_8);
                mac.update(ATTRIBUTED);
                mac.update((byte) (id.length >>> 24));
                mac.update((byte) (id.length >>> 16));
                mac.update((byte) (id.length >>> 8));
                mac.update((byte) id.length);
                mac.update(id);
            }
            mac.update(buf, 0, length);
            finish();
            long h2 = 0;
            for (int i = 0; i < 8; i++) {
                h2 = (h2 << 8) | (digest[i] & 0xff);
            }
            int offset = (int) Long.remainderUnsigned(h2, classes - 1);
            return (label + 1 + offset) % classes;
        }

        /** HMAC's outer pass: H(outer pad || H(inner pad || message)) into {@code digest}; re-primes the inner pad. */
        private void finish() {
            try {
                mac.digest(inner, 0, HASH);
                mac.update(outerPad);
                mac.update(inner);
                mac.digest(digest, 0, HASH);
            } catch (DigestException e) {
                throw new AssertionError(e); // the arrays are 32 bytes, SHA-256's length
            }
            mac.update(innerPad);
        }
    }
}
