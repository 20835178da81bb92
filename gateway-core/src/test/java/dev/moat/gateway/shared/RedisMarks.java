package dev.moat.gateway.shared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.gateway.Gateway;
import dev.moat.gateway.state.StateStore;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** What the tests of the hashes of marks share ({@link ResetMarksIT}, {@link UnblockMarksIT}). */
final class RedisMarks {

    private RedisMarks() {}

    /**
     * A config serving the digits model under policy {@code p} on Redis at {@code redisUrl}, the
     * policy with {@code policy} after its outputs (YAML lines indented by four spaces, or nothing).
     */
    static String onRedis(String redisUrl, String policy) {
        return Gateway.common("\"1000/1m\"") + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: p}
                policies:
                  p:
                    outputs: [{top_k: 3}]
                %s
                distributed: {redis: "%s", timeout: 1s}
                """.formatted(policy, redisUrl);
    }

    /** The time of {@code id} in {@code hash}: {@code ":<millis>"}, or {@code "$-1"} when there is none. */
    static String mark(RedisServerExtension redis, String hash, String id) throws Exception {
        return redis.command("HGET " + hash + " " + id).startsWith("$-1")
                ? "$-1"
                : redis.command("EVAL \"return tonumber(redis.call('HGET', KEYS[1], ARGV[1]))\" 1 " + hash + " " + id);
    }

    static boolean says(RedisServerExtension redis, String command, String answer) {
        try {
            return answer.equals(redis.command(command));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * Restarts Redis empty under gateway {@code a} and waits until {@code a} has written back bob's
     * risk, shared first: the marks it holds are written back before the shared risks, so they are
     * back too.
     */
    static void restartEmpty(RedisServerExtension redis, Gateway a) throws Exception {
        a.server
                .stateStore()
                .putRisk("bob", new StateStore.Risk(0.3, a.server.clock().millis()), 3_600_000)
                .toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        restartUnder(redis, a);
        SharedStateIT.await("bob's risk is written back", 5000, () -> says(redis, "EXISTS moat:risk:bob", ":1"));
    }

    /**
     * Kills Redis, waits until gateway {@code a} sees it down, and starts it again, empty: {@code a} then
     * reads the shared view again and writes back what Redis lost.
     */
    static void restartUnder(RedisServerExtension redis, Gateway a) throws Exception {
        redis.kill();
        SharedStateIT.await(
                "the gateway sees Redis down",
                2000,
                () -> !a.server.redisState().equals("up"));
        redis.start();
    }

    /** A change that makes a mark: a reset or an unblock of the key id, made on the gateway, until Redis has it. */
    interface Change {
        void make(String keyId) throws Exception;
    }

    /**
     * Each {@code change} prunes the marks of {@code hash} past {@code horizon} and keeps the others, in
     * Redis and on gateway {@code a}: carol's mark, a day short of the horizon, stays; a day and a minute
     * later, dave's change prunes it, erin's stays; and Redis restarted empty gets back from {@code a}
     * erin's and dave's, not carol's.
     */
    static void assertEachChangePrunes(
            RedisServerExtension redis, Gateway a, String hash, Duration horizon, Change change) throws Exception {
        change.make("carol");
        String carols = mark(redis, hash, "carol");
        assertThat(carols).startsWith(":1");
        a.advance(horizon.minusDays(1));
        change.make("erin");
        assertThat(mark(redis, hash, "carol"))
                .as("a day short of the horizon: kept")
                .isEqualTo(carols);
        a.advance(Duration.ofDays(1).plusMinutes(1)); // carol's is now past the horizon, erin's not
        change.make("dave");
        assertThat(mark(redis, hash, "carol")).as("pruned by the next change").isEqualTo("$-1");
        assertThat(mark(redis, hash, "erin")).startsWith(":1");
        assertThat(mark(redis, hash, "dave")).startsWith(":1");
        // the instance's own copies: Redis restarted empty gets back the marks it holds
        restartEmpty(redis, a);
        assertThat(mark(redis, hash, "erin")).startsWith(":1");
        assertThat(mark(redis, hash, "dave")).startsWith(":1");
        assertThat(mark(redis, hash, "carol"))
                .as("not written back: the gateway dropped it too")
                .isEqualTo("$-1");
    }
}
