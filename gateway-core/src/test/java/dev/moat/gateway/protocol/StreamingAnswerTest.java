package dev.moat.gateway.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.moat.gateway.http.MalformedBodyException;
import dev.moat.gateway.protocol.internal.JsonBodies;
import dev.moat.gateway.protocol.internal.NumericArrays;
import dev.moat.gateway.protocol.internal.StreamingAnswer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tree-free answer reader and writer are only a fast path: where they answer, the rows are the
 * tree path's and the written bytes are the tree path's (parse, overwrite the leaves, strip,
 * serialise), byte for byte; any other answer is left to the tree path and gets its error.
 */
class StreamingAnswerTest {

    private static final TfServingAdapter ADAPTER = new TfServingAdapter();

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"predictions\": [[0.1, 0.9], [1, 0]]}",
                "{\"predictions\":[[1e-7,-2.5E-3,12345678901234567890,0.30000000000000004]]}",
                "  {\"predictions\" : [ [ 0.5 ] ] }  ",
                "{\"predictions\": [[0.1, 0.2, 0.7], [0.3], [1.7976931348623157e308, 4.9e-324, -0.0]]}"
            })
    void acceptedAnswersGiveTheTreePathsRows(String json) throws Exception {
        double[][] fast = fast(json, false);
        assertThat(fast).isNotNull();
        assertThat(fast).isDeepEqualTo(treeRows(json));
        assertThat(fast(json, true)).isDeepEqualTo(fast);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"predictions\": [[0.1, 0.9]], \"model_version\": \"3\"}",
                "{\"model_version\": \"3\", \"predictions\": [[0.1, 0.9]]}",
                "{\"predictions\": [[[0.1, 0.9]]]}",
                "{\"predictions\": [0.1, 0.9]}",
                "{\"predictions\": [[0.1, \"a\"]]}",
                "{\"predictions\": [[0.1, null]]}",
                "{\"predictions\": []}",
                "{\"predictions\": [[]]}",
                "{\"predictions\": [[1]], \"predictions\": [[2]]}",
                "{\"predictions\": [[1e999]]}",
                "{\"predictions\": [[1]]} x",
                "{\"predictions\": [[1]]",
                "[[1]]",
                "{}",
                ""
            })
    void otherAnswersAreLeftToTheTreePath(String json) {
        assertThat(fast(json, false)).isNull();
        assertThat(fast(json, true)).isNull();
    }

    @Test
    void malformedAnswersStillGetTheTreePathsError() {
        assertThatThrownBy(() -> parse("{\"predictions\": [0.1, 0.9]}"))
                .isInstanceOf(MalformedBodyException.class)
                .hasMessageContaining("plain numbers");
        assertThatThrownBy(() -> parse("{\"predictions\": [[0.1, \"a\"]]}"))
                .isInstanceOf(MalformedBodyException.class)
                .hasMessageContaining("predictions[0]");
        assertThatThrownBy(() -> parse("{\"predictions\": [[1]], \"predictions\": [[2]]}"))
                .isInstanceOf(MalformedBodyException.class);
    }

    @Test
    void writtenAnswersAreTheTreePathsBytes() throws Exception {
        Random r = new Random(15);
        List<List<String>> strips = List.of(
                List.of(),
                List.of("/explanations"),
                List.of("", "/a~1b", "/predictions"),
                List.of("/predictions/0"),
                List.of("/predictions/1/0", "/explanations"),
                List.of("/x/y"));
        for (int n = 0; n < 600; n++) {
            int rows = 1 + r.nextInt(8);
            int width = 1 + r.nextInt(12);
            StringBuilder sb = new StringBuilder("{\"predictions\": [");
            double[][] next = new double[rows][width];
            for (int i = 0; i < rows; i++) {
                sb.append(i == 0 ? "[" : ", [");
                for (int j = 0; j < width; j++) {
                    sb.append(j == 0 ? "" : ",").append(r.nextInt(3) == 0 ? r.nextInt(2) : r.nextDouble());
                    next[i][j] = switch (r.nextInt(5)) {
                        case 0 -> Math.round(r.nextDouble() * 100) / 100.0; // round: 2
                        case 1 -> 0.0;
                        case 2 -> r.nextDouble();
                        case 3 -> Math.round(r.nextGaussian() * 1e6) / 1e6;
                        default -> r.nextGaussian() * Math.pow(10, r.nextInt(20) - 10);
                    };
                }
                sb.append(']');
            }
            String json = sb.append("]}").toString();
            List<String> strip = strips.get(n % strips.size());
            assertThat(write(json, next, strip)).as(json + " " + strip).isEqualTo(treeWrite(json, next, strip));
        }
    }

    @Test
    void aWrittenStreamedAnswerReadsBackAsTheSameRows() throws Exception {
        double[][] rows = {{0.81, 0.07, 0.0, 0.0, 0.12}, {1.0, -0.0, 1e-9, 123456.789, 0.005}};
        String json = write(
                String.format(Locale.ROOT, "{\"predictions\": [[%s],[%s]]}", "1,2,3,4,5", "1,2,3,4,5"),
                rows,
                List.of());
        assertThat(json).isEqualTo("{\"predictions\":[[0.81,0.07,0.0,0.0,0.12],[1.0,-0.0,1.0E-9,123456.789,0.005]]}");
        assertThat(parse(json).predictions()).isDeepEqualTo(rows);
    }

    @Test
    void aStreamedAnswerIsWrittenOnce() throws Exception {
        Answer a = parse("{\"predictions\": [[0.5, 0.5]]}");
        ByteBuf out = ADAPTER.writeAnswer(a, new double[][] {{1, 0}}, List.of(), PooledByteBufAllocator.DEFAULT);
        out.release();
        assertThatThrownBy(() ->
                        ADAPTER.writeAnswer(a, new double[][] {{1, 0}}, List.of(), PooledByteBufAllocator.DEFAULT))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void nonFinitePredictionsAreRefusedBeforeWriting() throws Exception {
        Answer a = parse("{\"predictions\": [[0.5, 0.5]]}");
        assertThatThrownBy(() -> ADAPTER.writeAnswer(
                        a, new double[][] {{Double.NaN, 0}}, List.of(), PooledByteBufAllocator.DEFAULT))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static String write(String json, double[][] next, List<String> strip) throws Exception {
        Answer a = parse(json);
        assertThat(a.isStreamed()).isTrue();
        ByteBuf out = ADAPTER.writeAnswer(a, copy(next), strip, PooledByteBufAllocator.DEFAULT);
        try {
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            out.release();
        }
    }

    /** The tree path as it was: parse, overwrite every leaf, strip, serialise. */
    private static String treeWrite(String json, double[][] next, List<String> strip) throws Exception {
        ByteBuf b = buf(json);
        try {
            JsonNode root = JsonBodies.read(b);
            ArrayNode rows = (ArrayNode) root.get("predictions");
            for (int i = 0; i < next.length; i++) {
                NumericArrays.overwrite((ArrayNode) rows.get(i), next[i]);
            }
            JsonBodies.strip(root, strip);
            ByteBuf out = JsonBodies.write(root, PooledByteBufAllocator.DEFAULT, 64);
            try {
                return out.toString(StandardCharsets.UTF_8);
            } finally {
                out.release();
            }
        } finally {
            b.release();
        }
    }

    private static double[][] copy(double[][] rows) {
        double[][] c = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            c[i] = rows[i].clone();
        }
        return c;
    }

    private static Answer parse(String json) throws MalformedBodyException {
        ByteBuf b = buf(json);
        try {
            return ADAPTER.parseAnswer(b);
        } finally {
            b.release();
        }
    }

    private static double[][] fast(String json, boolean direct) {
        ByteBuf b = direct ? direct(json) : buf(json);
        try {
            double[][] rows = StreamingAnswer.predictions(b);
            assertThat(b.readerIndex()).isZero();
            return rows;
        } finally {
            b.release();
        }
    }

    private static double[][] treeRows(String json) throws MalformedBodyException {
        ByteBuf b = buf(json);
        try {
            return JsonAdapter.rows(JsonBodies.read(b).get("predictions"), "predictions");
        } finally {
            b.release();
        }
    }

    private static ByteBuf buf(String json) {
        return Unpooled.wrappedBuffer(json.getBytes(StandardCharsets.UTF_8));
    }

    private static ByteBuf direct(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ByteBuf d = Unpooled.directBuffer(Math.max(1, b.length));
        d.writeBytes(b);
        return d;
    }
}
