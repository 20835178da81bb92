package dev.moat.gateway.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Objects;

/**
 * What {@link OpenAiGuard#checkRequest} decided about a request: send it as it is, send a
 * rewritten body instead, or answer 400 with a problem detail.
 */
public final class GuardResult {

    /** The three outcomes. */
    public enum Kind {
        ACCEPT,
        REWRITE,
        REJECT
    }

    private static final GuardResult ACCEPT = new GuardResult(Kind.ACCEPT, null, null);

    private final Kind kind;
    private final ByteBuf body;
    private final String problem;

    private GuardResult(Kind kind, ByteBuf body, String problem) {
        this.kind = kind;
        this.body = body;
        this.problem = problem;
    }

    /** Forward the request body unchanged. */
    public static GuardResult accept() {
        return ACCEPT;
    }

    /** Forward {@code body} (owned by the result's receiver) instead of the original. */
    public static GuardResult rewrite(ByteBuf body) {
        return new GuardResult(Kind.REWRITE, Objects.requireNonNull(body), null);
    }

    /** Answer 400 with {@code problem} as the detail (safe to show: it never echoes the body). */
    public static GuardResult reject(String problem) {
        return new GuardResult(Kind.REJECT, null, Objects.requireNonNull(problem));
    }

    public Kind kind() {
        return kind;
    }

    /** For {@link Kind#REWRITE}: the new body, which the caller must forward or release; else {@code null}. */
    public ByteBuf body() {
        return body;
    }

    /** For {@link Kind#REJECT}: the problem detail; else {@code null}. */
    public String problem() {
        return problem;
    }

    @Override
    public String toString() {
        return kind == Kind.REJECT ? "REJECT(" + problem + ")" : kind.name();
    }
}
