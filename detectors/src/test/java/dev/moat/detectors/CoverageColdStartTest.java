package dev.moat.detectors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.detectors.support.HonestDomain;
import dev.moat.detectors.support.HonestProbes;
import dev.moat.detectors.support.Scenario;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code coverage} before it has a reference (issue 9, cold start): a fresh gateway, a gateway
 * just restarted (the references are in memory) and small deployments that never have {@code
 * min_keys} (5) trusted keys. On a document classifier every honest document opens a new cell,
 * so the absolute thresholds flagged every customer; without a reference coverage has no
 * opinion.
 */
class CoverageColdStartTest {

    static final HonestDomain BOW = HonestDomain.sparse(3072, 1);

    static void print(String what, Scenario s) {
        s.maxRisk.keySet().stream()
                .sorted()
                .forEach(k -> System.out.printf(
                        "cold-start %-10s %-12s max risk %.2f suspicious at %s scores %s%n",
                        what, k, s.maxRisk.get(k), s.suspiciousAt.get(k), s.maxScores.get(k)));
        s.tenantMaxScores.forEach((t, sc) -> System.out.printf(
                "cold-start %-10s tenant %-6s scores %s first flag %s%n", what, t, sc, s.tenantFirstFlag.get(t)));
    }

    static double coverage(Map<String, Double> scores) {
        return scores == null ? 0 : scores.getOrDefault("coverage", 0.0);
    }

    /**
     * The survey's {@code bow-3072} peers: twelve ordinary keys of one tenant start together on a
     * fresh engine. Their tenant's pool reaches its 300th row at about 25 rows a key, long before
     * any key has the two windows (432 rows) it needs to count in a reference.
     */
    @Test
    void twelveKeysOfOneTenantAtColdStartStayOk() {
        Scenario s = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, BOW::predict);
        for (int k = 0; k < 12; k++) {
            s.add("peer-" + k, "good", BOW.peer(100 + k), 600, k * 700L, () -> 2_000);
        }
        s.run();
        print("tenant-12", s);
        assertThat(s.suspiciousAt).as(s.report()).isEmpty();
        assertThat(coverage(s.tenantMaxScores.get("good"))).as(s.report()).isLessThan(0.5);
    }

    /** A small deployment: three customers sending new documents, each its own tenant, 3,000 rows. */
    @Test
    void threeCustomersSendingNewDocumentsStayOk() {
        Scenario s = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, BOW::predict);
        for (int k = 0; k < 3; k++) {
            s.add("reader-" + k, Scenario.OWN_TENANT, HonestProbes.fresh(BOW, 400 + k), 3_000, k * 700L, () -> 2_000);
        }
        s.run();
        print("three", s);
        assertThat(s.suspiciousAt).as(s.report()).isEmpty();
    }

    /** The smallest deployment: one customer sending new documents, 3,000 rows. */
    @Test
    void oneCustomerSendingNewDocumentsStaysOk() {
        Scenario s = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, BOW::predict);
        s.add("reader", Scenario.OWN_TENANT, HonestProbes.fresh(BOW, 500), 3_000, 0, () -> 2_000);
        s.run();
        print("one", s);
        assertThat(s.suspiciousAt).as(s.report()).isEmpty();
    }

    /** Twelve customers of one tenant sending new documents from a fresh start, 600 rows each. */
    @Test
    void tenantOfTwelveReadersAtColdStartStaysOk() {
        Scenario s = new Scenario(NarrowAndWideAdaptiveAttackersTest.ALL, BOW::predict);
        for (int k = 0; k < 12; k++) {
            s.add("reader-" + k, "team", HonestProbes.fresh(BOW, 600 + k), 600, k * 700L, () -> 2_000);
        }
        s.run();
        print("readers-12", s);
        assertThat(s.suspiciousAt).as(s.report()).isEmpty();
        assertThat(coverage(s.tenantMaxScores.get("team"))).as(s.report()).isLessThan(0.5);
    }
}
