package dev.moat.gateway.protocol;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.moat.config.Protocol;
import dev.moat.config.UpstreamConfig;
import dev.moat.fixtures.Digits;
import dev.moat.gateway.protocol.internal.JsonBodies;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

/** Small builders for the adapter tests' bodies and upstreams. */
final class Bodies {

    private Bodies() {}

    static UpstreamConfig upstream(Protocol protocol, UpstreamConfig.GenericPointers pointers) {
        return new UpstreamConfig(
                "model",
                URI.create("http://127.0.0.1:8501"),
                protocol,
                Duration.ofSeconds(1),
                Duration.ofSeconds(5),
                8,
                pointers,
                null);
    }

    /** Rows as a JSON array of arrays. */
    static ArrayNode rows(double[][] rows) {
        ArrayNode a = JsonBodies.MAPPER.createArrayNode();
        for (double[] row : rows) {
            ArrayNode r = a.addArray();
            Arrays.stream(row).forEach(r::add);
        }
        return a;
    }

    /** Rows flattened into one JSON array. */
    static ArrayNode flat(double[][] rows) {
        ArrayNode a = JsonBodies.MAPPER.createArrayNode();
        for (double[] row : rows) {
            Arrays.stream(row).forEach(a::add);
        }
        return a;
    }

    /** {@code n} digits images (64 pixels, 0..16) from the fixture's honest split, picked at random. */
    static double[][] digits(int n, Random random) {
        double[][] x = Digits.get().honest().x();
        double[][] out = new double[n][];
        for (int i = 0; i < n; i++) {
            out[i] = x[random.nextInt(x.length)].clone();
        }
        return out;
    }

    static int argmax(double[] row) {
        return GenericAdapter.argmax(row);
    }
}
