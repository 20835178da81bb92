package dev.moat.bench.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Markdown tables of the report, each a pure function of the results. */
final class Tables {

    private Tables() {}

    /** A GitHub-flavoured markdown table. */
    static String table(List<String> header, List<List<String>> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("| ").append(String.join(" | ", header)).append(" |\n|");
        header.forEach(h -> sb.append("---|"));
        sb.append('\n');
        for (List<String> row : rows) {
            sb.append("| ")
                    .append(String.join(
                            " | ", row.stream().map(c -> c.replace("|", "\\|")).toList()))
                    .append(" |\n");
        }
        return sb.toString();
    }

    static String goals(List<Goals.Goal> goals) {
        List<List<String>> rows = new ArrayList<>();
        for (Goals.Goal g : goals) {
            rows.add(List.of(
                    g.target(), g.met() == null ? "not run" : g.met() ? "**met**" : "**missed**", g.evidence()));
        }
        return "## Goals\n\n" + table(List.of("target", "verdict", "evidence"), rows);
    }

    static String fidelityMatrix(Evaluation.Results results) {
        List<String> header = new ArrayList<>(List.of("attack"));
        results.settings().presets().forEach(p -> header.add(p.name()));
        List<List<String>> rows = new ArrayList<>();
        for (AttackSpec a : results.settings().attacks()) {
            List<String> row = new ArrayList<>(List.of(a.name()));
            for (Preset p : results.settings().presets()) {
                Optional<RunRecord> r = Goals.find(results.runs(), a.name(), p.name());
                row.add(r.map(Tables::fidelityCell).orElse(""));
            }
            rows.add(row);
        }
        return table(header, rows);
    }

    private static String fidelityCell(RunRecord r) {
        String marks = (r.firstAlarmAt() != null ? "a" : "") + (r.firstBlockAt() != null ? "b" : "");
        return Report.pct(r.bestFidelity()) + (marks.isEmpty() ? "" : " " + marks);
    }

    /**
     * Issue 9's view: per model, each attack under {@code full} (rows to the first flag, rows to the
     * block) and the best fidelity it reached unopposed ({@code none}) and under {@code full}.
     */
    static String adaptive(Evaluation.Results results) {
        List<List<String>> rows = new ArrayList<>();
        for (EvalSettings.Plan plan : results.settings().plans()) {
            Evaluation.Results one = results.forModel(plan.model());
            for (AttackSpec a : plan.attacks()) {
                Optional<RunRecord> full = Goals.find(one.runs(), a.name(), Goals.FULL);
                Optional<RunRecord> none = Goals.find(one.runs(), a.name(), Goals.NONE);
                if (full.isEmpty()) {
                    continue;
                }
                RunRecord f = full.get();
                rows.add(List.of(
                        plan.model().id(),
                        a.name(),
                        a.adaptive() ? "adaptive" : a.synthetic() ? "plain" : "plain, natural",
                        Long.toString(f.rowsSent()),
                        f.firstAlarmAt() == null ? "never" : Long.toString(f.firstAlarmAt()),
                        f.alarmBy().isEmpty() ? "-" : f.alarmBy(),
                        f.firstBlockAt() == null ? "never" : Long.toString(f.firstBlockAt()),
                        none.map(r -> Report.pct(r.bestFidelity())).orElse("-"),
                        Report.pct(f.bestFidelity()),
                        duration(f.attackSeconds())));
            }
        }
        return "Rows are inputs (the cross-policy attacker sends " + EvalSettings.CROSS_BATCH
                + " per request and one chat request after each; the others " + EvalSettings.BATCH
                + "). Fidelity is that of the best surrogate trained on everything the attacker got answered.\n\n"
                + table(
                        List.of(
                                "model",
                                "attack",
                                "kind",
                                "rows sent",
                                "first flag at (rows)",
                                "flagged by",
                                "blocked at (rows)",
                                "fidelity unopposed (`none`) %",
                                "fidelity under `full` %",
                                "attack took (simulated)"),
                        rows);
    }

    /** Every honest key-run flagged (suspicious or worse), with the detectors' reasons: the goal is none. */
    static String honestFlagged(Evaluation.Results results) {
        List<List<String>> rows = new ArrayList<>();
        long keyRuns = 0;
        for (RunRecord r : results.runs()) {
            for (RunOutcome.Honest h : r.honest()) {
                keyRuns++;
                if (h.flagged()) {
                    rows.add(List.of(
                            r.model(), r.attack(), r.preset(), h.keyId(), Long.toString(h.rows()), h.flaggedBy()));
                }
            }
        }
        if (rows.isEmpty()) {
            return "None of " + keyRuns + " honest key-runs was flagged.\n";
        }
        return rows.size() + " of " + keyRuns + " honest key-runs flagged:\n\n"
                + table(
                        List.of("model", "attack in the run", "preset", "honest key", "its rows", "flagged at, by"),
                        rows);
    }

    static String detection(Evaluation.Results results) {
        List<List<String>> rows = new ArrayList<>();
        for (AttackSpec a : results.settings().attacks()) {
            Goals.find(results.runs(), a.name(), Goals.FULL)
                    .ifPresent(r -> rows.add(List.of(
                            a.name(),
                            Long.toString(r.rowsSent()),
                            Long.toString(r.rowsAnswered()),
                            r.firstAlarmAt() == null ? "never" : Long.toString(r.firstAlarmAt()),
                            r.alarmBy().isEmpty() ? "-" : r.alarmBy(),
                            r.firstBlockAt() == null ? "never" : Long.toString(r.firstBlockAt()),
                            r.keysBlocked() + "/" + r.keys(),
                            Long.toString(r.throttledRequests()),
                            String.format(Locale.ROOT, "%.2f", r.maxRisk()),
                            duration(r.attackSeconds()))));
        }
        return "Queries are rows (inputs); the attacker sends " + EvalSettings.BATCH
                + " per request unless noted in the settings.\n\n"
                + table(
                        List.of(
                                "attack",
                                "rows sent",
                                "rows answered",
                                "first alarm at (rows)",
                                "alarm by",
                                "blocked at (rows)",
                                "keys blocked",
                                "429s",
                                "max risk",
                                "attack took (simulated)"),
                        rows);
    }

    static String honest(Evaluation.Results results) {
        List<List<String>> rows = new ArrayList<>();
        for (Preset p : results.settings().presets()) {
            long keyRuns = 0;
            long flagged = 0;
            long heavyFlagged = 0;
            long answered = 0;
            long agree = 0;
            long rejected = 0;
            double l1 = 0;
            for (RunRecord r : results.runs()) {
                if (!r.preset().equals(p.name())) {
                    continue;
                }
                for (RunOutcome.Honest h : r.honest()) {
                    keyRuns++;
                    flagged += h.flagged() ? 1 : 0;
                    heavyFlagged += h.flagged() && h.heavy() ? 1 : 0;
                    answered += h.answered();
                    agree += h.top1Agree();
                    rejected += h.rejectedRequests();
                    l1 += h.l1Sum();
                }
            }
            rows.add(List.of(
                    p.name(),
                    flagged + " / " + keyRuns + (heavyFlagged > 0 ? " (heavy: " + heavyFlagged + ")" : ""),
                    keyRuns == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * flagged / keyRuns),
                    answered == 0 ? "-" : String.format(Locale.ROOT, "%.2f%%", 100.0 * agree / answered),
                    answered == 0 ? "-" : String.format(Locale.ROOT, "%.4f", l1 / answered),
                    Long.toString(answered),
                    Long.toString(rejected)));
        }
        return table(
                List.of(
                        "preset",
                        "honest key-runs flagged",
                        "false-positive share",
                        "top-1 agreement with raw model",
                        "mean L1 change",
                        "honest answers",
                        "honest requests rejected"),
                rows);
    }

    static String watermarks(Evaluation.Results results) {
        List<List<String>> rows = new ArrayList<>();
        for (RunRecord r : results.runs()) {
            if (r.watermarks().isEmpty() && r.independent().isEmpty()) {
                continue;
            }
            List<String> row = new ArrayList<>(List.of(
                    r.model() + " / " + r.attack(),
                    r.preset(),
                    Long.toString(r.rowsAnswered()),
                    Integer.toString(r.attackerWatermarks())));
            for (String suspect :
                    List.of("surrogate-softmax", "surrogate-mlp", "independent-softmax", "independent-mlp")) {
                RunRecord.WatermarkCheck c = Evaluation.bySuspect(concat(r.watermarks(), r.independent()))
                        .get(suspect);
                row.add(
                        c == null
                                ? "-"
                                : c.n() == 0
                                        ? "n=0"
                                        : String.format(
                                                Locale.ROOT,
                                                "%d/%d p=%s%s",
                                                c.matches(),
                                                c.n(),
                                                p(c.pValue()),
                                                c.claimed() ? " **claimed**" : ""));
            }
            rows.add(row);
        }
        return table(
                List.of(
                        "attack",
                        "preset",
                        "stolen answers",
                        "watermarked answers (distinct ledger lines)",
                        "surrogate softmax",
                        "surrogate MLP",
                        "independent softmax",
                        "independent MLP"),
                rows);
    }

    static String llm(Evaluation.Results results) {
        if (results.llm().isEmpty()) {
            return "Not run.\n";
        }
        List<List<String>> rows = new ArrayList<>();
        for (LlmProbe.Result r : results.llm()) {
            StringBuilder sv = new StringBuilder();
            for (int i = 0; i < Math.min(18, r.singularValues().length); i++) {
                sv.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2g", r.singularValues()[i]));
            }
            rows.add(List.of(
                    r.variant(),
                    r.policy(),
                    Integer.toString(r.requests()),
                    r.statuses().toString(),
                    r.vectorsRecovered() + " / " + r.prompts(),
                    r.vectorsRecovered() == 0 ? "-" : Integer.toString(r.rank()),
                    Integer.toString(r.hiddenSize()),
                    Double.isNaN(r.maxAbsError()) ? "-" : String.format(Locale.ROOT, "%.2g", r.maxAbsError()),
                    sv.length() == 0 ? "-" : sv.toString()));
        }
        return "Per prompt: one plain query for the reference token, then 64 queries each biasing 4 tokens and the reference "
                + "by +100 and reading the top-5 logprobs (`max_tokens: 1`). Rank: singular values above 1e-6 of the largest, "
                + "of the centred recovered logit vectors.\n\n"
                + table(
                        List.of(
                                "gateway",
                                "policy",
                                "requests",
                                "HTTP statuses",
                                "full logit vectors recovered",
                                "rank found",
                                "true hidden size",
                                "max abs error vs true centred logits",
                                "leading singular values"),
                        rows);
    }

    static String runs(Evaluation.Results results) {
        List<List<String>> rows = new ArrayList<>();
        for (RunRecord r : results.runs()) {
            String sm = "-";
            String mlp = "-";
            for (RunRecord.SurrogateScore s : r.surrogates()) {
                String cell = Report.pct(s.accuracy()) + " / " + Report.pct(s.fidelity());
                if (s.name().equals("softmax")) {
                    sm = cell;
                } else {
                    mlp = cell;
                }
            }
            String wm = r.watermarks().stream()
                    .filter(c -> c.n() > 0)
                    .map(c -> p(c.pValue()))
                    .reduce((a, b) -> a + " / " + b)
                    .orElse("-");
            rows.add(List.of(
                    r.model(),
                    r.attack(),
                    r.preset(),
                    Long.toString(r.rowsSent()),
                    Long.toString(r.rowsAnswered()),
                    r.firstAlarmAt() == null ? "-" : r.firstAlarmAt().toString(),
                    r.firstBlockAt() == null ? "-" : r.firstBlockAt().toString(),
                    Long.toString(r.throttledRequests()),
                    sm,
                    mlp,
                    wm,
                    r.honestFlagged() + "/" + r.honest().size()));
        }
        return table(
                List.of(
                        "model",
                        "attack",
                        "preset",
                        "rows sent",
                        "rows answered",
                        "first alarm (rows)",
                        "blocked at (rows)",
                        "429s",
                        "softmax acc / fid %",
                        "MLP acc / fid %",
                        "watermark p (softmax / MLP)",
                        "honest flagged"),
                rows);
    }

    static String settings(EvalSettings s) {
        StringBuilder sb = new StringBuilder();
        List<List<String>> presets = new ArrayList<>();
        s.presets()
                .forEach(p ->
                        presets.add(List.of("`" + p.name() + "`", p.description(), String.join(", ", p.tierLimits()))));
        sb.append("Presets (the gateway config of each run is the same apart from these):\n\n")
                .append(table(List.of("preset", "policy", "tier (per request)"), presets));
        List<List<String>> attacks = new ArrayList<>();
        for (AttackSpec a : s.attacks()) {
            attacks.add(List.of(
                    "`" + a.name() + "`",
                    a.kind().name().toLowerCase(Locale.ROOT),
                    a.labelOnly() ? "argmax only" : "probabilities",
                    a.layout().keys
                            + (a.layout().ownTenants
                                    ? " keys, one tenant each"
                                    : a.layout().keys == 1 ? " key" : " keys, one tenant"),
                    Integer.toString(a.batch()),
                    a.pace() == AttackSpec.Pace.UNDER_VOLUME
                            ? String.format(
                                    Locale.ROOT,
                                    "under the volume detector: %d min per hour, %.0f rows/day",
                                    VolumePacer.SESSION_MINUTES,
                                    VolumePacer.forDefaults(a.batch()).rowsPerDay())
                            : String.format(Locale.ROOT, "%.2f s", a.interval())
                                    + (a.crossPolicy() ? ", one chat request after each" : ""),
                    Integer.toString(a.budget())));
        }
        sb.append("\nAttacks (same seed under every preset):\n\n")
                .append(table(
                        List.of(
                                "attack",
                                "strategy",
                                "uses",
                                "keys",
                                "rows/request",
                                "gap between requests (simulated)",
                                "budget (answered rows)"),
                        attacks));
        sb.append(String.format(
                Locale.ROOT,
                """

                - Time is simulated: the harness drives the gateway's clock (token buckets, detection engine, risk decay, block
                  expiry) and waits for the detectors after every request, so results are deterministic. Honest users start at
                  t = 0; the attacker at t = %.0f s. An attacker honours Retry-After on 429, drops a key on 403 and stops at its
                  budget, when all its keys are blocked, or at t = %.0f s.
                - Surrogates: `SoftmaxRegression` (%d epochs) and the served architecture, a 64-32-10 `DigitsModel` MLP
                  (%d epochs), trained on the renormalised probability rows the attacker saw (soft labels) or on the argmax for
                  label-only attackers; none below 20 stolen rows. On `digits32` the MLP is 1024-32-10 and both train for half
                  the epochs (at least 10).
                - Watermark verification: `WatermarkVerifier` (p = 1/(C-1), claim at p < 1e-6) on the ledger lines recorded
                  for the attacker's keys; the independent models are a softmax regression and an MLP of the served architecture
                  trained on the model's training labels with other seeds.
                - Active attack: %d independent bisection lanes (`BoundaryAttacker`), one row per lane in each request, so
                  batching does not break the feedback loop.
                """,
                s.attackStart(),
                s.maxSeconds(),
                s.softmaxEpochs(),
                s.mlpEpochs(),
                EvalSettings.BATCH));
        return sb.toString();
    }

    /** A simulated duration, e.g. {@code 12.5 s}, {@code 42 min}, {@code 2.1 d}. */
    static String duration(double seconds) {
        if (seconds < 120) {
            return String.format(Locale.ROOT, "%.1f s", seconds);
        }
        if (seconds < 2 * 86_400) {
            return String.format(Locale.ROOT, "%.0f min", seconds / 60);
        }
        return String.format(Locale.ROOT, "%.1f d", seconds / 86_400);
    }

    private static String p(double p) {
        return String.format(Locale.ROOT, "%.2g", p);
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
