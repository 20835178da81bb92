package dev.moat.gateway.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.moat.config.Protocol;
import dev.moat.config.UpstreamConfig.GenericPointers;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GenericAdapterTest extends ProtocolAdapterContract {

    static final GenericPointers POINTERS = new GenericPointers("/data", "/result/probabilities", "/result/labels");

    @Override
    ProtocolAdapter adapter() {
        return ProtocolAdapters.forUpstream(Bodies.upstream(Protocol.GENERIC, POINTERS));
    }

    /** The fixture server's shape; labels are the argmax, as a model would send them. */
    @Override
    String answer(double[][] p) {
        ObjectNode o = object();
        ObjectNode result = o.putObject("result");
        result.set("probabilities", Bodies.rows(p));
        ArrayNode labels = result.putArray("labels");
        for (double[] row : p) {
            labels.add(Bodies.argmax(row));
        }
        o.putObject("debug").put("latency_ms", 3);
        return o.toString();
    }

    @Override
    String stripPointer() {
        return "/debug";
    }

    @Override
    RequestCase request(int instances, Random random) {
        double[][] x = Bodies.digits(instances, random);
        ObjectNode o = object();
        o.set("data", Bodies.rows(x));
        return new RequestCase(o.toString(), x);
    }

    @Override
    List<String> malformedRequests() {
        return List.of(
                "{\"data\": \"" + CANARY + "\"}", "{\"data\": []}", "{\"data\": [[\"" + CANARY + "\"]]}", "[[1, 2]]");
    }

    @Override
    List<String> malformedAnswers() {
        return List.of(
                "{\"result\": {}}",
                "{\"result\": {\"probabilities\": [[0.5, 0.5]], \"labels\": [\"" + CANARY + "\"]}}",
                "{\"result\": {\"probabilities\": [[0.5, 0.5]], \"labels\": [0, 1]}}",
                "{\"result\": {\"probabilities\": [[0.5, 0.5]], \"labels\": 0}}",
                "{\"result\": {\"probabilities\": [0.5, 0.5]}}");
    }

    @Override
    String realPath() {
        return "/generic/digits";
    }

    @Override
    RequestCase realExchange() {
        ObjectNode o = object();
        o.set("data", Bodies.rows(Bodies.digits(5, new Random(11))));
        return new RequestCase(o.toString(), new double[5][10]);
    }

    @Override
    void checkRealAnswer(Answer answer) {
        super.checkRealAnswer(answer);
        assertThat(answer.labels()).hasSize(5);
        for (int i = 0; i < 5; i++) {
            assertThat(answer.labels()[i]).isEqualTo(Bodies.argmax(answer.predictions()[i]));
        }
    }

    @Test
    void labelsFollowTheWrittenPredictions() throws Exception {
        Answer a = parse("{\"result\": {\"probabilities\": [[0.9, 0.1], [0.2, 0.8]], \"labels\": [0, 1]}}");
        assertThat(a.labels()).containsExactly(0, 1);
        assertSameDocument(
                write(a, new double[][] {{0.1, 0.9}, {0.6, 0.4}}, List.of()),
                "{\"result\": {\"probabilities\": [[0.1, 0.9], [0.6, 0.4]], \"labels\": [1, 0]}}");
    }

    @Test
    void anAnswerWithoutLabelsHasNoneAndGetsNone() throws Exception {
        Answer a = parse("{\"result\": {\"probabilities\": [[0.9, 0.1]]}}");
        assertThat(a.labels()).isNull();
        assertSameDocument(
                write(a, new double[][] {{0.1, 0.9}}, List.of()), "{\"result\": {\"probabilities\": [[0.1, 0.9]]}}");
    }

    @Test
    void pointersMayAddressTheWholeDocument() throws Exception {
        ProtocolAdapter whole =
                ProtocolAdapters.forUpstream(Bodies.upstream(Protocol.GENERIC, new GenericPointers("", "", null)));
        var req = direct("[[1, 2], [3, 4]]");
        var res = direct("[[0.25, 0.75]]");
        try {
            assertClose(whole.inputs(req), new double[][] {{1, 2}, {3, 4}});
            Answer a = whole.parseAnswer(res);
            var out = whole.writeAnswer(a, new double[][] {{0.75, 0.25}}, List.of(), ALLOC);
            try {
                assertSameDocument(out.toString(java.nio.charset.StandardCharsets.UTF_8), "[[0.75, 0.25]]");
            } finally {
                out.release();
            }
        } finally {
            req.release();
            res.release();
        }
    }
}
