package dev.moat.gateway.http;

/**
 * A request or answer body that is not in the shape its protocol promises. The proxy answers
 * 400 for a request and fails closed with 502 for an upstream answer.
 *
 * <p>The message is safe to show a client: it names the offending field and, for syntax errors,
 * the line and column, but never echoes any part of the body.
 */
public final class MalformedBodyException extends Exception {

    private static final long serialVersionUID = 1L;

    public MalformedBodyException(String message) {
        // No stack trace: thrown on the hot path for every bad body, and the message says it all.
        super(message, null, false, false);
    }
}
