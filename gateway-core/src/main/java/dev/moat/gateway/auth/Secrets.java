package dev.moat.gateway.auth;

import java.security.SecureRandom;
import java.util.Base64;

/** Fresh API key secrets: {@code moat_} and 256 random bits, base64url. Only their SHA-256 is kept. */
public final class Secrets {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Secrets() {}

    public static String newSecret() {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        return "moat_" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    }

    /** A random key id such as {@code key-3f9a0c1d2e4b5a69}. */
    public static String newKeyId() {
        return "key-" + String.format("%016x", RANDOM.nextLong());
    }
}
