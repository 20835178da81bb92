package dev.moat.bench.eval;

import dev.moat.detectors.DetectorScore;
import dev.moat.detectors.Level;
import dev.moat.detectors.Verdict;
import dev.moat.fixtures.Classifier;
import dev.moat.fixtures.SampleModel;
import dev.moat.policies.watermark.LedgerEntry;
import dev.moat.policies.watermark.WatermarkLedger;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Runs one attack against one preset in simulated time: a fresh gateway in front of the shared
 * model server, five honest users from t = 0, the attacker from {@code attackStart}. Events (honest
 * flushes, attacker requests) are taken in time order; before each the driven clock is moved to
 * its time, after each the harness waits for the detectors to catch up, so a run is deterministic
 * for its seeds. The attacker honours Retry-After on 429 and, on a 429 without one (a batch larger
 * than the bucket can ever hold: the gateway says so), halves its batch, as a thief reading the answer
 * would; it drops a key on 403, and stops at its
 * budget, when every key is blocked, or at {@code maxSeconds}. Honest traffic goes on at least
 * until the warm-up window is over, so each run judges honest keys on the same stretch of traffic.
 */
final class AttackRun {

    private final AttackSpec spec;
    private final Preset preset;
    private final long seed;
    private final double attackStart;
    private final double maxSeconds;
    private final SampleModel model;
    private final HonestUser.Population population;
    private final Classifier raw;

    AttackRun(AttackSpec spec, Preset preset, long seed, double attackStart, double maxSeconds) {
        this(spec, preset, seed, attackStart, maxSeconds, SampleModel.DIGITS, HonestUser.Population.STANDARD);
    }

    /**
     * @param model      the served model ({@code upstream} must serve it)
     * @param population the honest keys that share the gateway with the attacker
     */
    AttackRun(
            AttackSpec spec,
            Preset preset,
            long seed,
            double attackStart,
            double maxSeconds,
            SampleModel model,
            HonestUser.Population population) {
        this.spec = spec;
        this.preset = preset;
        this.seed = seed;
        this.attackStart = attackStart;
        this.maxSeconds = maxSeconds;
        this.model = model;
        this.population = population;
        this.raw = model.model();
    }

    RunOutcome execute(URI upstream) throws Exception {
        Path dir = Files.createTempDirectory("moat-eval-");
        try {
            return execute(upstream, dir);
        } finally {
            deleteTree(dir); // the run's config, keys and watermark ledger: read into the outcome
        }
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private RunOutcome execute(URI upstream, Path dir) throws Exception {
        List<HonestUser> users = HonestUser.of(population, model.data(), seed);
        List<EvalGateway.Key> attackerKeys = spec.layout().keys();
        List<EvalGateway.Key> keys = new ArrayList<>();
        users.forEach(u -> keys.add(u.key));
        keys.addAll(attackerKeys);
        RunOutcome out = new RunOutcome(spec.name(), preset.name());
        out.keys = attackerKeys.size();
        HonestTally tally = new HonestTally(users);
        VolumePacer pacer = spec.pace() == AttackSpec.Pace.UNDER_VOLUME ? VolumePacer.forDefaults(spec.batch()) : null;
        try (EvalGateway gw = new EvalGateway(preset, keys, upstream, dir, "/v1/models/" + model.id())) {
            ApiClient client = new ApiClient(gw.predictUri());
            Strategy strategy = spec.strategy(seed, model);
            List<EvalGateway.Key> live = new ArrayList<>(attackerKeys);
            double nextAttack = attackStart;
            double[][] pending = null;
            int size = spec.batch();
            int turn = 0;
            boolean attacking = true;
            while (true) {
                HonestUser due = earliest(users);
                boolean honestDue = due != null && due.nextFlush() < (attacking ? nextAttack : HonestUser.WARM_SECONDS);
                if (!honestDue && !attacking) {
                    break;
                }
                if (honestDue) {
                    double t = due.nextFlush();
                    gw.advanceTo(t);
                    for (double[][] batch : due.flush(t)) {
                        ApiClient.Reply r = client.predict(due.key.secret(), batch);
                        gw.settle();
                        tally.record(due.key.id(), batch, r);
                    }
                    check(gw, out, attackerKeys, tally);
                    continue;
                }
                gw.advanceTo(nextAttack);
                if (pending == null) {
                    pending = trim(strategy.nextBatch(size), spec.budget() - out.rowsAnswered);
                }
                EvalGateway.Key key = live.get(turn++ % live.size());
                ApiClient.Reply r = client.predict(key.secret(), pending);
                out.requests++;
                out.rowsSent += pending.length;
                gw.settle();
                double now = gw.now();
                switch (r.status()) {
                    case 200 -> {
                        double[][] seen = spec.labelOnly() ? labelsOf(r.rows()) : r.rows();
                        strategy.observe(pending, seen);
                        for (int i = 0; i < pending.length; i++) {
                            out.stolenX.add(pending[i]);
                            out.stolenAnswers.add(seen[i]);
                        }
                        out.rowsAnswered += pending.length;
                        pending = null;
                        nextAttack = pacer == null ? now + spec.interval() : pacer.next(now, attackStart);
                        if (spec.crossPolicy()) {
                            out.crossRequests++;
                            out.crossStatuses.merge(client.chat(gw.chatUri(), key.secret()), 1, Integer::sum);
                            gw.settle();
                        }
                    }
                    case 429 -> {
                        out.throttledRequests++;
                        if (r.retryAfterSeconds() == 0 && pending.length > 1) {
                            // no Retry-After: this batch can never pass (it costs more tokens than the bucket
                            // holds). Half of it is sent next (the strategy sees only the rows answered:
                            // the first rows of a batch are those of its first lanes), and smaller batches
                            // from then on (a lanes strategy keeps its own batch shape)
                            size = pending.length / 2;
                            pending = trim(pending, size);
                        }
                        nextAttack = now + Math.max(spec.interval(), Math.max(1, r.retryAfterSeconds()));
                    }
                    case 403 -> {
                        out.blockedRequests++;
                        if (out.firstBlockAt < 0) {
                            out.firstBlockAt = out.rowsSent - pending.length;
                        }
                        live.remove(key);
                        out.keysBlocked++;
                        nextAttack = now + spec.interval();
                    }
                    default ->
                        throw new IllegalStateException(
                                spec.name() + " vs " + preset.name() + ": unexpected HTTP " + r.status());
                }
                check(gw, out, attackerKeys, tally);
                if (out.rowsAnswered >= spec.budget() || live.isEmpty() || nextAttack > maxSeconds) {
                    attacking = false;
                    out.attackSeconds = now - attackStart;
                }
            }
            out.simulatedSeconds = gw.now();
            out.droppedEvents = gw.droppedEvents();
        }
        out.honest.addAll(tally.results());
        if (Files.exists(dir.resolve("watermarks.jsonl"))) {
            List<LedgerEntry> all = WatermarkLedger.read(dir.resolve("watermarks.jsonl"));
            Set<String> ids = new HashSet<>();
            attackerKeys.forEach(k -> ids.add(k.id()));
            out.allWatermarks = all.size();
            out.ledger = all;
            out.attackerWatermarks =
                    all.stream().filter(e -> ids.contains(e.key())).toList();
        }
        return out;
    }

    private static HonestUser earliest(List<HonestUser> users) {
        HonestUser best = null;
        for (HonestUser u : users) {
            if (best == null || u.nextFlush() < best.nextFlush()) {
                best = u;
            }
        }
        return best;
    }

    private void check(EvalGateway gw, RunOutcome out, List<EvalGateway.Key> attackerKeys, HonestTally tally) {
        if (!preset.detects()) {
            return;
        }
        for (EvalGateway.Key k : attackerKeys) {
            Verdict v = gw.verdict(k.id());
            out.maxRisk = Math.max(out.maxRisk, v.risk());
            if (out.firstAlarmAt < 0 && v.level().compareTo(Level.SUSPICIOUS) >= 0) {
                out.firstAlarmAt = out.rowsSent;
                out.alarmBy = firing(v);
            }
        }
        tally.checkFlags(gw);
    }

    /** The detectors scoring above zero in a verdict, e.g. {@code "coverage, ood"}. */
    static String firing(Verdict v) {
        Set<String> names = new TreeSet<>();
        for (Map.Entry<String, DetectorScore> e : v.scores().entrySet()) {
            if (e.getValue().score() > 0) {
                names.add(e.getKey());
            }
        }
        return String.join(", ", names);
    }

    /** The reasons of the detectors scoring above zero. */
    static String reasons(Verdict v) {
        List<String> out = new ArrayList<>();
        new java.util.TreeMap<>(v.scores()).forEach((name, s) -> {
            if (s.score() > 0) {
                out.add(s.reason());
            }
        });
        return String.join("; ", out);
    }

    static double[][] trim(double[][] batch, long remaining) {
        if (batch.length <= remaining) {
            return batch;
        }
        double[][] out = new double[(int) Math.max(1, remaining)][];
        System.arraycopy(batch, 0, out, 0, out.length);
        return out;
    }

    /** What a label-only attacker keeps: a one-element row holding the argmax. */
    static double[][] labelsOf(double[][] rows) {
        double[][] out = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            out[i] = new double[] {Classifier.argmax(rows[i])};
        }
        return out;
    }

    /** The honest users' running counters. */
    private final class HonestTally {
        private final List<HonestUser> users;
        private final Map<String, long[]> counts = new java.util.LinkedHashMap<>(); // rows, answered, rejected, agree
        private final Map<String, double[]> l1 = new java.util.HashMap<>();
        private final Map<String, String> flaggedBy = new java.util.HashMap<>();

        HonestTally(List<HonestUser> users) {
            this.users = users;
            users.forEach(u -> {
                counts.put(u.key.id(), new long[4]);
                l1.put(u.key.id(), new double[1]);
            });
        }

        void record(String keyId, double[][] batch, ApiClient.Reply r) {
            long[] c = counts.get(keyId);
            c[0] += batch.length;
            if (!r.ok()) {
                c[2]++;
                return;
            }
            c[1] += batch.length;
            for (int i = 0; i < batch.length; i++) {
                double[] truth = raw.predict(batch[i]);
                double[] got = r.rows()[i];
                if (Classifier.argmax(got) == Classifier.argmax(truth)) {
                    c[3]++;
                }
                l1.get(keyId)[0] += Metrics.l1(got, truth);
            }
        }

        void checkFlags(EvalGateway gw) {
            for (HonestUser u : users) {
                Verdict v = gw.verdict(u.key.id());
                if (!flaggedBy.containsKey(u.key.id()) && v.level().compareTo(Level.SUSPICIOUS) >= 0) {
                    flaggedBy.put(
                            u.key.id(),
                            String.format(
                                    java.util.Locale.ROOT, "t=%.0fs risk %.2f: %s", gw.now(), v.risk(), reasons(v)));
                }
            }
        }

        List<RunOutcome.Honest> results() {
            List<RunOutcome.Honest> out = new ArrayList<>();
            counts.forEach((id, c) -> out.add(new RunOutcome.Honest(
                    id,
                    id.contains("heavy") || id.contains("batch"),
                    c[0],
                    c[1],
                    c[2],
                    c[3],
                    l1.get(id)[0],
                    flaggedBy.containsKey(id),
                    flaggedBy.getOrDefault(id, ""))));
            return out;
        }
    }
}
