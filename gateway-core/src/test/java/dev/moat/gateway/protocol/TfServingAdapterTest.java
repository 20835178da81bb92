package dev.moat.gateway.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.config.Protocol;
import dev.moat.gateway.http.MalformedBodyException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TfServingAdapterTest extends ProtocolAdapterContract {

    @Override
    ProtocolAdapter adapter() {
        return ProtocolAdapters.forUpstream(Bodies.upstream(Protocol.TFSERVING, null));
    }

    @Override
    String answer(double[][] p) {
        ObjectNode o = object();
        o.set("predictions", Bodies.rows(p));
        o.set("explanations", Bodies.rows(new double[][] {{0.5, -0.25}}));
        return o.toString();
    }

    @Override
    String stripPointer() {
        return "/explanations";
    }

    @Override
    List<String> droppedFields() {
        return List.of("/explanations"); // only the defended predictions are answered (EdgeBypassIT)
    }

    @Override
    RequestCase request(int instances, Random random) {
        double[][] x = Bodies.digits(instances, random);
        ObjectNode o = object();
        o.set(instances % 2 == 0 ? "inputs" : "instances", Bodies.rows(x));
        return new RequestCase(o.toString(), x);
    }

    @Override
    List<String> malformedRequests() {
        return List.of(
                "[[1, 2]]",
                "{\"instances\": \"" + CANARY + "\"}",
                "{\"instances\": []}",
                "{\"instances\": [[\"" + CANARY + "\"]]}",
                "{\"instances\": [[1], [true]]}",
                "{\"instances\": [1, [2]]}",
                "{\"instances\": [[1]], \"inputs\": [[1]]}",
                "{\"instances\": [[1e999]]}",
                "{\"instances\": [{\"b64\": \"" + CANARY + "\"}]}",
                "{\"inputs\": {\"x\": [[\"" + CANARY + "\"]]}}",
                "{\"inputs\": {}}",
                "{\"instances\": [{\"image\": {\"b64\": \"" + CANARY + "\"}}]}",
                "{\"instances\": [{\"a\": [1]}, {\"b\": [1]}]}",
                "{\"instances\": [{\"a\": [1]}, [1]]}",
                "{\"instances\": [[]]}");
    }

    @Override
    List<String> malformedAnswers() {
        return List.of(
                "{\"predictions\": \"" + CANARY + "\"}",
                "{\"predictions\": [0.1, 0.9]}",
                "{\"predictions\": []}",
                "{\"predictions\": [[]]}",
                "{\"predictions\": [[0.1, \"" + CANARY + "\"]]}",
                "{\"predictions\": [[0.5], null]}",
                "{\"error\": \"" + CANARY + "\"}",
                "[[0.1, 0.9]]");
    }

    @Override
    String realPath() {
        return "/v1/models/digits:predict";
    }

    @Override
    RequestCase realExchange() {
        ObjectNode o = object();
        o.set("instances", Bodies.rows(Bodies.digits(3, new Random(7))));
        return new RequestCase(o.toString(), new double[3][10]);
    }

    @Test
    void nestedInstancesAreFlattenedToOneRowEach() throws Exception {
        double[][] x = Bodies.digits(2, new Random(1));
        StringBuilder json = new StringBuilder("{\"instances\": [");
        for (int i = 0; i < 2; i++) {
            json.append(i == 0 ? "[" : ", [");
            for (int r = 0; r < 8; r++) {
                json.append(r == 0 ? "" : ", ").append(Bodies.flat(new double[][] {
                    java.util.Arrays.copyOfRange(x[i], 8 * r, 8 * r + 8)
                }));
            }
            json.append(']');
        }
        json.append("]}");
        assertClose(inputs(json.toString()), x);
    }

    /**
     * Named inputs (a model with several inputs, or one called by its input's name) are read by name
     * in sorted order, in the row format and the columnar one: a client who reorders the names between
     * requests sends the model the same thing, and the detectors the same rows.
     */
    @Test
    void namedInputsAreReadByNameInSortedOrderAsSentOrReordered() throws Exception {
        double[][] expected = {{1, 3, 4}, {2, 5, 6}};
        assertClose(inputs("{\"instances\": [{\"b\": [3, 4], \"a\": 1}, {\"a\": 2, \"b\": [5, 6]}]}"), expected);
        assertClose(
                inputs("{\"instances\": [{\"a\": [1], \"b\": [[3], [4]]}, {\"b\": [5, 6], \"a\": [2]}]}"), expected);
        assertClose(inputs("{\"inputs\": {\"b\": [[3, 4], [5, 6]], \"a\": [1, 2]}}"), expected);
        assertClose(inputs("{\"inputs\": {\"a\": [[1], [2]], \"b\": [[3, 4], [5, 6]]}}"), expected);
    }

    /**
     * Named columns whose first dimensions differ, or a scalar beside a batch, are refused: read as
     * one row, a request of many queries beside one scalar input cost one token and made one
     * detection event while a model whose signature batches the first input answered every query.
     */
    @Test
    void namedColumnsThatDoNotShareABatchAreRefusedBypass() {
        for (String json : List.of(
                "{\"inputs\": {\"b\": [3, 4, 5], \"a\": [1, 2]}}",
                "{\"inputs\": {\"x\": [[1, 2], [3, 4], [5, 6]], \"temperature\": 0.5}}",
                "{\"inputs\": {\"x\": []}}")) {
            var body = direct(json);
            try {
                org.assertj.core.api.Assertions.assertThatThrownBy(
                                () -> adapter().inputs(body))
                        .as(json)
                        .isInstanceOf(MalformedBodyException.class)
                        .hasMessageContaining("same non-zero length");
            } finally {
                body.release();
            }
        }
    }

    @Test
    void aFlatArrayOfNumbersIsOneInstance() throws Exception {
        assertClose(inputs("{\"instances\": [1, 2.5, 3]}"), new double[][] {{1, 2.5, 3}});
    }

    @Test
    void nestedPredictionRowsKeepTheirNestingWhenWritten() throws Exception {
        Answer a = parse("{\"predictions\": [[[0.25, 0.75]], [[0.5, 0.5]]]}");
        assertClose(a.predictions(), new double[][] {{0.25, 0.75}, {0.5, 0.5}});
        assertSameDocument(
                write(a, new double[][] {{0.75, 0.25}, {1, 0}}, List.of()),
                "{\"predictions\": [[[0.75, 0.25]], [[1.0, 0.0]]]}");
    }

    private double[][] inputs(String json) throws MalformedBodyException {
        var body = direct(json);
        try {
            return adapter().inputs(body);
        } finally {
            body.release();
        }
    }

    @Test
    void answersCarryNoLabels() throws Exception {
        assertThat(parse(answer(new double[][] {{0.5, 0.5}})).labels()).isNull();
    }
}
