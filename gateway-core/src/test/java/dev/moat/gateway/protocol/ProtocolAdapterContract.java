package dev.moat.gateway.protocol;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.gateway.http.MalformedBodyException;
import dev.moat.gateway.protocol.internal.JsonBodies;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every {@link ProtocolAdapter} must do, whatever its protocol. A subclass says how its
 * protocol spells requests and answers (and which bodies are malformed for it); this class checks
 * round trips, in-place writes, stripping, malformed and hostile bodies, buffer ownership, and one
 * real exchange with the fixture {@code ModelServer}.
 */
abstract class ProtocolAdapterContract {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
    /** Put in malformed bodies: an error message that contains it echoed the body. */
    static final String CANARY = "canary-5eC4e7";

    /** A request in the protocol and the feature rows {@code inputs()} must read from it. */
    record RequestCase(String json, double[][] expected) {}

    abstract ProtocolAdapter adapter();

    /** A realistic answer carrying {@code predictions}, with something at {@link #stripPointer()}. */
    abstract String answer(double[][] predictions);

    /** A field present in every {@link #answer}, not among the predictions. */
    abstract String stripPointer();

    /** A realistic request with {@code instances} instances (or one row, for text). */
    abstract RequestCase request(int instances, Random random);

    /** Prediction row width in {@link #answer}s. */
    int width() {
        return 10;
    }

    /** Requests of the right syntax but the wrong shape for this protocol. */
    abstract List<String> malformedRequests();

    /** Answers of the right syntax but the wrong shape for this protocol. */
    abstract List<String> malformedAnswers();

    /** A request to send the fixture server: path, body, and the prediction rows to expect. */
    abstract RequestCase realExchange();

    abstract String realPath();

    /**
     * The fields of {@link #answer} the adapter never writes back on a policy route (nothing
     * transforms them, so they would pass undefended); none by default.
     */
    List<String> droppedFields() {
        return List.of();
    }

    private String withoutDropped(String answer) throws Exception {
        JsonNode doc = JsonBodies.MAPPER.readTree(answer);
        JsonBodies.strip(doc, droppedFields());
        return doc.toString();
    }

    // ---------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0} rows")
    @ValueSource(ints = {1, 7})
    void roundTripKeepsPredictions(int rows) throws Exception {
        double[][] p = probabilities(rows, new Random(rows));
        Answer parsed = parse(answer(p));
        assertClose(parsed.predictions(), p);
        String written = write(parsed, parsed.predictions(), List.of());
        assertClose(parse(written).predictions(), p);
        assertSameDocument(written, withoutDropped(answer(p)));
    }

    @ParameterizedTest(name = "{0} rows")
    @ValueSource(ints = {1, 7})
    void writtenPredictionsAppearInPlace(int rows) throws Exception {
        double[][] p = probabilities(rows, new Random(100 + rows));
        double[][] changed = reversed(p);
        String written = write(parse(answer(p)), changed, List.of());
        assertClose(parse(written).predictions(), changed);
        // Everything else as the server would have sent it with these predictions.
        assertSameDocument(written, withoutDropped(answer(changed)));
    }

    @Test
    void stripRemovesTheFieldAndIgnoresPointersThatLeadNowhere() throws Exception {
        double[][] p = probabilities(3, new Random(3));
        String written = write(parse(answer(p)), p, List.of(stripPointer(), "/no/such/field", "/choices/99", "/x~1y"));
        JsonNode expected = JsonBodies.MAPPER.readTree(answer(p));
        assertThat(expected.at(stripPointer()).isMissingNode()).isFalse();
        JsonBodies.strip(expected, List.of(stripPointer()));
        assertThat(JsonBodies.MAPPER.readTree(written).at(stripPointer()).isMissingNode())
                .isTrue();
        assertSameDocument(written, expected.toString());
    }

    @ParameterizedTest(name = "{0} instances")
    @ValueSource(ints = {1, 7})
    void inputsOfRealisticRequests(int instances) throws Exception {
        RequestCase req = request(instances, new Random(instances));
        ByteBuf body = direct(req.json());
        try {
            int readerIndex = body.readerIndex();
            assertClose(adapter().inputs(body), req.expected());
            assertThat(body.readerIndex()).isEqualTo(readerIndex);
            assertThat(body.refCnt()).isEqualTo(1);
        } finally {
            body.release();
        }
        ByteBuf heap = Unpooled.wrappedBuffer(req.json().getBytes(UTF_8));
        try {
            assertClose(adapter().inputs(heap), req.expected());
        } finally {
            heap.release();
        }
    }

    @TestFactory
    Stream<DynamicTest> malformedRequestsAreRejected() {
        return Stream.concat(hostileBodies().stream(), malformedRequests().stream())
                .map(json -> dynamicTest(label(json), () -> assertMalformed(json, true)));
    }

    @TestFactory
    Stream<DynamicTest> malformedAnswersAreRejected() {
        return Stream.concat(hostileBodies().stream(), malformedAnswers().stream())
                .map(json -> dynamicTest(label(json), () -> assertMalformed(json, false)));
    }

    @Test
    void tenMegabytesOfNestingIsMalformedNotAStackOverflow() {
        String deep = "[".repeat(10 * 1024 * 1024);
        assertMalformed(deep, true);
        assertMalformed(deep, false);
        assertMalformed("{\"" + CANARY + "\": " + deep, true);
        assertMalformed("{\"" + CANARY + "\": " + deep, false);
        ByteBuf body = direct(deep);
        try {
            assertThatThrownBy(() -> adapter().parseAnswer(body)).hasMessageContaining("nested too deeply");
        } finally {
            body.release();
        }
    }

    @Test
    void aWriteThatFailsMidwayReleasesItsBuffer() throws Exception {
        List<ByteBuf> handedOut = new ArrayList<>();
        // Buffers that cannot grow past 16 bytes: serialising any answer overflows them.
        ByteBufAllocator tiny = new io.netty.buffer.AbstractByteBufAllocator(true) {
            @Override
            protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
                return newDirectBuffer(initialCapacity, maxCapacity);
            }

            @Override
            protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
                ByteBuf b = ALLOC.directBuffer(16, 16);
                handedOut.add(b);
                return b;
            }

            @Override
            public boolean isDirectBufferPooled() {
                return true;
            }
        };
        double[][] p = probabilities(2, new Random(5));
        Answer parsed = parse(answer(p));
        assertThatThrownBy(() -> adapter().writeAnswer(parsed, p, List.of(), tiny))
                .isInstanceOf(RuntimeException.class);
        assertThat(handedOut)
                .isNotEmpty()
                .allSatisfy(b -> assertThat(b.refCnt()).isZero());
    }

    @Test
    void predictionsOfAnotherShapeAreRefusedAndTheAnswerStaysWritable() throws Exception {
        double[][] p = probabilities(2, new Random(2));
        Answer parsed = parse(answer(p));
        assertThatThrownBy(() -> write(parsed, new double[][] {p[0]}, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        double[][] narrow = {p[0], java.util.Arrays.copyOf(p[1], p[1].length - 1)};
        assertThatThrownBy(() -> write(parsed, narrow, List.of())).isInstanceOf(IllegalArgumentException.class);
        double[][] nan = {p[0], p[1].clone()};
        nan[1][0] = Double.NaN;
        assertThatThrownBy(() -> write(parsed, nan, List.of())).isInstanceOf(IllegalArgumentException.class);
        assertClose(parse(write(parsed, p, List.of())).predictions(), p);
    }

    @Test
    void anAnswerIsWrittenOnce() throws Exception {
        double[][] p = probabilities(1, new Random(1));
        Answer parsed = parse(answer(p));
        write(parsed, p, List.of());
        assertThatThrownBy(() -> write(parsed, p, List.of())).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void realAnswerFromTheModelServer() throws Exception {
        RequestCase req = realExchange();
        HttpResponse<byte[]> res = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(upstream.uri(realPath()))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(req.json()))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
        assertThat(res.statusCode()).isEqualTo(200);
        ByteBuf reqBody = direct(req.json());
        ByteBuf resBody = ALLOC.directBuffer().writeBytes(res.body());
        try {
            assertThat(adapter().inputs(reqBody)).isNotEmpty();
            Answer answer = adapter().parseAnswer(resBody);
            assertThat(answer.predictions()).hasDimensions(req.expected().length, req.expected()[0].length);
            for (double[] row : answer.predictions()) {
                double sum = 0;
                for (double v : row) {
                    assertThat(v).isBetween(0.0, 1.0);
                    sum += v;
                }
                assertThat(sum).isLessThanOrEqualTo(1 + 1e-6);
            }
            checkRealAnswer(answer);
            double[][] changed = reversed(answer.predictions());
            String written = write(answer, changed, List.of());
            assertClose(parse(written).predictions(), changed);
        } finally {
            reqBody.release();
            resBody.release();
        }
    }

    /** Protocol-specific checks on the fixture server's answer. */
    void checkRealAnswer(Answer answer) {
        for (double[] row : answer.predictions()) {
            assertThat(java.util.Arrays.stream(row).sum()).isCloseTo(1.0, within(1e-4));
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** Bodies no adapter may accept, whatever its protocol. */
    static List<String> hostileBodies() {
        List<String> bodies = new ArrayList<>();
        bodies.add("");
        bodies.add("   ");
        bodies.add(CANARY);
        bodies.add("{\"" + CANARY + "\": [1, 2");
        bodies.add("{\"" + CANARY + "\": [1, 2]} trailing " + CANARY);
        bodies.add("{\"" + CANARY + "\": 1, \"" + CANARY + "\": 2}");
        bodies.add("null");
        bodies.add("42");
        bodies.add("\"" + CANARY + "\"");
        bodies.add("{}");
        return bodies;
    }

    /** A malformed request is refused by {@link ProtocolAdapter#inputs} and by {@link ProtocolAdapter#read} alike. */
    void assertMalformed(String json, boolean request) {
        ByteBuf body = direct(json);
        try {
            assertThatThrownBy(() -> {
                        if (request) {
                            adapter().inputs(body);
                        } else {
                            adapter().parseAnswer(body);
                        }
                    })
                    .isInstanceOf(MalformedBodyException.class)
                    .satisfies(e ->
                            assertThat(e.getMessage()).doesNotContain(CANARY).isNotBlank());
            if (request) {
                assertThatThrownBy(() -> adapter().read(body, new DefaultHttpHeaders(), ALLOC))
                        .isInstanceOf(MalformedBodyException.class);
            }
        } finally {
            body.release();
        }
    }

    Answer parse(String json) throws MalformedBodyException {
        ByteBuf body = direct(json);
        try {
            return adapter().parseAnswer(body);
        } finally {
            body.release();
        }
    }

    String write(Answer answer, double[][] predictions, List<String> strip) {
        ByteBuf out = adapter().writeAnswer(answer, predictions, strip, ALLOC);
        try {
            return out.toString(UTF_8);
        } finally {
            out.release();
        }
    }

    static ByteBuf direct(String json) {
        byte[] bytes = json.getBytes(UTF_8);
        return ALLOC.directBuffer(Math.max(1, bytes.length)).writeBytes(bytes);
    }

    /** Softmax rows of {@link #width()} values; every value strictly positive. */
    double[][] probabilities(int rows, Random random) {
        double[][] p = new double[rows][width()];
        for (double[] row : p) {
            double sum = 0;
            for (int j = 0; j < row.length; j++) {
                row[j] = Math.exp(3 * random.nextGaussian());
                sum += row[j];
            }
            for (int j = 0; j < row.length; j++) {
                row[j] /= sum;
            }
        }
        return p;
    }

    static double[][] reversed(double[][] p) {
        double[][] r = new double[p.length][];
        for (int i = 0; i < p.length; i++) {
            r[i] = new double[p[i].length];
            for (int j = 0; j < p[i].length; j++) {
                r[i][j] = p[i][p[i].length - 1 - j];
            }
        }
        return r;
    }

    static void assertClose(double[][] actual, double[][] expected) {
        assertThat(actual.length).isEqualTo(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("row %d", i).containsExactly(expected[i], within(1e-9));
        }
    }

    /** Same JSON document, numbers equal within 1e-9 (relative), field order ignored. */
    static void assertSameDocument(String actual, String expected) throws Exception {
        JsonNode a = JsonBodies.MAPPER.readTree(actual);
        JsonNode e = JsonBodies.MAPPER.readTree(expected);
        Comparator<JsonNode> numbersWithin = (x, y) -> {
            if (x.isNumber() && y.isNumber()) {
                double dx = x.doubleValue();
                double dy = y.doubleValue();
                return Math.abs(dx - dy) <= 1e-9 * Math.max(1, Math.abs(dy)) ? 0 : 1;
            }
            return x.equals(y) ? 0 : 1;
        };
        assertThat(a.equals(numbersWithin, e))
                .as("%s%nexpected%n%s", actual, expected)
                .isTrue();
    }

    static String label(String json) {
        String shown = json.length() > 60 ? json.substring(0, 60) + "..." : json;
        return shown.isBlank() ? "blank (" + json.length() + " chars)" : shown;
    }

    static ObjectNode object() {
        return JsonBodies.MAPPER.createObjectNode();
    }
}
