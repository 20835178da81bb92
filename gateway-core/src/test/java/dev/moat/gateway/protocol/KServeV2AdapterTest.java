package dev.moat.gateway.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.config.Protocol;
import dev.moat.gateway.http.MalformedBodyException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KServeV2AdapterTest extends ProtocolAdapterContract {

    @Override
    ProtocolAdapter adapter() {
        return ProtocolAdapters.forUpstream(Bodies.upstream(Protocol.KSERVE_V2, null));
    }

    @Override
    String answer(double[][] p) {
        ObjectNode o = object().put("model_name", "digits").put("model_version", "1");
        ObjectNode out = o.putArray("outputs").addObject().put("name", "probabilities");
        out.putArray("shape").add(p.length).add(p[0].length);
        out.put("datatype", "FP32").set("data", Bodies.flat(p));
        return o.toString();
    }

    @Override
    String stripPointer() {
        return "/model_version";
    }

    @Override
    RequestCase request(int instances, Random random) {
        double[][] x = Bodies.digits(instances, random);
        return new RequestCase(tensorRequest(x), x);
    }

    static String tensorRequest(double[][] x) {
        ObjectNode o = object();
        ObjectNode in = o.putArray("inputs").addObject().put("name", "input-0");
        in.putArray("shape").add(x.length).add(x[0].length);
        in.put("datatype", "FP32").set("data", Bodies.flat(x));
        return o.toString();
    }

    @Override
    List<String> malformedRequests() {
        return List.of(
                "{\"inputs\": []}",
                "{\"inputs\": \"" + CANARY + "\"}",
                "{\"inputs\": [\"" + CANARY + "\"]}",
                "{\"inputs\": [{\"name\": \"x\", \"shape\": [2, 2], \"datatype\": \"FP32\", \"data\": [1, 2, 3]}]}",
                "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 2], \"datatype\": \"FP32\"}]}",
                "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 2], \"datatype\": \"BYTES\", \"data\": [\"" + CANARY
                        + "\", \"b\"]}]}",
                "{\"inputs\": [{\"name\": \"x\", \"shape\": [], \"datatype\": \"FP32\", \"data\": [1]}]}",
                "{\"inputs\": [{\"name\": \"x\", \"shape\": [0, 2], \"datatype\": \"FP32\", \"data\": []}]}",
                "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, -2], \"datatype\": \"FP32\", \"data\": [1, 2]}]}",
                "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 2.5], \"datatype\": \"FP32\", \"data\": [1, 2]}]}",
                "{\"inputs\": [{\"name\": \"x\", \"shape\": [65536, 65536, 65536], \"datatype\": \"FP32\", \"data\": [1]}]}",
                "{\"inputs\": [{\"shape\": [1, 1], \"data\": [1]}, {\"shape\": [2, 1], \"data\": [1, 2]}]}");
    }

    @Override
    List<String> malformedAnswers() {
        return List.of(
                "{\"outputs\": []}",
                "{\"error\": \"" + CANARY + "\"}",
                "{\"outputs\": [{\"name\": \"probabilities\", \"shape\": [1, 3], \"datatype\": \"FP32\", \"data\": [0.5, 0.5]}]}",
                "{\"outputs\": [{\"name\": \"probabilities\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"data\": \""
                        + CANARY + "\"}]}",
                "{\"outputs\": [{\"name\": \"probabilities\", \"shape\": \"1,2\", \"data\": [0.5, 0.5]}]}");
    }

    @Override
    String realPath() {
        return "/v2/models/digits/infer";
    }

    @Override
    RequestCase realExchange() {
        return new RequestCase(tensorRequest(Bodies.digits(4, new Random(9))), new double[4][10]);
    }

    @Test
    void theOutputNamedProbabilitiesIsChosenWhereverItIs() throws Exception {
        String json =
                "{\"outputs\": [{\"name\": \"labels\", \"shape\": [2], \"datatype\": \"INT64\", \"data\": [1, 0]},"
                        + " {\"name\": \"probs\", \"shape\": [2, 2], \"datatype\": \"FP32\", \"data\": [0.25, 0.75, 0.5, 0.5]}]}";
        Answer a = parse(json);
        assertClose(a.predictions(), new double[][] {{0.25, 0.75}, {0.5, 0.5}});
        // the other tensors are dropped: no transform ran on them (EdgeBypassIT)
        assertSameDocument(
                write(a, new double[][] {{0.75, 0.25}, {1, 0}}, List.of()),
                "{\"outputs\": [{\"name\": \"probs\", \"shape\": [2, 2], \"datatype\": \"FP32\","
                        + " \"data\": [0.75, 0.25, 1.0, 0.0]}]}");
    }

    @Test
    void withoutAProbabilitiesOutputTheFirstIsUsed() throws Exception {
        Answer a = parse(
                "{\"outputs\": [{\"name\": \"out\", \"shape\": [1, 3], \"datatype\": \"FP64\", \"data\": [0.2, 0.3, 0.5]},"
                        + " {\"name\": \"labels\", \"shape\": [1], \"datatype\": \"INT64\", \"data\": [2]}]}");
        assertClose(a.predictions(), new double[][] {{0.2, 0.3, 0.5}});
    }

    @Test
    void nestedDataIsWrittenBackFlatWithShapeAndDatatypeKept() throws Exception {
        Answer a = parse(
                "{\"outputs\": [{\"name\": \"probabilities\", \"shape\": [2, 2], \"datatype\": \"FP32\", \"data\": [[0.25, 0.75], [0.5, 0.5]]}]}");
        assertSameDocument(
                write(a, a.predictions(), List.of()),
                "{\"outputs\": [{\"name\": \"probabilities\", \"shape\": [2, 2], \"datatype\": \"FP32\", \"data\": [0.25, 0.75, 0.5, 0.5]}]}");
    }

    @Test
    void severalInputTensorsAreConcatenatedPerRowAndTrailingDimensionsFlattened() throws Exception {
        String json =
                "{\"inputs\": [{\"name\": \"a\", \"shape\": [2, 2, 2], \"datatype\": \"FP32\", \"data\": [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]},"
                        + " {\"name\": \"b\", \"shape\": [2], \"datatype\": \"INT32\", \"data\": [9, 10]}]}";
        var body = direct(json);
        try {
            assertClose(adapter().inputs(body), new double[][] {{1, 2, 3, 4, 9}, {5, 6, 7, 8, 10}});
        } finally {
            body.release();
        }
    }

    @Test
    void boolTensorsTakeJsonBooleansAsTritonDoes() throws Exception {
        var body = direct("{\"inputs\": [{\"name\": \"flags\", \"shape\": [2, 2], \"datatype\": \"BOOL\","
                + " \"data\": [[true, false], [0, 1]]}, {\"name\": \"x\", \"shape\": [2, 1], \"datatype\": \"FP32\","
                + " \"data\": [0.5, 2]}]}");
        try {
            assertClose(adapter().inputs(body), new double[][] {{1, 0, 0.5}, {0, 1, 2}});
        } finally {
            body.release();
        }
        // a boolean is no FP32 value, and 2 is no boolean
        for (String bad : List.of(
                "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 1], \"datatype\": \"FP32\", \"data\": [true]}]}",
                "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 1], \"datatype\": \"BOOL\", \"data\": [2]}]}")) {
            var refused = direct(bad);
            try {
                org.assertj.core.api.Assertions.assertThatThrownBy(
                                () -> adapter().inputs(refused))
                        .as(bad)
                        .isInstanceOf(MalformedBodyException.class);
            } finally {
                refused.release();
            }
        }
    }

    @Test
    void binaryDataWithoutTheHeaderFieldIsRefusedAndNamesIt() {
        var body = direct(
                "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"parameters\": {\"binary_data_size\": 8}}]}");
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> adapter().inputs(body))
                    .hasMessageContaining("inputs[0].parameters.binary_data_size")
                    .hasMessageContaining("Inference-Header-Content-Length");
        } finally {
            body.release();
        }
    }

    // ---- Triton's binary tensor data extension

    /** A body as Triton's clients send one: the JSON header, then the bytes; the header field gives the JSON's length. */
    record Binary(ByteBuf body, HttpHeaders headers) {}

    static Binary binary(String json, ByteBuf bytes) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        ByteBuf body = Unpooled.directBuffer(j.length + bytes.readableBytes());
        body.writeBytes(j).writeBytes(bytes);
        bytes.release();
        HttpHeaders h = new DefaultHttpHeaders().set(KServeV2Adapter.JSON_LENGTH, j.length);
        return new Binary(body, h);
    }

    static String binaryInput(String name, int rows, int width, String datatype, int size) {
        return "{\"name\": \"" + name + "\", \"shape\": [" + rows + ", " + width + "], \"datatype\": \"" + datatype
                + "\", \"parameters\": {\"binary_data_size\": " + size + "}}";
    }

    ProtocolAdapter.Inbound read(Binary b) throws MalformedBodyException {
        return adapter().read(b.body(), b.headers(), UnpooledByteBufAllocator.DEFAULT);
    }

    @Test
    void everyFixedSizeDatatypeIsReadLittleEndianAsTritonReadsIt() throws Exception {
        ByteBuf bytes = Unpooled.buffer();
        bytes.writeByte(0).writeByte(2); // BOOL: any non-zero byte is true
        bytes.writeByte(-128).writeByte(127); // INT8
        bytes.writeByte(0xFF).writeByte(7); // UINT8
        bytes.writeShortLE(-32768).writeShortLE(1234); // INT16
        bytes.writeShortLE(0xFFFF).writeShortLE(40000); // UINT16
        bytes.writeShortLE(0x3C00).writeShortLE(0xC0A0); // FP16: 1.0, -2.3125
        bytes.writeShortLE(0x3F80).writeShortLE(0x4049); // BF16: 1.0, 3.140625
        bytes.writeIntLE(Integer.MIN_VALUE).writeIntLE(-7); // INT32
        bytes.writeIntLE(0xFFFFFFFF).writeIntLE(3); // UINT32
        bytes.writeFloatLE(0.1f).writeFloatLE(-1e30f); // FP32
        bytes.writeLongLE(Long.MIN_VALUE).writeLongLE(1L << 53); // INT64
        bytes.writeLongLE(-1L).writeLongLE((1L << 63) + 1025); // UINT64: 2^64 - 1, 2^63 + 1025
        bytes.writeDoubleLE(Math.PI).writeDoubleLE(-0.0); // FP64
        String[] types = {
            "BOOL", "INT8", "UINT8", "INT16", "UINT16", "FP16", "BF16", "INT32", "UINT32", "FP32", "INT64", "UINT64",
            "FP64"
        };
        int[] sizes = {1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 8, 8, 8};
        StringBuilder inputs = new StringBuilder();
        for (int t = 0; t < types.length; t++) {
            inputs.append(t == 0 ? "" : ", ").append(binaryInput("in" + t, 1, 2, types[t], 2 * sizes[t]));
        }
        Binary b = binary("{\"inputs\": [" + inputs + "]}", bytes);
        try {
            ProtocolAdapter.Inbound in = read(b);
            assertThat(in.body()).isSameAs(b.body()); // nothing to rewrite: the body goes upstream as sent
            assertThat(in.answerAsBytes()).isFalse();
            assertThat(in.rows()[0])
                    .containsExactly(
                            0,
                            1,
                            -128,
                            127,
                            255,
                            7,
                            -32768,
                            1234,
                            65535,
                            40000,
                            1.0,
                            -2.3125,
                            1.0,
                            3.140625,
                            Integer.MIN_VALUE,
                            -7,
                            4294967295.0,
                            3,
                            0.1f,
                            -1e30f,
                            Long.MIN_VALUE,
                            0x1p53,
                            0x1p64,
                            0x1p63 + 2048,
                            Math.PI,
                            -0.0);
        } finally {
            b.body().release();
        }
    }

    @Test
    void jsonAndBinaryInputsMixAndConcatenatePerRow() throws Exception {
        ByteBuf bytes = Unpooled.buffer()
                .writeFloatLE(1)
                .writeFloatLE(2)
                .writeFloatLE(3)
                .writeFloatLE(4);
        Binary b = binary(
                "{\"inputs\": [{\"name\": \"a\", \"shape\": [2, 1], \"datatype\": \"INT32\", \"data\": [9, 10]}, "
                        + binaryInput("b", 2, 2, "FP32", 16) + "]}",
                bytes);
        try {
            assertClose(read(b).rows(), new double[][] {{9, 1, 2}, {10, 3, 4}});
        } finally {
            b.body().release();
        }
    }

    /**
     * What a body may not do, each refused before the model sees it: bytes no input claims, a JSON
     * length the body does not have or gives twice, a size the shape does not need, values the
     * detectors cannot place, and an input with both JSON data and bytes.
     */
    @Test
    void bytesTheDetectorsCouldNotReadNeverReachTheModelBypass() {
        String one = "{\"inputs\": [" + binaryInput("x", 1, 2, "FP32", 8) + "]}";
        java.util.function.Supplier<ByteBuf> two =
                () -> Unpooled.buffer().writeFloatLE(1).writeFloatLE(2);
        List<java.util.function.Supplier<Binary>> cases = List.of(
                // four more bytes after the tensor's: a second tensor the model might read and no detector did
                () -> binary(one, two.get().writeFloatLE(3)),
                () -> binary(one, Unpooled.buffer().writeFloatLE(1)),
                () -> binary("{\"inputs\": [" + binaryInput("x", 1, 2, "FP32", 12) + "]}", two.get()),
                () -> binary("{\"inputs\": [" + binaryInput("x", 1, 2, "BYTES", 8) + "]}", two.get()),
                () -> binary(
                        "{\"inputs\": [" + binaryInput("x", 1, 2, "FP32", 8) + "]}",
                        Unpooled.buffer().writeFloatLE(Float.NaN).writeFloatLE(2)),
                () -> binary(
                        "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"data\": [1, 2],"
                                + " \"parameters\": {\"binary_data_size\": 8}}]}",
                        two.get()),
                () -> {
                    Binary b = binary(one, two.get());
                    b.headers().set(KServeV2Adapter.JSON_LENGTH, b.body().readableBytes() + 1);
                    return b;
                },
                () -> {
                    Binary b = binary(one, two.get());
                    b.headers().set(KServeV2Adapter.JSON_LENGTH, "-8");
                    return b;
                },
                () -> {
                    // the JSON's length cut short: the rest of the JSON would be read as tensor bytes
                    Binary b = binary(one, two.get());
                    b.headers().set(KServeV2Adapter.JSON_LENGTH, one.length() - 2);
                    return b;
                },
                () -> {
                    Binary b = binary(one, two.get());
                    b.headers().add(KServeV2Adapter.JSON_LENGTH, one.length());
                    return b;
                });
        for (int i = 0; i < cases.size(); i++) {
            Binary b = cases.get(i).get();
            try {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> read(b))
                        .as("case %d", i)
                        .isInstanceOf(MalformedBodyException.class);
            } finally {
                b.body().release();
            }
        }
    }

    @Test
    void anAskForABinaryAnswerIsTakenOutOnTheWayUpstreamAndTheBytesFollowTheNewHeader() throws Exception {
        Binary b = binary(
                "{\"id\": \"7\", \"inputs\": [" + binaryInput("x", 1, 2, "FP32", 8) + "],"
                        + " \"parameters\": {\"binary_data_output\": true, \"priority\": 1}}",
                Unpooled.buffer().writeFloatLE(1.5f).writeFloatLE(-2));
        ProtocolAdapter.Inbound in = read(b);
        try {
            assertThat(in.answerAsBytes()).isTrue();
            assertThat(in.body()).isNotSameAs(b.body());
            int jsonLength = Integer.parseInt(b.headers().get(KServeV2Adapter.JSON_LENGTH));
            ByteBuf out = in.body();
            assertSameDocument(
                    out.toString(0, jsonLength, StandardCharsets.UTF_8),
                    "{\"id\": \"7\", \"inputs\": [" + binaryInput("x", 1, 2, "FP32", 8) + "],"
                            + " \"parameters\": {\"priority\": 1}}");
            assertThat(out.readableBytes()).isEqualTo(jsonLength + 8);
            assertThat(out.getFloatLE(jsonLength)).isEqualTo(1.5f);
            assertThat(out.getFloatLE(jsonLength + 4)).isEqualTo(-2f);
            // what goes upstream reads back to the same rows, and asks for nothing in bytes
            ProtocolAdapter.Inbound again = adapter().read(out, b.headers(), UnpooledByteBufAllocator.DEFAULT);
            assertClose(again.rows(), new double[][] {{1.5, -2}});
            assertThat(again.answerAsBytes()).isFalse();
        } finally {
            b.body().release();
            in.body().release();
        }
    }

    @Test
    void theOutputTheRouteAnswersMayBeNamedAndAskedForAsBytes() throws Exception {
        var body = direct(tensorRequest(new double[][] {{1, 2}})
                .replaceFirst(
                        "}$",
                        ", \"outputs\": [{\"name\": \"probabilities\", \"parameters\": {\"binary_data\": true}}]}"));
        try {
            ProtocolAdapter.Inbound in =
                    adapter().read(body, new DefaultHttpHeaders(), UnpooledByteBufAllocator.DEFAULT);
            assertThat(in.answerAsBytes()).isTrue();
            assertSameDocument(
                    in.body().toString(StandardCharsets.UTF_8),
                    tensorRequest(new double[][] {{1, 2}})
                            .replaceFirst("}$", ", \"outputs\": [{\"name\": \"probabilities\", \"parameters\": {}}]}"));
            in.body().release();
        } finally {
            body.release();
        }
        // another tensor, or any other parameter, stays refused (EdgeBypassIT)
        for (String outputs : List.of(
                "[{\"name\": \"logits\", \"parameters\": {\"binary_data\": true}}]",
                "[{\"name\": \"probabilities\", \"parameters\": {\"binary_data\": 1}}]",
                "[{\"name\": \"probabilities\", \"parameters\": {\"shared_memory_region\": \"r\"}}]",
                "[{\"name\": \"probabilities\"}, {\"name\": \"probabilities\"}]")) {
            var refused = direct(
                    tensorRequest(new double[][] {{1, 2}}).replaceFirst("}$", ", \"outputs\": " + outputs + "}"));
            try {
                org.assertj.core.api.Assertions.assertThatThrownBy(
                                () -> adapter().inputs(refused))
                        .as(outputs)
                        .hasMessageContaining("outputs");
            } finally {
                refused.release();
            }
        }
    }

    /** The answer {@code json}, parsed and written in bytes with {@code predictions}; {@code headers} gets the framing. */
    ByteBuf asBytes(String json, double[][] predictions, HttpHeaders headers) throws Exception {
        return adapter()
                .writeAnswerAsBytes(parse(json), predictions, List.of(), UnpooledByteBufAllocator.DEFAULT, headers);
    }

    @Test
    void aTransformedAnswerIsWrittenAsTritonWritesABinaryOne() throws Exception {
        HttpHeaders headers = new DefaultHttpHeaders();
        ByteBuf out = asBytes(answer(new double[][] {{0.25, 0.75}}), new double[][] {{0.2, 0.8}}, headers);
        try {
            int jsonLength = Integer.parseInt(headers.get(KServeV2Adapter.JSON_LENGTH));
            assertThat(headers.get("content-type")).isEqualTo("application/octet-stream");
            assertSameDocument(
                    out.toString(0, jsonLength, StandardCharsets.UTF_8),
                    "{\"model_name\": \"digits\", \"model_version\": \"1\", \"outputs\": [{\"name\": \"probabilities\","
                            + " \"shape\": [1, 2], \"datatype\": \"FP32\", \"parameters\": {\"binary_data_size\": 8}}]}");
            assertThat(out.readableBytes()).isEqualTo(jsonLength + 8);
            assertThat(out.getFloatLE(jsonLength)).isEqualTo(0.2f);
            assertThat(out.getFloatLE(jsonLength + 4)).isEqualTo(0.8f);
        } finally {
            out.release();
        }
        // FP16 as two bytes a value, rounded to nearest (0.1 is 0x2E66 in half precision)
        HttpHeaders h16 = new DefaultHttpHeaders();
        ByteBuf out16 = asBytes(
                "{\"outputs\": [{\"name\": \"probabilities\", \"shape\": [1, 2], \"datatype\": \"FP16\", \"data\": [0.5, 0.5]}]}",
                new double[][] {{0.1, 0.9}},
                h16);
        try {
            int jsonLength = Integer.parseInt(h16.get(KServeV2Adapter.JSON_LENGTH));
            assertThat(out16.readableBytes()).isEqualTo(jsonLength + 4);
            assertThat(out16.getShortLE(jsonLength) & 0xFFFF).isEqualTo(0x2E66);
            assertThat(out16.getShortLE(jsonLength + 2) & 0xFFFF).isEqualTo(0x3B33); // 0.9
        } finally {
            out16.release();
        }
        // an output of another datatype has no byte form here: the answer stays JSON, no framing set
        HttpHeaders none = new DefaultHttpHeaders();
        ByteBuf ints = asBytes(
                "{\"outputs\": [{\"name\": \"probabilities\", \"shape\": [1, 2], \"datatype\": \"INT64\", \"data\": [0, 1]}]}",
                new double[][] {{1, 0}},
                none);
        try {
            assertSameDocument(
                    ints.toString(StandardCharsets.UTF_8),
                    "{\"outputs\": [{\"name\": \"probabilities\", \"shape\": [1, 2], \"datatype\": \"INT64\","
                            + " \"data\": [1.0, 0.0]}]}");
            assertThat(none.isEmpty()).isTrue();
        } finally {
            ints.release();
        }
    }

    @Override
    void checkRealAnswer(Answer answer) {
        super.checkRealAnswer(answer);
        assertThat(answer.labels()).isNull();
    }
}
