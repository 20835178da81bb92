package dev.moat.gateway.cli;

import dev.moat.config.Protocol;
import dev.moat.config.UpstreamConfig;
import dev.moat.gateway.protocol.Answer;
import dev.moat.gateway.protocol.ProtocolAdapter;
import dev.moat.gateway.protocol.ProtocolAdapters;
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
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code moat watermark verify}: sends the ledger's watermarked inputs to a suspect model, counts
 * how often it answers the watermark label, and prints n, matches, the exact binomial tail p-value
 * against chance and the verdict (DAWN, Szyller et al. 2021).
 */
@Command(
        name = "watermark",
        description = "Prove that a suspect model was trained on Moat's answers.",
        subcommands = WatermarkCommand.Verify.class)
final class WatermarkCommand implements Runnable {

    @Override
    public void run() {
        picocli.CommandLine.usage(this, System.out);
    }

    @Command(
            name = "verify",
            description = "Query a suspect model with the ledger's inputs; print n, matches, p-value, verdict.")
    static final class Verify implements Callable<Integer> {
        @Option(names = "--ledger", required = true, description = "The watermark ledger (JSON lines).")
        Path ledger;

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
                description = "Claim when the p-value is below this (default: ${DEFAULT-VALUE}).")
        double threshold;

        @Option(names = "--batch", defaultValue = "32", description = "Inputs per request (default: ${DEFAULT-VALUE}).")
        int batch;

        @Override
        public Integer call() throws Exception {
            Protocol p = Protocol.fromYaml(protocol);
            if (p == null || p == Protocol.OPENAI) {
                System.err.println("--protocol: \"" + protocol + "\" (expected one of: tfserving, kserve-v2, generic)");
                return 2;
            }
            List<LedgerEntry> entries = WatermarkLedger.read(ledger);
            WatermarkVerifier verifier = new WatermarkVerifier(
                    threshold, Double.NaN, dev.moat.policies.watermark.CanonicalInput.defaultGrid());
            List<LedgerEntry> unique = verifier.distinct(entries);
            ProtocolAdapter adapter = ProtocolAdapters.forUpstream(new UpstreamConfig(
                    "suspect",
                    target,
                    p,
                    Duration.ofSeconds(5),
                    Duration.ofSeconds(30),
                    1,
                    p == Protocol.GENERIC
                            ? new UpstreamConfig.GenericPointers("/data", "/result/probabilities", null)
                            : null));
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
            Verification v = verifier.verify(unique, labels);
            System.out.println(v.summary());
            System.out.printf(
                    "n=%d matches=%d chance=%.4f p-value=%.3e verdict=%s%n",
                    v.n(),
                    v.matches(),
                    v.chanceRate(),
                    v.pValue(),
                    v.claimed() ? "CLAIMED (the suspect was trained on watermarked answers)" : "NOT CLAIMED");
            return 0;
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
