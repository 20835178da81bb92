package dev.moat.gateway.cli;

import dev.moat.config.Protocol;

/** Request bodies that ask a model for predictions on given input rows, per protocol. */
final class SuspectRequests {

    private SuspectRequests() {}

    static String body(Protocol p, double[][] xs) {
        StringBuilder sb = new StringBuilder(xs.length * xs[0].length * 6 + 64);
        switch (p) {
            case KSERVE_V2 -> {
                sb.append("{\"inputs\":[{\"name\":\"input-0\",\"shape\":[")
                        .append(xs.length)
                        .append(',')
                        .append(xs[0].length)
                        .append("],\"datatype\":\"FP64\",\"data\":[");
                boolean first = true;
                for (double[] x : xs) {
                    for (double v : x) {
                        sb.append(first ? "" : ",").append(v);
                        first = false;
                    }
                }
                sb.append("]}]}");
            }
            case GENERIC -> rows(sb.append("{\"data\":"), xs).append('}');
            default -> rows(sb.append("{\"instances\":"), xs).append('}');
        }
        return sb.toString();
    }

    private static StringBuilder rows(StringBuilder sb, double[][] xs) {
        sb.append('[');
        for (int r = 0; r < xs.length; r++) {
            sb.append(r == 0 ? "[" : ",[");
            for (int i = 0; i < xs[r].length; i++) {
                sb.append(i == 0 ? "" : ",").append(xs[r][i]);
            }
            sb.append(']');
        }
        return sb.append(']');
    }
}
