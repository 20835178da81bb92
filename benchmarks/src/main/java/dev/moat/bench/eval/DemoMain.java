package dev.moat.bench.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.config.ConfigException;
import dev.moat.config.MoatConfig;
import dev.moat.config.RouteConfig;
import dev.moat.config.UpstreamConfig;
import dev.moat.config.load.ConfigLoader;
import dev.moat.fixtures.Classifier;
import dev.moat.fixtures.DigitsModel;
import dev.moat.fixtures.server.ModelServer;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.JbdaAttacker;
import dev.moat.gateway.server.MoatServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * {@code ./moat demo}: the sample model, a gateway running {@code config/examples/demo.yaml}, three
 * honest clients and one JbDA attacker, in real time. Every second it prints one line per key
 * (requests, risk, level, action) read from the admin API, and ends, within a minute, with a
 * summary: the attacker blocked, the honest clients untouched. Free ports are used when 8501,
 * 8080 or 9090 are taken. With {@code MOAT_DEMO_MODEL_URL} set, the gateway calls that model
 * instead and no sample model is started. Exit status 0 when the demo made its point, 1 otherwise,
 * 2 when it could not start (a bad {@code MOAT_DEMO_MODEL_URL} or config).
 */
public final class DemoMain {

    /** The variable naming the model the demo's gateway calls instead of the sample model it starts. */
    static final String MODEL_URL = "MOAT_DEMO_MODEL_URL";

    /** What {@value #MODEL_URL} must be: what an upstream's {@code url} may be. */
    private static final String URL_EXPECTED =
            "an absolute http:// or https:// URL with a host, without user info, query or fragment";

    static final Duration LIMIT = Duration.ofSeconds(55);
    static final Duration AFTER_BLOCK = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    private DemoMain() {}

    /** The command line of {@code ./moat demo}. */
    @picocli.CommandLine.Command(
            name = "moat demo",
            mixinStandardHelpOptions = true,
            description = "Runs the sample model, a gateway, three honest clients and one JbDA attacker for up to a"
                    + " minute, and shows the attacker blocked and the honest clients untouched. With MOAT_DEMO_MODEL_URL"
                    + " set (an http:// or https:// URL), the gateway calls that model server instead and no sample"
                    + " model is started.")
    static final class Cli implements java.util.concurrent.Callable<Integer> {
        @picocli.CommandLine.Option(
                names = "--config",
                paramLabel = "FILE",
                description = "the gateway config (default ${DEFAULT-VALUE})")
        Path config = Path.of("config/examples/demo.yaml");

        @Override
        public Integer call() throws Exception {
            return demo(config, System.getenv(), LIMIT, System.out, System.err, DemoMain::startSampleModel);
        }
    }

    public static void main(String[] args) {
        System.exit(new picocli.CommandLine(new Cli()).execute(args));
    }

    /**
     * The demo, returning its exit status instead of exiting, so that a test can run it. With
     * {@value #MODEL_URL} set (not empty) in {@code environment} the gateway calls that model and no
     * sample model is started; a value that is no URL the gateway could call is refused before
     * anything starts.
     *
     * @param environment what {@code ${VAR}} in the config reads (the process's environment)
     * @param limit how long the clients run at most
     * @param sampleModel starts the sample model the gateway calls when {@value #MODEL_URL} is not set
     * @return 0 when the demo made its point, 1 when not, 2 when it could not start (one line on
     *     {@code err} for a bad {@value #MODEL_URL}, the config's {@code FILE:LINE:COL: message} lines
     *     for a bad config)
     */
    static int demo(
            Path config,
            Map<String, String> environment,
            Duration limit,
            PrintStream out,
            PrintStream err,
            Supplier<ModelServer> sampleModel)
            throws Exception {
        String given = environment.get(MODEL_URL);
        boolean modelGiven = given != null && !given.isEmpty(); // as ${MOAT_DEMO_MODEL_URL:-...} reads it
        if (modelGiven && modelUrl(given) == null) {
            // a URL with user info may hold a password: never echoed
            err.printf(
                    "moat demo: %s: %s (expected %s, such as http://127.0.0.1:8501)%n",
                    MODEL_URL, given.contains("@") ? "(hidden: it has user info)" : "\"" + given + "\"", URL_EXPECTED);
            return 2;
        }
        Evaluation.noDelayModelServer();
        Logs.quiet("INFO");
        Path dir = Files.createTempDirectory("moat-demo-");
        try (ModelServer model = modelGiven ? null : sampleModel.get()) {
            Map<String, String> env = new HashMap<>(environment);
            if (model != null) {
                env.put(MODEL_URL, model.baseUri().toString());
            }
            // a port is probed (bound for a moment) only when no address is given
            env.computeIfAbsent("MOAT_DEMO_LISTEN", v -> "127.0.0.1:" + (free(8080) ? 8080 : 0));
            env.computeIfAbsent("MOAT_DEMO_ADMIN_LISTEN", v -> "127.0.0.1:" + (free(9090) ? 9090 : 0));
            env.putIfAbsent("MOAT_DEMO_DIR", dir.toString());
            MoatConfig cfg;
            try {
                cfg = ConfigLoader.load(config, env);
            } catch (ConfigException e) {
                err.println(e.getMessage());
                return 2;
            }
            String adminToken = cfg.admin().token();
            try (MoatServer gw = new MoatServer(cfg, null, System::nanoTime).start()) {
                // the model actually called: the config's (a config of one's own may not read the variable)
                URI used = upstreamOf(cfg);
                String whose = model != null && model.baseUri().equals(used)
                        ? "the sample model, started for the demo"
                        : modelGiven && modelUrl(given).equals(used) ? MODEL_URL : "from the config";
                out.printf(
                        "moat demo: model %s (%s), gateway http://127.0.0.1:%d, admin http://127.0.0.1:%d, config %s%n",
                        used, whose, gw.port(), gw.adminPort(), config);
                out.println(
                        "three honest clients (~3 queries/s each) and one JbDA attacker (32 rows per request, ~6 requests/s)");
                return run(gw, adminToken, limit, out) ? 0 : 1;
            }
        }
    }

    /**
     * {@code value} as a model URL the gateway can call (the rules of an upstream's {@code url}), or
     * null when it is none.
     */
    private static URI modelUrl(String value) {
        URI url;
        try {
            url = new URI(value.trim());
        } catch (URISyntaxException e) {
            return null;
        }
        String host = url.isAbsolute() ? UpstreamConfig.hostOf(url) : null;
        int port = host == null ? 0 : UpstreamConfig.portOf(url);
        boolean ok = ("http".equals(url.getScheme()) || "https".equals(url.getScheme()))
                && host != null
                && !host.isEmpty()
                && (port == -1 || (port >= 1 && port <= 65535))
                && url.getRawUserInfo() == null
                && url.getRawQuery() == null
                && url.getRawFragment() == null;
        return ok ? url : null;
    }

    /** The URL of the model the demo's clients reach: the upstream of the config's route for their path. */
    private static URI upstreamOf(MoatConfig cfg) {
        RouteConfig route = null;
        for (RouteConfig r : cfg.routes()) {
            if (EvalGateway.PREDICT.startsWith(r.pathPrefix())
                    && (route == null
                            || r.pathPrefix().length() > route.pathPrefix().length())) {
                route = r;
            }
        }
        return route == null ? null : cfg.upstreams().get(route.upstream()).url();
    }

    /** The sample digits model, on 8501 when that port is free. */
    private static ModelServer startSampleModel() {
        return ModelServer.start(ModelServer.Options.defaults().withPort(free(8501) ? 8501 : 0));
    }

    /** One client's counters, written by its thread and read by the printer. */
    static final class Client {
        final String id;
        final String secret;
        final AtomicLong requests = new AtomicLong();
        final AtomicLong rows = new AtomicLong();
        final AtomicLong answered = new AtomicLong();
        final AtomicLong agree = new AtomicLong();
        final AtomicLong throttled = new AtomicLong();
        final AtomicLong blocked = new AtomicLong();
        volatile long blockedAfterRows = -1;
        volatile double blockedAtSeconds = -1;

        Client(String id) {
            this.id = id;
            this.secret = "moat-demo-" + id;
        }
    }

    static boolean run(MoatServer gw, String adminToken, Duration limit, PrintStream out) throws Exception {
        URI predict = URI.create("http://127.0.0.1:" + gw.port() + EvalGateway.PREDICT);
        List<Client> clients =
                List.of(new Client("honest-1"), new Client("honest-2"), new Client("honest-3"), new Client("attacker"));
        AtomicBoolean stop = new AtomicBoolean();
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Client c = clients.get(i);
            HonestClient source =
                    new HonestClient(100 + i, Duration.ofMillis(300), HonestClient.DEFAULT_NOISE_SD, c.id);
            threads.add(daemon("demo-" + c.id, () -> honest(predict, c, source, stop)));
        }
        Client attacker = clients.get(3);
        threads.add(daemon("demo-attacker", () -> attack(predict, attacker, stop, start)));
        HttpClient admin =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        long deadline = start + limit.toNanos();
        long stopAt = Long.MAX_VALUE;
        for (int tick = 1; System.nanoTime() < Math.min(deadline, stopAt); tick++) {
            Thread.sleep(Math.max(0, (start + tick * 1_000_000_000L - System.nanoTime()) / 1_000_000L));
            for (Client c : clients) {
                JsonNode k = key(admin, gw, adminToken, c.id);
                out.printf(
                        Locale.ROOT,
                        "t=%2ds %-9s requests %4d rows %5d  risk %.2f  %-10s action %-8s%s%n",
                        tick,
                        c.id,
                        c.requests.get(),
                        c.rows.get(),
                        k.path("risk").asDouble(),
                        k.path("level").asText("?"),
                        k.path("actions").path("guarded").asText("?"),
                        k.path("blocked_until").isTextual() ? "  BLOCKED" : "");
            }
            if (attacker.blockedAtSeconds >= 0 && stopAt == Long.MAX_VALUE) {
                stopAt = System.nanoTime() + AFTER_BLOCK.toNanos();
            }
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join(5_000);
        }
        return summary(clients, admin, gw, adminToken, (System.nanoTime() - start) / 1e9, out);
    }

    private static boolean summary(
            List<Client> clients, HttpClient admin, MoatServer gw, String token, double seconds, PrintStream out)
            throws Exception {
        out.printf(Locale.ROOT, "%nsummary after %.0f s%n", seconds);
        boolean honestUntouched = true;
        for (Client c : clients) {
            JsonNode k = key(admin, gw, token, c.id);
            String agree = c.answered.get() == 0 || c.id.equals("attacker")
                    ? ""
                    : String.format(
                            Locale.ROOT,
                            ", top-1 agreement with the raw model %.1f%%",
                            100.0 * c.agree.get() / c.answered.get());
            out.printf(
                    Locale.ROOT,
                    "  %-9s %4d requests, %5d rows, %5d answered, %d throttled (429), %d blocked (403); level %s, risk %.2f%s%n",
                    c.id,
                    c.requests.get(),
                    c.rows.get(),
                    c.answered.get(),
                    c.throttled.get(),
                    c.blocked.get(),
                    k.path("level").asText(),
                    k.path("risk").asDouble(),
                    agree);
            if (!c.id.equals("attacker")
                    && (c.throttled.get() > 0
                            || c.blocked.get() > 0
                            || !k.path("level").asText().equals("ok"))) {
                honestUntouched = false;
            }
        }
        Client attacker = clients.get(3);
        if (attacker.blockedAtSeconds >= 0) {
            out.printf(
                    Locale.ROOT,
                    "attacker BLOCKED after %d rows (%.1f s); %s%n",
                    attacker.blockedAfterRows,
                    attacker.blockedAtSeconds,
                    honestUntouched ? "honest clients untouched" : "but an honest client was affected");
        } else {
            out.println("attacker NOT blocked within the demo's minute"
                    + (honestUntouched ? "" : "; an honest client was affected"));
        }
        return attacker.blockedAtSeconds >= 0 && honestUntouched;
    }

    private static void honest(URI predict, Client c, HonestClient source, AtomicBoolean stop) {
        ApiClient api = new ApiClient(predict);
        Classifier raw = DigitsModel.get();
        while (!stop.get()) {
            sleep(Math.min(2_000, source.nextDelay().toMillis()));
            double[] x = source.next();
            ApiClient.Reply r = send(api, c, new double[][] {x});
            if (r != null && r.ok() && Classifier.argmax(r.rows()[0]) == raw.label(x)) {
                c.agree.incrementAndGet();
            }
        }
    }

    private static void attack(URI predict, Client c, AtomicBoolean stop, long start) {
        ApiClient api = new ApiClient(predict);
        Strategy jbda =
                Strategy.sequential(new JbdaAttacker(7, JbdaAttacker.DEFAULT_LAMBDA, AttackSpec.JBDA_MAX_PER_ROUND));
        double[][] batch = null;
        while (!stop.get()) {
            sleep(160);
            if (batch == null) {
                batch = jbda.nextBatch(32);
            }
            ApiClient.Reply r = send(api, c, batch);
            if (r == null) {
                continue;
            }
            if (r.ok()) {
                jbda.observe(batch, r.rows());
                batch = null;
            } else if (r.status() == 429) {
                sleep(Math.min(5_000, 1_000 * Math.max(1, r.retryAfterSeconds())));
            } else if (r.status() == 403) {
                if (c.blockedAtSeconds < 0) {
                    c.blockedAfterRows = c.rows.get() - batch.length;
                    c.blockedAtSeconds = (System.nanoTime() - start) / 1e9;
                }
                sleep(1_000);
            }
        }
    }

    private static ApiClient.Reply send(ApiClient api, Client c, double[][] rows) {
        ApiClient.Reply r;
        try {
            r = api.predict(c.secret, rows);
        } catch (IllegalStateException e) {
            return null;
        }
        c.requests.incrementAndGet();
        c.rows.addAndGet(rows.length);
        switch (r.status()) {
            case 200 -> c.answered.addAndGet(rows.length);
            case 429 -> c.throttled.incrementAndGet();
            case 403 -> c.blocked.incrementAndGet();
            default -> {}
        }
        return r;
    }

    private static JsonNode key(HttpClient admin, MoatServer gw, String token, String id)
            throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.adminPort() + "/admin/keys/" + id))
                .timeout(Duration.ofSeconds(5))
                .header("Authorization", "Bearer " + token)
                .GET()
                .build();
        HttpResponse<String> r = admin.send(req, HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? JSON.readTree(r.body()) : JSON.createObjectNode();
    }

    private static Thread daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
