package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.server.ModelServerExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code Expect: 100-continue} (curl sends it for bodies over 1 KiB), answered by the front end
 * since Netty's expect-continue handler left the pipeline: an accepted head gets {@code 100
 * Continue}, the body follows and is forwarded without the {@code Expect} field; a head the
 * gateway refuses gets its final answer and no invitation to send the body.
 */
class ExpectContinueIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    private static final String ROUTES = """
            upstreams:
              model: {url: "${UPSTREAM}"}
            routes:
              - {path_prefix: /echo, upstream: model}
            """;

    private static final String BODY = "{\"x\": \"" + "a".repeat(2000) + "\"}";

    @Test
    void anAcceptedHeadGets100ContinueThenTheAnswerAndExpectIsNotForwarded() throws Exception {
        try (Gateway gw = Gateway.start(Gateway.common("\"1000/1m\"") + ROUTES, upstream.baseUri());
                RawClient c = new RawClient(gw.server.port())) {
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE
                    + "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: "
                    + BODY.length() + "\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(100);
            c.send(BODY);
            RawClient.Response r = c.readResponse();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).contains("\"bodyLength\":" + BODY.length()).doesNotContain("100-continue");
            // the connection stays usable
            c.send("GET /echo HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
        }
    }

    /**
     * A request refused by its key or its size gets its final answer without being invited to send
     * its body (session 42's audit: a keyless request and one over {@code max_request_bytes} got
     * {@code 100 Continue} first, then 401 or 413).
     */
    @Test
    void aRequestRefusedByItsKeyOrSizeGetsNo100Continue() throws Exception {
        try (Gateway gw = Gateway.start(Gateway.common("\"1000/1m\"") + ROUTES, upstream.baseUri())) {
            for (String[] c : new String[][] {
                {"X-API-Key: not-a-key", String.valueOf(BODY.length()), "401"},
                {"X-API-Key: " + Gateway.ALICE, "10000000", "413"},
            }) {
                try (RawClient raw = new RawClient(gw.server.port())) {
                    raw.send("POST /echo HTTP/1.1\r\nHost: x\r\n" + c[0]
                            + "\r\nExpect: 100-continue\r\nContent-Length: " + c[1] + "\r\n\r\n");
                    assertThat(raw.readResponse().status()).as(c[0]).isEqualTo(Integer.parseInt(c[2]));
                }
            }
        }
    }

    /** A request with no body to invite gets its answer only. */
    @Test
    void aBodylessRequestExpectingContinueGetsItsAnswerOnly() throws Exception {
        try (Gateway gw = Gateway.start(Gateway.common("\"1000/1m\"") + ROUTES, upstream.baseUri());
                RawClient c = new RawClient(gw.server.port())) {
            c.send("GET /echo HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Gateway.ALICE + "\r\nExpect: 100-continue\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(200);
        }
    }

    @Test
    void aRefusedHeadGetsItsAnswerWithout100Continue() throws Exception {
        try (Gateway gw = Gateway.start(Gateway.common("\"1000/1m\"") + ROUTES, upstream.baseUri());
                RawClient c = new RawClient(gw.server.port())) {
            c.send("POST /echo HTTP/1.1\r\nX-API-Key: " + Gateway.ALICE // no Host: refused before the body
                    + "\r\nExpect: 100-continue\r\nContent-Length: " + BODY.length() + "\r\n\r\n");
            assertThat(c.readResponse().status()).isEqualTo(400);
        }
    }
}
