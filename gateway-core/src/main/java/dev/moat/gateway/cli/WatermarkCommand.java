package dev.moat.gateway.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.config.Protocol;
import dev.moat.config.UpstreamConfig;
import dev.moat.gateway.protocol.Answer;
import dev.moat.gateway.protocol.ProtocolAdapter;
import dev.moat.gateway.protocol.ProtocolAdapters;
import dev.moat.policies.watermark.Attribution;
import dev.moat.policies.watermark.LedgerEntry;
import dev.moat.policies.watermark.Verification;
import dev.moat.policies.watermark.WatermarkLedger;
import dev.moat.policies.watermark.WatermarkVerifier;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code moat watermark verify}: sends the ledger's watermarked inputs to a suspect model (each
 * distinct input once), and tests its answers against each key's (or tenant's) watermark labels:
 * per key n, matches and the exact binomial tail p-value against chance, Holm-corrected for the
 * number of keys tested, and the keys it claims (DAWN, Szyller et al. 2021, with per-key labels).
 */
@Command(
        name = "watermark",
        description = "Prove that a suspect model was trained on Moat's answers, and name the key.",
        subcommands = WatermarkCommand.Verify.class)
final class WatermarkCommand implements Runnable {

    @Override
    public void run() {
        picocli.CommandLine.usage(this, System.out);
    }

    @Command(
            name = "verify",
            description = "Query a suspect model with the ledger's inputs; per key: n, matches, p-value"
                    + " (Holm-corrected), claimed; then the verdict.")
    static final class Verify implements Callable<Integer> {
        @Option(
                names = "--ledger",
                required = true,
                description = "The watermark ledger (the active file; rotated segments next to it are read too);"
                        + " repeat it for the ledgers of several gateway instances.")
        List<Path> ledgers;

        @Option(
                names = "--target",
                required = true,
                description = "The suspect's predict URL, e.g. http://host:8501/v1/models/digits:predict")
        URI target;

        @Option(
                names = "--protocol",
                defaultValue = "tfserving",
                description = "tfserving, kserve-v2 or generic (default: ${DEFAULT-VALUE}).")
        String protocol;

        @Option(names = "--api-key", description = "Bearer key for the suspect's API, if it needs one.")
        String apiKey;

        @Option(
                names = "--threshold",
                defaultValue = "1e-6",
                description = "Claim a key when its corrected p-value is below this (default: ${DEFAULT-VALUE}).")
        double threshold;

        @Option(
                names = "--by",
                defaultValue = "key",
                description = "Test per key or per tenant; match the policy's attribution (default: ${DEFAULT-VALUE}).")
        String by;

        @Option(names = "--json", description = "Print one JSON object instead of text.")
        boolean json;

        @Option(names = "--batch", defaultValue = "32", description = "Inputs per request (default: ${DEFAULT-VALUE}).")
        int batch;

        @Override
        public Integer call() throws Exception {
            Protocol p = Protocol.fromYaml(protocol);
            if (p == null || p == Protocol.OPENAI) {
                System.err.println("--protocol: \"" + protocol + "\" (expected one of: tfserving, kserve-v2, generic)");
                return 2;
            }
            if (!"key".equals(by) && !"tenant".equals(by)) {
                System.err.println("--by: \"" + by + "\" (expected one of: key, tenant)");
                return 2;
            }
            if (!(threshold > 0 && threshold < 1)) {
                System.err.println("--threshold: " + threshold + " (expected: between 0 and 1)");
                return 2;
            }
            // several instances each write their own ledger; a key's marks are on the one its queries were
            // hashed to, and on another after a failover: read together, they are one key's record
            List<LedgerEntry> entries = new java.util.ArrayList<>();
            for (Path ledger : ledgers) {
                entries.addAll(WatermarkLedger.read(ledger));
            }
            WatermarkVerifier verifier = new WatermarkVerifier(
                    threshold, Double.NaN, dev.moat.policies.watermark.CanonicalInput.defaultGrid());
            List<LedgerEntry> unique = verifier.distinct(entries);
            int[] labels = ask(p, unique);
            Attribution a = Attribution.score(verifier, entries, by, unique, labels);
            if (json) {
                System.out.println(toJson(a));
            } else {
                print(a);
            }
            return 0;
        }

        /** The suspect's top-1 for each input, -1 where it gave none. */
        private int[] ask(Protocol p, List<LedgerEntry> unique) throws Exception {
            ProtocolAdapter adapter = ProtocolAdapters.forUpstream(new UpstreamConfig(
                    "suspect",
                    target,
                    p,
                    Duration.ofSeconds(5),
                    Duration.ofSeconds(30),
                    1,
                    p == Protocol.GENERIC
                            ? new UpstreamConfig.GenericPointers("/data", "/result/probabilities", null)
                            : null,
                    null));
            HttpClient http = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();
            int[] labels = new int[unique.size()];
            for (int from = 0; from < unique.size(); from += batch) {
                int to = Math.min(unique.size(), from + batch);
                double[][] xs = new double[to - from][];
                for (int i = from; i < to; i++) {
                    xs[i - from] = unique.get(i).input();
                }
                HttpRequest.Builder req = HttpRequest.newBuilder(target)
                        .timeout(Duration.ofSeconds(60))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(SuspectRequests.body(p, xs)));
                if (apiKey != null) {
                    req.header("Authorization", "Bearer " + apiKey);
                }
                HttpResponse<byte[]> res = http.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
                if (res.statusCode() / 100 != 2) {
                    for (int i = from; i < to; i++) {
                        labels[i] = -1;
                    }
                    continue;
                }
                ByteBuf buf = Unpooled.wrappedBuffer(res.body());
                Answer a = adapter.parseAnswer(buf);
                double[][] preds = a.predictions();
                for (int i = from; i < to; i++) {
                    labels[i] = i - from < preds.length ? argmax(preds[i - from]) : -1;
                }
            }
            return labels;
        }

        private void print(Attribution a) {
            System.out.printf("%-24s %8s %8s %12s %12s  %s%n", by, "matches", "n", "p-value", "corrected", "claimed");
            for (Attribution.Owner o : a.owners()) {
                Verification v = o.verification();
                System.out.printf(
                        Locale.ROOT,
                        "%-24s %8d %8d %12.3e %12.3e  %s%n",
                        o.owner() == null ? "(no key)" : o.owner(),
                        v.matches(),
                        v.n(),
                        v.pValue(),
                        o.adjustedPValue(),
                        o.claimed() ? "CLAIMED" : "no");
            }
            Attribution.Owner best = a.best();
            System.out.printf(
                    Locale.ROOT,
                    "n=%d matches=%d chance=%.4f p-value=%.3e verdict=%s%n",
                    best == null ? 0 : best.verification().n(),
                    best == null ? 0 : best.verification().matches(),
                    best == null ? 0.0 : best.verification().chanceRate(),
                    best == null ? 1.0 : best.adjustedPValue(),
                    a.verdictClaimed()
                            ? "CLAIMED (trained on the watermarked answers of " + by + " "
                                    + String.join(", ", a.claimed()) + ")"
                            : "NOT CLAIMED");
            System.out.printf(
                    Locale.ROOT,
                    "(%d %s(s) tested, Holm-corrected; threshold %.3g)%n",
                    a.owners().size(),
                    by,
                    a.threshold());
        }

        static String toJson(Attribution a) throws Exception {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode root = mapper.createObjectNode();
            Attribution.Owner best = a.best();
            root.put("verdict", a.verdictClaimed() ? "claimed" : "not claimed");
            root.put("p_value", best == null ? 1.0 : best.adjustedPValue());
            root.put("log10_p_value", best == null ? 0.0 : best.log10Adjusted());
            root.put("matches", best == null ? 0 : best.verification().matches());
            root.put("n", best == null ? 0 : best.verification().n());
            root.put("by", a.by());
            root.put("threshold", a.threshold());
            root.put("correction", "holm");
            ArrayNode keys = root.putArray("keys");
            for (Attribution.Owner o : a.owners()) {
                Verification v = o.verification();
                keys.addObject()
                        .put("key", o.owner())
                        .put("matches", v.matches())
                        .put("n", v.n())
                        .put("p_value", o.adjustedPValue())
                        .put("log10_p_value", o.log10Adjusted())
                        .put("raw_p_value", v.pValue())
                        .put("chance_rate", v.chanceRate())
                        .put("claimed", o.claimed());
            }
            return mapper.writeValueAsString(root);
        }

        private static int argmax(double[] p) {
            int best = 0;
            for (int i = 1; i < p.length; i++) {
                if (p[i] > p[best]) {
                    best = i;
                }
            }
            return best;
        }
    }
}
