package dev.moat.gateway.protocol.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The byte-level row reader answers only inside its subset and, wherever it answers, gives exactly
 * the rows of the Jackson path ({@link StreamingRows#withJackson} for requests, {@link
 * StreamingAnswer#withJackson} for answers), bit for bit ({@code -0} and
 * {@code -0.0} included); for everything else it steps aside.
 */
class PlainRowsTest {

    @Test
    void theLoadBenchmarksBodyIsReadWithoutJacksonAndAsJacksonReadsIt() {
        SplittableRandom r = new SplittableRandom(1000);
        StringBuilder json = new StringBuilder("{\"instances\": [");
        for (int row = 0; row < 6; row++) {
            json.append(row == 0 ? "[" : ", [");
            for (int c = 0; c < 64; c++) {
                json.append(c == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f", r.nextDouble() * 16));
            }
            json.append(']');
        }
        json.append("]}");
        double[][] plain = agree(json.toString());
        assertThat(plain).isNotNull();
        assertThat(plain.length).isEqualTo(6);
        assertThat(plain[5].length).isEqualTo(64);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"instances\": [[1, 2, 3], [4, 5, 6]]}",
                "{\"inputs\":[[0.5]]}",
                "{\"instances\": [1, 2.5, -3]}",
                " \t\r\n{ \"instances\" : [ [ -0 , -0.0 , 0 , 0.0 ] , [ 123456789012345 , 0.00000000000001 ] ] } \n",
                "{\"instances\": [[1, 2], [3]]}",
                "{\"instances\": [[999999999999999, -999999999999999, 0.99999999999999]]}"
            })
    void subsetBodiesAreReadAsJacksonReadsThem(String json) {
        assertThat(agree(json)).isNotNull();
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
                "{\"instances\": [[1]]} x",
                "{\"instances\": [[1]]}}",
                "{\"instances\": [[1e3]]}",
                "{\"instances\": [[1E3]]}",
                "{\"instances\": [[1234567890123456]]}",
                "{\"instances\": [[0.1234567890123456]]}",
                "{\"instances\": [[01]]}",
                "{\"instances\": [[1.]]}",
                "{\"instances\": [[.5]]}",
                "{\"instances\": [[+1]]}",
                "{\"instances\": [[-]]}",
                "{\"instances\": [[NaN]]}",
                "{\"instances\": [[1,]]}",
                "{\"instances\": [[1],]}",
                "{\"instances\": [[[1, 2]]]}",
                "{\"instan\\u0063es\": [[1]]}",
                "{\"signature_name\": \"s\", \"instances\": [[1]]}",
                "{\"instances\": [[1\f]]}",
                "{\"instances\": [[1\u00a0]]}",
                "\ufeff{\"instances\": [[1]]}",
                "{\"instances\": [[1]] /* c */}",
                "[[1]]",
                "{\"instances\": {\"a\": [1]}}",
                "{\"instances\": [[1]]",
                ""
            })
    void everythingElseStepsAside(String json) {
        ByteBuf buf = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try {
            assertThat(PlainRows.rows(buf)).as(json).isNull();
        } finally {
            buf.release();
        }
        agree(json);
    }

    @Test
    void generatedBodiesAreReadAsJacksonReadsThemWhereverTheyAreRead() {
        SplittableRandom r = new SplittableRandom(15);
        int answered = 0;
        int n = 30_000;
        for (int k = 0; k < n; k++) {
            if (agree(body(r, false)) != null) {
                answered++;
            }
        }
        assertThat(answered).as("bodies read without Jackson").isBetween(n / 10, n - n / 10);
    }

    @Test
    void generatedAnswersAreReadAsJacksonReadsThemWhereverTheyAreRead() {
        SplittableRandom r = new SplittableRandom(16);
        int answered = 0;
        int n = 30_000;
        for (int k = 0; k < n; k++) {
            if (agreeOnAnswer(body(r, true)) != null) {
                answered++;
            }
        }
        assertThat(answered).as("answers read without Jackson").isBetween(n / 10, n - n / 10);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"{\"predictions\": [[0.0112, 0.0034, 0.8123], [0.5, 0.5, 0]]}", "{\"predictions\":[[-0,-0.0,1]]}"
            })
    void subsetAnswersAreReadAsJacksonReadsThem(String json) {
        assertThat(agreeOnAnswer(json)).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"predictions\": [0.1, 0.9]}",
                "{\"predictions\": []}",
                "{\"predictions\": [[]]}",
                "{\"instances\": [[1]]}",
                "{\"predictions\": [[1]], \"model_version\": \"1\"}",
                "{\"predictions\": [[[1]]]}",
                "{\"predictions\": [[1e-5]]}"
            })
    void otherAnswersStepAside(String json) {
        ByteBuf buf = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try {
            assertThat(PlainRows.predictions(buf)).as(json).isNull();
        } finally {
            buf.release();
        }
        agreeOnAnswer(json);
    }

    @Test
    void aBodySplitAcrossBuffersReadsTheSame() {
        String json = "{\"instances\": [[1.25, -2, 3.5], [4, 0.001, 6]]}";
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        for (int cut = 1; cut < bytes.length; cut++) {
            CompositeByteBuf c = Unpooled.compositeBuffer();
            c.addComponent(true, Unpooled.wrappedBuffer(bytes, 0, cut));
            c.addComponent(true, Unpooled.wrappedBuffer(bytes, cut, bytes.length - cut));
            try {
                assertThat(PlainRows.rows(c)).isDeepEqualTo(new double[][] {{1.25, -2, 3.5}, {4, 0.001, 6}});
            } finally {
                c.release();
            }
        }
    }

    /** PlainRows and the Jackson path on one body: where PlainRows answers, they are equal. */
    private static double[][] agree(String json) {
        ByteBuf buf = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try {
            double[][] plain = PlainRows.rows(buf);
            assertThat(buf.readerIndex()).isZero();
            if (plain != null) {
                double[][] jackson = StreamingRows.withJackson(buf);
                assertThat(jackson).as(json).isNotNull();
                assertThat(bits(plain)).as(json).isDeepEqualTo(bits(jackson)); // -0.0 is not 0.0
            }
            return plain;
        } finally {
            buf.release();
        }
    }

    /** PlainRows and StreamingAnswer's Jackson path on one answer: where PlainRows answers, they are equal. */
    private static double[][] agreeOnAnswer(String json) {
        ByteBuf buf = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try {
            double[][] plain = PlainRows.predictions(buf);
            assertThat(buf.readerIndex()).isZero();
            if (plain != null) {
                double[][] jackson = StreamingAnswer.withJackson(buf);
                assertThat(jackson).as(json).isNotNull();
                assertThat(bits(plain)).as(json).isDeepEqualTo(bits(jackson));
            }
            return plain;
        } finally {
            buf.release();
        }
    }

    private static long[][] bits(double[][] rows) {
        long[][] out = new long[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            out[i] = new long[rows[i].length];
            for (int j = 0; j < rows[i].length; j++) {
                out[i][j] = Double.doubleToRawLongBits(rows[i][j]);
            }
        }
        return out;
    }

    private static final String[] WS = {"", " ", "  ", "\n", "\t", "\r\n", "\f", "\u00a0"};

    /** A body near the subset: mostly inside, with one of many ways out now and then. */
    private static String body(SplittableRandom r, boolean answer) {
        StringBuilder s = new StringBuilder();
        s.append(ws(r)).append('{').append(ws(r));
        String field = answer ? "\"predictions\"" : r.nextBoolean() ? "\"instances\"" : "\"inputs\"";
        s.append(r.nextInt(20) == 0 ? "\"other\"" : field);
        s.append(ws(r)).append(':').append(ws(r)).append('[');
        boolean flat = r.nextInt(5) == 0;
        int rows = flat ? 1 : 1 + r.nextInt(4);
        for (int i = 0; i < rows; i++) {
            if (i > 0) {
                s.append(ws(r)).append(',').append(ws(r));
            }
            if (!flat) {
                s.append('[').append(ws(r));
            }
            int width = 1 + r.nextInt(6);
            for (int j = 0; j < width; j++) {
                if (j > 0) {
                    s.append(ws(r)).append(',').append(ws(r));
                }
                s.append(number(r));
            }
            if (!flat) {
                s.append(ws(r)).append(']');
            }
        }
        s.append(ws(r)).append(']').append(ws(r)).append('}').append(ws(r));
        if (r.nextInt(40) == 0) {
            s.append("x");
        }
        return s.toString();
    }

    private static String ws(SplittableRandom r) {
        return r.nextInt(30) == 0 ? WS[r.nextInt(WS.length)] : WS[r.nextInt(6)];
    }

    private static String number(SplittableRandom r) {
        String sign = r.nextInt(3) == 0 ? "-" : "";
        switch (r.nextInt(40)) {
            case 0:
                return sign + "0";
            case 1:
                return sign + "0." + "0".repeat(r.nextInt(4));
            case 2:
                return sign + r.nextLong((long) Math.pow(10, 1 + r.nextInt(17)));
            case 3:
                return sign + r.nextInt(100) + "." + digits(r, 1 + r.nextInt(17));
            case 4:
                return sign + r.nextInt(10) + "e" + (r.nextInt(10) - 5);
            case 5:
                return sign + "0" + r.nextInt(10);
            case 6:
                return sign + r.nextInt(100) + ".";
            case 7:
                return Double.toString(r.nextDouble() * (r.nextBoolean() ? 1e-8 : 1e8));
            default:
                return String.format(Locale.ROOT, "%s%." + r.nextInt(1, 8) + "f", sign, r.nextDouble() * 20);
        }
    }

    private static String digits(SplittableRandom r, int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append((char) ('0' + r.nextInt(10)));
        }
        return s.toString();
    }
}
