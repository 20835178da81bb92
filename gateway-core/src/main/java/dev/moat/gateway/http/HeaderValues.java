package dev.moat.gateway.http;

import io.netty.util.AsciiString;

/**
 * Header values the gateway sets on every exchange, as {@link AsciiString}s when they are ASCII.
 * Netty's encoder writes an {@code AsciiString} with one array copy; a {@code String} value is
 * written char by char (after a bound on its UTF-8 length). Values with a non-ASCII character stay
 * {@code String}s, so nothing is truncated.
 */
public final class HeaderValues {

    private HeaderValues() {}

    /** {@code s} as an {@code AsciiString} when every character is ASCII, else {@code s} itself. */
    public static CharSequence ascii(String s) {
        if (s == null) {
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return s;
            }
        }
        return new AsciiString(s);
    }

    /** Writes {@code v} in decimal at {@code at}; returns the index after it. {@code b} has room for 20 bytes. */
    public static int decimal(long v, byte[] b, int at) {
        if (v < 0) {
            if (v == Long.MIN_VALUE) {
                String s = Long.toString(v);
                for (int i = 0; i < s.length(); i++) {
                    b[at++] = (byte) s.charAt(i);
                }
                return at;
            }
            b[at++] = '-';
            v = -v;
        }
        int end = at + digits(v);
        int i = end;
        do {
            b[--i] = (byte) ('0' + (int) (v % 10));
            v /= 10;
        } while (v != 0);
        return end;
    }

    /** The length of {@code Long.toString(v)}. */
    public static int decimalLength(long v) {
        if (v == Long.MIN_VALUE) {
            return 20;
        }
        return v < 0 ? 1 + digits(-v) : digits(v);
    }

    private static int digits(long v) {
        int n = 1;
        while (v >= 10) {
            v /= 10;
            n++;
        }
        return n;
    }
}
