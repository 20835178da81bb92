package dev.moat.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.moat.fixtures.Classifier;
import dev.moat.fixtures.Digits;
import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.fixtures.traffic.KnockoffAttacker;
import dev.moat.gateway.cli.CliTest;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The watermark proof over loopback (DAWN): a surrogate trained on 5,000 answers taken through
 * Moat is claimed by {@code moat watermark verify}; a model trained independently is not.
 */
class WatermarkProofIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aStolenCopyIsClaimedAndAnIndependentModelIsNot() throws Exception {
        Path ledger = Files.createTempDirectory("moat-proof").resolve("ledger.jsonl");
        int n = 5000;
        double[][] xs = new double[n][];
        double[][] answers = new double[n][];
        try (Gateway gw = Gateway.start(Gateway.common("\"1000000/1m\"") + """
                upstreams:
                  tf: {url: "${UPSTREAM}", protocol: tfserving}
                routes:
                  - {path_prefix: /v1/models/digits, upstream: tf, policy: marked}
                policies:
                  marked:
                    outputs:
                      - watermark: {rate: 0.02, secret: "proof-test-watermark-secret", ledger: "%s"}
                """.formatted(ledger), upstream.baseUri())) {
            KnockoffAttacker thief = new KnockoffAttacker(11);
            int batch = 50;
            for (int from = 0; from < n; from += batch) {
                double[][] chunk = new double[batch][];
                for (int i = 0; i < batch; i++) {
                    chunk[i] = thief.next();
                    xs[from + i] = chunk[i];
                }
                String res = gw.post(
                                "/v1/models/digits:predict",
                                Gateway.ALICE,
                                "{\"instances\": " + JSON.writeValueAsString(chunk) + "}")
                        .body();
                JsonNode preds = JSON.readTree(res).get("predictions");
                for (int i = 0; i < batch; i++) {
                    answers[from + i] = JSON.treeToValue(preds.get(i), double[].class);
                }
            }
        } // closing the gateway drains the ledger
        assertThat(Files.readAllLines(ledger).size()).isGreaterThan(50);

        DigitsModel stolen = DigitsModel.train(xs, answers, 5, 120);
        int[] labels = new int[Digits.get().train().size()];
        System.arraycopy(Digits.get().train().y(), 0, labels, 0, labels.length);
        DigitsModel independent = DigitsModel.train(Digits.get().train().x(), labels, 6, 60);

        double stolenP = verify(ledger, stolen);
        double independentP = verify(ledger, independent);
        assertThat(stolenP).as("p-value for the stolen copy").isLessThan(1e-6);
        assertThat(independentP).as("p-value for the independent model").isGreaterThan(0.01);

        // two instances' ledgers (a key's marks split by a failover) verify together as the one did
        List<String> lines = Files.readAllLines(ledger);
        Path first =
                Files.createDirectories(ledger.resolveSibling("instance-1")).resolve("watermarks.jsonl");
        Path second =
                Files.createDirectories(ledger.resolveSibling("instance-2")).resolve("watermarks.jsonl");
        Files.write(first, lines.subList(0, lines.size() / 2));
        Files.write(second, lines.subList(lines.size() / 2, lines.size()));
        assertThat(verify(stolen, first, second)).as("both halves").isEqualTo(stolenP);
        assertThat(verify(stolen, first)).as("one half: fewer marks").isGreaterThan(stolenP);
    }

    /** Serves the model on loopback and runs {@code moat watermark verify} against it. */
    static double verify(Path ledger, Classifier model) throws Exception {
        return verify(model, ledger);
    }

    /** As above, with every ledger given ({@code --ledger} once for each). */
    static double verify(Classifier model, Path... ledgers) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/models/suspect:predict", ex -> {
            JsonNode req = JSON.readTree(ex.getRequestBody());
            StringBuilder sb = new StringBuilder("{\"predictions\":[");
            for (int i = 0; i < req.get("instances").size(); i++) {
                double[] x = JSON.treeToValue(req.get("instances").get(i), double[].class);
                sb.append(i == 0 ? "" : ",").append(JSON.writeValueAsString(model.predict(x)));
            }
            byte[] out = sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, out.length);
            ex.getResponseBody().write(out);
            ex.close();
        });
        server.start();
        try {
            List<String> args = new java.util.ArrayList<>(List.of("watermark", "verify"));
            for (Path ledger : ledgers) {
                args.add("--ledger");
                args.add(ledger.toString());
            }
            args.add("--target");
            args.add("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/models/suspect:predict");
            CliTest.Run r = CliTest.run(args.toArray(String[]::new));
            assertThat(r.code()).as(r.err()).isZero();
            Matcher m = Pattern.compile("p-value=([0-9.eE+-]+)").matcher(r.out());
            assertThat(m.find()).as(r.out()).isTrue();
            System.out.println("watermark verify: " + r.out().trim().replace('\n', ' '));
            return Double.parseDouble(m.group(1));
        } finally {
            server.stop(0);
        }
    }
}
