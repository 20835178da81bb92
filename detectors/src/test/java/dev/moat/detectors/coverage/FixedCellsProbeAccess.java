package dev.moat.detectors.coverage;

import dev.moat.fixtures.traffic.QuerySource;
import java.util.List;
import java.util.function.UnaryOperator;

/** {@link FixedCellsProbe}'s measures for probes in other packages. */
public final class FixedCellsProbeAccess {
    private FixedCellsProbeAccess() {}

    public static double[][] planes(int d) {
        return FixedCellsProbe.planes(d);
    }

    public static double[] mad(double[][] planes, List<double[]> rows) {
        return FixedCellsProbe.mad(planes, rows);
    }

    public static double novelty(
            QuerySource src, UnaryOperator<double[]> model, double[][] planes, double[] mad, double c) {
        return FixedCellsProbe.novelty(src, model, planes, mad, c);
    }
}
