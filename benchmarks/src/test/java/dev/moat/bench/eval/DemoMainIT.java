package dev.moat.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.moat.fixtures.server.ModelServer;
import dev.moat.fixtures.server.ModelServerExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code moat demo} in-process over real sockets, for a few seconds: which model its gateway calls
 * and whether it starts the sample model. Before, a {@code MOAT_DEMO_MODEL_URL} in the environment
 * reached the gateway's config, but the demo still started the sample model (on 8501 when free) and
 * printed that model's URL as the one in use.
 */
class DemoMainIT {

    /** The operator's model server, on a free port. */
    @RegisterExtension
    static final ModelServerExtension model = new ModelServerExtension();

    static final Path CONFIG = Path.of("../config/examples/demo.yaml");
    static final String PREDICT = "/v1/models/digits:predict";

    /** The demo's output and status, and how many sample models it started. */
    record Run(int status, String out, String err, int sampleModelsStarted) {}

    static Run demo(Map<String, String> variables) throws Exception {
        Map<String, String> env = new HashMap<>(variables);
        env.put("MOAT_DEMO_LISTEN", "127.0.0.1:0");
        env.put("MOAT_DEMO_ADMIN_LISTEN", "127.0.0.1:0");
        AtomicInteger started = new AtomicInteger();
        Supplier<ModelServer> sampleModel = () -> {
            started.incrementAndGet();
            return ModelServer.start(); // a free port, never 8501 in a test
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = DemoMain.demo(
                CONFIG,
                env,
                Duration.ofSeconds(2),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                sampleModel);
        return new Run(
                status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), started.get());
    }

    @Test
    void withModelUrlSetTheDemoCallsThatModelAndStartsNoSampleModel() throws Exception {
        long before = model.server().requests(PREDICT);
        Run r = demo(Map.of("MOAT_DEMO_MODEL_URL", model.baseUri().toString()));
        assertThat(r.sampleModelsStarted()).as("sample models started").isZero();
        assertThat(r.out()).startsWith("moat demo: model " + model.baseUri() + " (MOAT_DEMO_MODEL_URL), gateway ");
        assertThat(model.server().requests(PREDICT))
                .as("the given model answered the demo's clients")
                .isGreaterThan(before);
        assertThat(r.out()).contains("summary after");
        assertThat(r.status()).as(r.err()).isIn(0, 1);
    }

    @Test
    void anEmptyModelUrlIsUnsetAsInTheConfigSoTheSampleModelIsStartedAndCalled() throws Exception {
        long before = model.server().requests(PREDICT);
        Run r = demo(Map.of("MOAT_DEMO_MODEL_URL", ""));
        assertThat(r.sampleModelsStarted()).isEqualTo(1);
        assertThat(r.out())
                .matches("(?s)moat demo: model http://127\\.0\\.0\\.1:\\d+ \\(the sample model, started for"
                        + " the demo\\), gateway .*");
        assertThat(r.out()).doesNotContain(model.baseUri().toString());
        assertThat(model.server().requests(PREDICT)).isEqualTo(before);
        assertThat(r.status()).as(r.err()).isIn(0, 1);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "localhost:8501",
                "127.0.0.1:8501",
                "ftp://127.0.0.1:8501",
                "http://",
                "http:///v1",
                "http://127.0.0.1:99999",
                "http://127.0.0.1:8501/?x=1",
                "not a url",
            })
    void aModelUrlTheGatewayCannotCallIsOneLineAndExitTwoBeforeAnythingStarts(String value) throws Exception {
        long before = model.server().requests(PREDICT);
        Run r = demo(Map.of("MOAT_DEMO_MODEL_URL", value));
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err())
                .isEqualTo("moat demo: MOAT_DEMO_MODEL_URL: \"" + value + "\" (expected an absolute http:// or https://"
                        + " URL with a host, without user info, query or fragment, such as http://127.0.0.1:8501)"
                        + System.lineSeparator());
        assertThat(r.out()).isEmpty();
        assertThat(r.sampleModelsStarted()).isZero();
        assertThat(model.server().requests(PREDICT)).isEqualTo(before);
    }

    @Test
    void aModelUrlWithUserInfoIsRefusedWithoutEchoingIt() throws Exception {
        Run r = demo(Map.of("MOAT_DEMO_MODEL_URL", "http://user:s3cret@127.0.0.1:8501"));
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err())
                .startsWith("moat demo: MOAT_DEMO_MODEL_URL: (hidden")
                .doesNotContain("s3cret");
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.sampleModelsStarted()).isZero();
    }
}
