package dev.moat.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Both ways the benchmark measures give the same quantiles on every column (untimed). */
class QuantilesBenchmarkTest {

    @Test
    void sortAndSelectReadTheSameQuantiles() {
        for (String columns : new String[] {"pixels", "background"}) {
            QuantilesBenchmark sort = new QuantilesBenchmark();
            QuantilesBenchmark select = new QuantilesBenchmark();
            sort.columns = columns;
            select.columns = columns;
            sort.setUp();
            select.setUp();
            for (int c = 0; c < 128; c++) {
                assertThat(select.select()).as("%s column %d", columns, c).isEqualTo(sort.sort());
            }
        }
    }
}
