package dev.moat.gateway.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.moat.gateway.http.MalformedBodyException;
import dev.moat.gateway.protocol.internal.JsonBodies;
import dev.moat.gateway.protocol.internal.StreamingRows;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tree-free request reader is only a fast path: wherever it answers, it must give exactly the
 * rows the tree path gives; wherever the tree path would fail or the shape is unusual, it must step
 * aside (null) so the tree path's error is the one the client sees.
 */
class StreamingRowsTest {

    private static final TfServingAdapter ADAPTER = new TfServingAdapter();

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"instances\": [[1, 2, 3], [4, 5, 6]]}",
                "{\"instances\": [1, 2.5, -3e2]}",
                "{\"signature_name\": \"serving_default\", \"instances\": [[1e3, -2.5E-3, 12345678901234567890, 0.1]]}",
                "{\"inputs\": [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]}",
                "{\"instances\": [[1, 2], [3]]}",
                "{\"instances\": [[[], 1]]}",
                "{\"meta\": {\"a\": [1, {\"b\": null}]}, \"instances\": [[0.30000000000000004, 1.7976931348623157e308]]}",
                "  {\"instances\":[[-0.0,4.9e-324]]}  "
            })
    void acceptedBodiesGiveTheTreePathsRows(String json) throws Exception {
        double[][] fast = fast(json, false);
        assertThat(fast).isNotNull();
        assertThat(fast).isDeepEqualTo(treeRows(json));
        assertThat(fast(json, true)).isDeepEqualTo(fast);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"instances\": [[1, \"a\"]]}",
                "{\"instances\": [1, [2]]}",
                "{\"instances\": []}",
                "{\"instances\": [[]]}",
                "{\"instances\": [[1]], \"inputs\": [[1]]}",
                "{\"instances\": [[1]], \"instances\": [[2]]}",
                "{\"signature_name\": \"logits\", \"instances\": [[1]]}", // another signature: refused by the tree path
                "{\"instances\": [[1]]} x",
                "{\"instances\": [[1e999]]}",
                "[[1]]",
                "{\"instances\": {\"a\": [1]}}",
                "{\"other\": 1}",
                "{\"instances\": [[1, null]]}",
                "{\"instances\": [[1, true]]}",
                "{\"instances\": [[1, 2]",
                ""
            })
    void unusualOrMalformedBodiesAreLeftToTheTreePath(String json) {
        assertThat(fast(json, false)).isNull();
        assertThat(fast(json, true)).isNull();
    }

    @Test
    void malformedBodiesStillGetTheTreePathsError() {
        assertThatThrownBy(() -> adapterInputs("{\"instances\": [[1]], \"inputs\": [[1]]}"))
                .isInstanceOf(MalformedBodyException.class)
                .hasMessageContaining("not both");
        assertThatThrownBy(() -> adapterInputs("{\"instances\": [[1, \"a\"]]}"))
                .isInstanceOf(MalformedBodyException.class)
                .hasMessageContaining("instances[0]");
    }

    @Test
    void tooDeepANestingIsLeftToTheTreePathWhichRejectsIt() {
        String deep = "{\"instances\": [" + "[".repeat(100) + "1" + "]".repeat(100) + "]}";
        assertThat(fast(deep, false)).isNull();
        assertThatThrownBy(() -> adapterInputs(deep)).isInstanceOf(MalformedBodyException.class);
    }

    @Test
    void randomBodiesMatchTheTreePathBitForBit() throws Exception {
        Random r = new Random(15);
        for (int n = 0; n < 300; n++) {
            StringBuilder sb = new StringBuilder("{\"instances\": [");
            int rows = 1 + r.nextInt(8);
            for (int i = 0; i < rows; i++) {
                sb.append(i == 0 ? "[" : ", [");
                int width = 1 + r.nextInt(70);
                for (int j = 0; j < width; j++) {
                    if (j > 0) {
                        sb.append(',');
                    }
                    switch (r.nextInt(4)) {
                        case 0 -> sb.append(r.nextInt(17));
                        case 1 -> sb.append(String.format(Locale.ROOT, "%.3f", r.nextDouble() * 16));
                        case 2 -> sb.append(r.nextGaussian() * 1e-5);
                        default -> sb.append(String.format(Locale.ROOT, "%.17e", (r.nextDouble() - 0.5) * 1e300));
                    }
                }
                sb.append(']');
            }
            String json = sb.append("]}").toString();
            double[][] fast = fast(json, n % 2 == 0);
            assertThat(fast).as(json).isNotNull();
            assertThat(fast).as(json).isDeepEqualTo(treeRows(json));
        }
    }

    private static double[][] fast(String json, boolean direct) {
        ByteBuf b = direct ? direct(json) : buf(json);
        try {
            double[][] rows = StreamingRows.instances(b);
            assertThat(b.readerIndex()).isZero();
            return rows;
        } finally {
            b.release();
        }
    }

    private static double[][] adapterInputs(String json) throws MalformedBodyException {
        ByteBuf b = buf(json);
        try {
            return ADAPTER.inputs(b);
        } finally {
            b.release();
        }
    }

    private static double[][] treeRows(String json) throws MalformedBodyException {
        ByteBuf b = buf(json);
        try {
            JsonNode root = JsonBodies.read(b);
            JsonNode a = root.has("instances") ? root.get("instances") : root.get("inputs");
            return JsonAdapter.instances(a, "instances");
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
