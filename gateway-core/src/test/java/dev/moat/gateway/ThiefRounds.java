package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.Level;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.QuerySource;
import java.time.Duration;

/**
 * The rounds an IT runs to see a thief blocked in a request form of its own: each honest key sends
 * one row, then the thief ten (as {@code alice}), a second of gateway time passes, until the thief
 * is refused with 403 or {@code budget} rows are spent. Then: the thief was blocked, every row he
 * had answered was a detection event, and no honest key left {@code ok}.
 */
final class ThiefRounds {

    /** What the gateway answered one row sent as the form under test. */
    record Reply(int status, double[] answer, String body) {}

    /** Sends one row with the key whose secret is given, in the form under test. */
    interface Sender {
        Reply send(String secret, double[] x) throws Exception;
    }

    private ThiefRounds() {}

    /** The row at which the thief was blocked (asserted to be within the budget). */
    static int blockedAt(Gateway g, HonestClient[] honest, QuerySource thief, int budget, Sender sender)
            throws Exception {
        int sent = 0;
        int blockedAt = -1;
        for (int round = 0; sent < budget && blockedAt < 0; round++) {
            for (int k = 0; k < honest.length; k++) {
                Reply r = sender.send("honest-secret-" + k, honest[k].next());
                assertThat(r.status())
                        .as("honest-%d at round %d: %s", k, round, r.body())
                        .isEqualTo(200);
            }
            for (int i = 0; i < 10 && blockedAt < 0; i++) {
                double[] x = thief.next();
                Reply r = sender.send(Gateway.ALICE, x);
                sent++;
                if (r.status() == 403) {
                    blockedAt = sent;
                } else {
                    assertThat(r.status()).as(r.body()).isEqualTo(200);
                    thief.observe(x, r.answer());
                }
            }
            g.advance(Duration.ofSeconds(1));
            if (round % 5 == 4) {
                g.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
            }
        }
        assertThat(blockedAt)
                .as(
                        "blocked within %d rows: %s",
                        budget, g.server.defences().engine().verdict("alice"))
                .isPositive();
        g.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
        // every answered row was a detection event (the refused one never reached the model)
        assertThat(g.server.defences().engine().verdict("alice").queries()).isEqualTo(blockedAt - 1);
        for (int k = 0; k < honest.length; k++) {
            assertThat(g.server.defences().engine().verdict("honest-" + k).level())
                    .as("honest-" + k)
                    .isEqualTo(Level.OK);
        }
        return blockedAt;
    }
}
