package dev.moat.gateway.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.config.Protocol;
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
    void aMissingDataFieldNamesTheBinaryExtension() {
        var body = direct(
                "{\"inputs\": [{\"name\": \"x\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"parameters\": {\"binary_data_size\": 8}}]}");
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> adapter().inputs(body))
                    .hasMessageContaining("inputs[0].data")
                    .hasMessageContaining("binary");
        } finally {
            body.release();
        }
    }

    @Override
    void checkRealAnswer(Answer answer) {
        super.checkRealAnswer(answer);
        assertThat(answer.labels()).isNull();
    }
}
