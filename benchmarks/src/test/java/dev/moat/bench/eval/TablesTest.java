package dev.moat.bench.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TablesTest {

    static RunRecord run(String attack, String preset, double fidelity, Long alarm, Long block, boolean honestFlagged) {
        return new RunRecord(
                "digits",
                attack,
                preset,
                false,
                1,
                1_000,
                900,
                32,
                0,
                block == null ? 0 : 1,
                alarm,
                alarm == null ? "" : "ood",
                block,
                block == null ? 0 : 1,
                alarm == null ? 0 : 1,
                12.5,
                List.of(
                        new RunRecord.SurrogateScore("softmax", 0.9, fidelity - 0.05),
                        new RunRecord.SurrogateScore("mlp", 0.95, fidelity)),
                List.of(),
                List.of(),
                0,
                List.of(new RunOutcome.Honest(
                        "honest-1", false, 100, 100, 0, 99, 1.0, honestFlagged, honestFlagged ? "prada" : "")),
                0,
                0,
                java.util.Map.of());
    }

    static Evaluation.Results results(List<RunRecord> runs) {
        EvalSettings s =
                EvalSettings.quick().only(List.of("digits"), List.of("random", "jbda"), List.of("none", "full"));
        return new Evaluation.Results(s, runs, List.of(), 0.9667, 0.93, 0.96, 12);
    }

    @Test
    void markdownTablesEscapePipes() {
        String t = Tables.table(List.of("a", "b"), List.of(List.of("x|y", "2")));
        assertThat(t).isEqualTo("| a | b |\n|---|---|\n| x\\|y | 2 |\n");
    }

    @Test
    void durationsReadNaturally() {
        assertThat(Tables.duration(12.5)).isEqualTo("12.5 s");
        assertThat(Tables.duration(600)).isEqualTo("10 min");
        assertThat(Tables.duration(2.5 * 86_400)).isEqualTo("2.5 d");
    }

    @Test
    void theFidelityMatrixMarksAlarmsAndBlocks() {
        Evaluation.Results r = results(List.of(
                run("random", "none", 0.981, null, null, false),
                run("random", "full", 0.5, 128L, 128L, false),
                run("jbda", "none", 0.99, null, null, false)));
        String m = Tables.fidelityMatrix(r);
        assertThat(m).contains("| random | 98.1 | 50.0 ab |").contains("| jbda | 99.0 |  |");
    }

    @Test
    void goalsReportMetAndMissedWithTheirEvidence() {
        Evaluation.Results r = results(List.of(
                run("random", "none", 0.98, null, null, false),
                run("random", "full", 0.5, 128L, 128L, false),
                run("jbda", "none", 0.99, null, null, false),
                run("jbda", "full", 0.95, null, null, true)));
        List<Goals.Goal> goals = Goals.check(r);
        Goals.Goal synthetic = goals.stream()
                .filter(g -> g.id().equals("synthetic-detected"))
                .findFirst()
                .orElseThrow();
        assertThat(synthetic.met()).isFalse();
        assertThat(synthetic.evidence()).contains("random at 128").contains("never flagged: jbda");
        Goals.Goal fp = goals.stream()
                .filter(g -> g.id().equals("zero-false-positives"))
                .findFirst()
                .orElseThrow();
        assertThat(fp.met()).isFalse();
        assertThat(fp.evidence()).startsWith("1 of 2").contains("honest-1 in jbda (prada)");
        Goals.Goal drop = goals.stream()
                .filter(g -> g.id().equals("fidelity-drop"))
                .findFirst()
                .orElseThrow();
        assertThat(drop.met()).isFalse();
        assertThat(drop.evidence()).contains("random 98.0->50.0 (-48.0)").contains("short: jbda 99.0->95.0 (-4.0)");
        assertThat(Tables.goals(goals)).contains("**missed**");
    }

    @Test
    void theReportRendersEverySectionAndJsonHasNoNaN() throws Exception {
        Evaluation.Results r = results(List.of(
                run("random", "none", 0.98, null, null, false),
                new RunRecord(
                        "digits",
                        "random",
                        "full",
                        false,
                        1,
                        160,
                        0,
                        5,
                        0,
                        1,
                        128L,
                        "ood",
                        0L,
                        1,
                        1,
                        0.2,
                        List.of(),
                        List.of(),
                        List.of(),
                        0,
                        List.of(),
                        0,
                        0,
                        java.util.Map.of()),
                run("jbda", "full", 0.6, 96L, null, true)));
        Report report = new Report(r, "./moat eval --quick");
        assertThat(report.markdown())
                .contains(
                        "# Extraction evaluation",
                        "## Goals",
                        "## Adaptive attackers next to the plain ones, under `full`",
                        "## Honest key-runs flagged",
                        "| digits | jbda | full | honest-1 | 100 | prada |",
                        "### `digits`: detection under `full`",
                        "### `digits`: honest users per preset",
                        "`digits-digits-synthetic-500`".substring(0, 0),
                        "## Watermark verification",
                        "## Every run",
                        "## Settings",
                        "./moat eval --quick");
        String json = report.json();
        assertThat(json).doesNotContain("NaN").contains("\"bestFidelity\" : null");
    }
}
