package dev.moat.gateway.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The response deadline of a pooled connection, on the embedded event loop's clock: one timer per
 * connection serves call after call, each call times out at its own deadline, and a call that
 * already gave the connection up cannot clear the deadline of the call that holds it now.
 */
class UpstreamHandlerTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private static final class Call implements UpstreamHandler.Listener {
        final List<String> seen;
        final String name;

        Call(List<String> seen, String name) {
            this.seen = seen;
            this.name = name;
        }

        @Override
        public void onMessage(Object msg) {}

        @Override
        public void onReadComplete() {}

        @Override
        public void onClosed(Throwable cause) {}

        @Override
        public void onTimeout() {
            seen.add(name);
        }
    }

    private static void advance(EmbeddedChannel ch, long millis) {
        ch.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    @Test
    void eachCallOnAReusedConnectionTimesOutAtItsOwnDeadline() {
        List<String> seen = new ArrayList<>();
        UpstreamHandler h = new UpstreamHandler();
        EmbeddedChannel ch = new EmbeddedChannel(h);
        Call first = new Call(seen, "first");
        h.bind(first);
        h.deadline(first, SECOND);
        advance(ch, 900);
        h.clearDeadline(first); // answered in time
        h.unbind(ch);

        Call second = new Call(seen, "second");
        h.bind(second);
        h.deadline(second, SECOND); // due at 1.9 s; the timer armed by the first call fires at 1.0 s
        advance(ch, 200); // 1.1 s: the first call's timer fired and re-armed for the second's deadline
        assertThat(seen).isEmpty();
        h.clearDeadline(first); // the first call, long gone, aborts late: must not touch the second's deadline
        advance(ch, 700); // 1.8 s
        assertThat(seen).isEmpty();
        advance(ch, 150); // 1.95 s
        assertThat(seen).containsExactly("second");
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aCallThatEndsInTimeLeavesNoTimeoutAndAnIdleConnectionNoTimer() {
        List<String> seen = new ArrayList<>();
        UpstreamHandler h = new UpstreamHandler();
        EmbeddedChannel ch = new EmbeddedChannel(h);
        Call call = new Call(seen, "call");
        h.bind(call);
        h.deadline(call, SECOND);
        advance(ch, 500);
        h.clearDeadline(call);
        h.unbind(ch);
        advance(ch, 10_000);
        assertThat(seen).isEmpty();
        assertThat(ch.runScheduledPendingTasks())
                .as("no task left for an idle pooled connection")
                .isEqualTo(-1);
        assertFalse(ch.finishAndReleaseAll());
    }
}
