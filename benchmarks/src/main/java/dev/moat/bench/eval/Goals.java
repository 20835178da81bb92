package dev.moat.bench.eval;

import dev.moat.bench.eval.AttackSpec.Kind;
import dev.moat.bench.eval.AttackSpec.Layout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The targets the evaluation is read against, each checked on the results with the numbers
 * behind the verdict. A target missed is a finding, reported as such.
 */
final class Goals {

    static final String FULL = "full";
    static final String NONE = "none";
    static final double FIDELITY_DROP = 0.30;
    static final double HONEST_AGREEMENT = 0.995;
    static final int WATERMARK_MIN_ROWS = 5_000;

    /** One target: what it says, whether it holds, and why. */
    record Goal(String id, String target, Boolean met, String evidence) {}

    private Goals() {}

    static List<Goal> check(Evaluation.Results results) {
        List<RunRecord> runs = results.runs();
        List<AttackSpec> attacks = results.settings().attacks();
        List<Goal> out = new ArrayList<>();
        out.add(flagged(
                "synthetic-detected",
                "every synthetic-query attack (random, JbDA; full and label-only) flagged under `full`",
                runs,
                attacks,
                s -> (s.kind() == Kind.RANDOM || s.kind() == Kind.JBDA)
                        && s.layout() == Layout.SINGLE
                        && !s.adaptive()));
        List<RunRecord> full =
                runs.stream().filter(r -> r.preset().equals(FULL)).toList();
        long honestRuns = full.stream().mapToLong(r -> r.honest().size()).sum();
        long fp = full.stream().mapToLong(RunRecord::honestFlagged).sum();
        out.add(new Goal(
                "zero-false-positives",
                "no honest key flagged (suspicious or worse) under `full`",
                full.isEmpty() ? null : fp == 0,
                fp + " of " + honestRuns + " honest key-runs flagged" + flaggedDetail(full)));
        out.add(flagged(
                "natural-detected",
                "natural-data attacks (Knockoff, incl. slow and label-only) flagged under `full`",
                runs,
                attacks,
                s -> s.kind() == Kind.KNOCKOFF && s.layout() == Layout.SINGLE && !s.adaptive()));
        out.add(flagged(
                "active-detected",
                "active (boundary) attacks flagged under `full`",
                runs,
                attacks,
                s -> s.kind() == Kind.ACTIVE));
        out.add(flagged(
                "sybil-detected",
                "Sybil attacks (5 and 20 keys of one tenant, 5 tenants) flagged under `full`",
                runs,
                attacks,
                s -> s.layout() != Layout.SINGLE && !s.adaptive()));
        out.add(fidelityDrop(runs, attacks));
        out.add(honestAgreement(full));
        out.add(watermarkClaims(runs));
        out.add(watermarkIndependent(runs));
        return out;
    }

    private static Goal flagged(
            String id,
            String target,
            List<RunRecord> runs,
            List<AttackSpec> attacks,
            java.util.function.Predicate<AttackSpec> which) {
        List<String> missed = new ArrayList<>();
        List<String> caught = new ArrayList<>();
        for (AttackSpec s : attacks) {
            if (!which.test(s)) {
                continue;
            }
            Optional<RunRecord> r = find(runs, s.name(), FULL);
            if (r.isEmpty()) {
                continue;
            }
            if (r.get().firstAlarmAt() == null) {
                missed.add(s.name());
            } else {
                caught.add(s.name() + " at " + r.get().firstAlarmAt());
            }
        }
        if (missed.isEmpty() && caught.isEmpty()) {
            return new Goal(id, target, null, "not run");
        }
        return new Goal(
                id,
                target,
                missed.isEmpty(),
                "flagged: " + (caught.isEmpty() ? "none" : String.join(", ", caught))
                        + (missed.isEmpty() ? "" : "; never flagged: " + String.join(", ", missed)));
    }

    private static Goal fidelityDrop(List<RunRecord> runs, List<AttackSpec> attacks) {
        List<String> ok = new ArrayList<>();
        List<String> short_ = new ArrayList<>();
        for (AttackSpec s : attacks) {
            Optional<RunRecord> none = find(runs, s.name(), NONE);
            Optional<RunRecord> full = find(runs, s.name(), FULL);
            if (none.isEmpty() || full.isEmpty()) {
                continue;
            }
            double base = none.get().bestFidelity();
            double defended = full.get().bestFidelity();
            double drop = Double.isNaN(defended) ? base - 0.1 : base - defended;
            String text = String.format(
                    Locale.ROOT,
                    "%s %.1f->%s (%+.1f)",
                    s.name(),
                    100 * base,
                    Double.isNaN(defended) ? "no surrogate" : String.format(Locale.ROOT, "%.1f", 100 * defended),
                    -100 * drop);
            (drop >= FIDELITY_DROP ? ok : short_).add(text);
        }
        if (ok.isEmpty() && short_.isEmpty()) {
            return new Goal(
                    "fidelity-drop", "best surrogate fidelity under `full` >= 30 points below `none`", null, "not run");
        }
        return new Goal(
                "fidelity-drop",
                "best surrogate fidelity under `full` >= 30 points below `none`, every attack",
                short_.isEmpty(),
                "met: " + (ok.isEmpty() ? "none" : String.join(", ", ok))
                        + (short_.isEmpty() ? "" : "; short: " + String.join(", ", short_)));
    }

    private static Goal honestAgreement(List<RunRecord> full) {
        long answered = 0;
        long agree = 0;
        for (RunRecord r : full) {
            for (RunOutcome.Honest h : r.honest()) {
                answered += h.answered();
                agree += h.top1Agree();
            }
        }
        if (answered == 0) {
            return new Goal("honest-utility", "honest top-1 agreement >= 99.5% under `full`", null, "not run");
        }
        double a = (double) agree / answered;
        return new Goal(
                "honest-utility",
                "honest top-1 agreement >= 99.5% under `full`",
                a >= HONEST_AGREEMENT,
                String.format(Locale.ROOT, "%.2f%% over %d honest answers", 100 * a, answered));
    }

    private static Goal watermarkClaims(List<RunRecord> runs) {
        int total = 0;
        int claimed = 0;
        List<String> missed = new ArrayList<>();
        for (RunRecord r : runs) {
            if (r.watermarks().isEmpty() || r.rowsAnswered() < WATERMARK_MIN_ROWS) {
                continue;
            }
            for (RunRecord.WatermarkCheck c : r.watermarks()) {
                total++;
                if (c.claimed()) {
                    claimed++;
                } else {
                    missed.add(String.format(
                            Locale.ROOT,
                            "%s/%s/%s %d/%d",
                            r.attack(),
                            r.preset(),
                            c.suspect().replace("surrogate-", ""),
                            c.matches(),
                            c.n()));
                }
            }
        }
        String target = "watermark claims every surrogate trained on >= 5,000 stolen answers (p < 1e-6)";
        if (total == 0) {
            return new Goal("watermark-claims", target, null, "no surrogate trained on >= 5,000 watermarked answers");
        }
        return new Goal(
                "watermark-claims",
                target,
                claimed == total,
                claimed + " of " + total + " surrogates claimed"
                        + (missed.isEmpty() ? "" : "; not claimed (matches/n): " + String.join(", ", missed)));
    }

    private static Goal watermarkIndependent(List<RunRecord> runs) {
        int total = 0;
        int claimed = 0;
        double minP = 1;
        for (RunRecord r : runs) {
            for (RunRecord.WatermarkCheck c : r.independent()) {
                if (c.n() == 0) {
                    continue;
                }
                total++;
                minP = Math.min(minP, c.pValue());
                if (c.claimed()) {
                    claimed++;
                }
            }
        }
        String target =
                "watermark never claims an independent model (softmax regression and an MLP trained on Digits.train() labels)";
        if (total == 0) {
            return new Goal("watermark-independent", target, null, "no ledger entries to test");
        }
        return new Goal(
                "watermark-independent",
                target,
                claimed == 0,
                String.format(Locale.ROOT, "%d claims in %d checks; smallest p-value %.3g", claimed, total, minP));
    }

    /** Rows within which a synthetic attack must be flagged (issue 9). */
    static final int SYNTHETIC_ROWS = 500;
    /** Rows within which an adaptive attack must be flagged (issue 9). */
    static final int ADAPTIVE_ROWS = 2_000;

    /**
     * Issue 9's targets on one model's results: every non-natural attack flagged within 500 rows
     * and blocked under {@code full}; non-natural adaptive ones within 2,000; no honest key-run flagged under
     * any preset that detects.
     */
    static List<Goal> issue9(Evaluation.Results results, String model) {
        List<RunRecord> runs = results.runs();
        List<Goal> out = new ArrayList<>();
        out.add(within(
                model + "-synthetic-500",
                "`" + model + "`: every non-natural attack (random, JbDA variants, boundary, Sybil of these) flagged "
                        + "within 500 rows and blocked under `full`",
                runs,
                results.settings().attacks().stream()
                        .filter(a -> a.synthetic() && !a.adaptive())
                        .toList(),
                SYNTHETIC_ROWS));
        out.add(within(
                model + "-adaptive-2000",
                "`" + model + "`: every non-natural adaptive attack flagged within 2,000 rows and blocked under "
                        + "`full` (the natural-data ones, paced and over 20 tenants, are in the table below but "
                        + "outside the goal: per-query content cannot separate clean natural data from a customer)",
                runs,
                results.settings().attacks().stream()
                        .filter(a -> a.adaptive() && a.synthetic())
                        .toList(),
                ADAPTIVE_ROWS));
        List<RunRecord> detecting = runs.stream()
                .filter(r -> results.settings().presets().stream()
                        .anyMatch(p -> p.name().equals(r.preset()) && p.detects()))
                .toList();
        long keyRuns = detecting.stream().mapToLong(r -> r.honest().size()).sum();
        long flagged = detecting.stream().mapToLong(RunRecord::honestFlagged).sum();
        out.add(new Goal(
                model + "-honest-zero",
                "`" + model + "`: zero honest key-runs flagged under every detecting preset (heavy 10x/50x, batch, "
                        + "skewed customers included)",
                detecting.isEmpty() ? null : flagged == 0,
                flagged + " of " + keyRuns + " honest key-runs flagged" + (flagged == 0 ? "" : " (listed below)")));
        return out;
    }

    private static Goal within(String id, String target, List<RunRecord> runs, List<AttackSpec> attacks, int rows) {
        List<String> ok = new ArrayList<>();
        List<String> missed = new ArrayList<>();
        for (AttackSpec s : attacks) {
            Optional<RunRecord> r = find(runs, s.name(), FULL);
            if (r.isEmpty()) {
                continue;
            }
            Long alarm = r.get().firstAlarmAt();
            Long block = r.get().firstBlockAt();
            String text = s.name() + " " + (alarm == null ? "never flagged" : "flagged at " + alarm)
                    + (block == null ? ", never blocked" : ", blocked at " + block);
            (alarm != null && alarm <= rows && block != null ? ok : missed).add(text);
        }
        if (ok.isEmpty() && missed.isEmpty()) {
            return new Goal(id, target, null, "not run");
        }
        return new Goal(
                id,
                target,
                missed.isEmpty(),
                (missed.isEmpty() ? "" : "missed: " + String.join("; ", missed) + (ok.isEmpty() ? "" : ". "))
                        + (ok.isEmpty() ? "" : "met: " + String.join("; ", ok)));
    }

    private static String flaggedDetail(List<RunRecord> full) {
        List<String> d = new ArrayList<>();
        for (RunRecord r : full) {
            for (RunOutcome.Honest h : r.honest()) {
                if (h.flagged()) {
                    d.add(h.keyId() + " in " + r.attack() + " (" + h.flaggedBy() + ")");
                }
            }
        }
        return d.isEmpty() ? "" : ": " + String.join("; ", d);
    }

    static Optional<RunRecord> find(List<RunRecord> runs, String attack, String preset) {
        return runs.stream()
                .filter(r -> r.attack().equals(attack) && r.preset().equals(preset))
                .findFirst();
    }
}
