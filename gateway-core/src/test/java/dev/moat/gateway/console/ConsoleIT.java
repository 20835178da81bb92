package dev.moat.gateway.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.moat.fixtures.server.ModelServerExtension;
import dev.moat.fixtures.traffic.HonestClient;
import dev.moat.fixtures.traffic.RandomAttacker;
import dev.moat.gateway.Gateway;
import java.io.File;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The security console in a real browser (Debian's chromium driven by chromium-driver through
 * Selenium): a gateway blocks an attacker, the operator logs in with the admin token, sees the
 * attacker first with its detectors' reasons, the chart and the audit events, unblocks it after
 * confirming, and sees the change. Then the same by keyboard only, and at 1280x800 and 390x844.
 * Screenshots go to {@code target/console-*.png}. In CI ({@code MOAT_REQUIRE_CHROMIUM}, set by
 * {@code .ci/run}) a missing browser fails the test instead of skipping it.
 */
class ConsoleIT {

    @RegisterExtension
    static final ModelServerExtension upstream = new ModelServerExtension();

    static final ObjectMapper JSON = new ObjectMapper();
    static final File CHROMIUM = new File("/usr/bin/chromium");
    static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
    static final int HONEST = 6;

    static Gateway gw;
    static ChromeDriver browser;

    @BeforeAll
    static void start() throws Exception {
        boolean present = CHROMIUM.canExecute() && CHROMEDRIVER.canExecute();
        if (System.getenv("MOAT_REQUIRE_CHROMIUM") != null) {
            assertThat(present)
                    .as("chromium and chromium-driver are required here (.ci/run installs them)")
                    .isTrue();
        }
        assumeTrue(present, "chromium/chromium-driver not installed (.ci/run installs them)");
        String keys = Gateway.keyEntries("honest-", "honest-secret-", HONEST, null);
        gw = Gateway.start(Gateway.common("\"1000000/1m\"", keys) + Gateway.GUARDED_DIGITS, upstream.baseUri());
        driveTheAttackerUntilBlocked();
        ChromeOptions options = new ChromeOptions()
                .setBinary(CHROMIUM)
                .addArguments(
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--no-first-run",
                        "--window-size=1280,800");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER)
                .usingAnyFreePort()
                .build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (gw != null) {
            gw.close();
        }
    }

    static void driveTheAttackerUntilBlocked() throws Exception {
        HonestClient[] honest = new HonestClient[HONEST];
        for (int k = 0; k < HONEST; k++) {
            honest[k] = k == 0 ? HonestClient.heavy(100 + k) : new HonestClient(100 + k);
        }
        RandomAttacker thief = new RandomAttacker(4);
        for (int q = 0; q < 3000; q += 10) {
            for (int k = 0; k < HONEST; k++) {
                int n = k == 0 ? 10 : 2;
                double[][] hx = new double[n][];
                for (int i = 0; i < n; i++) {
                    hx[i] = honest[k].next();
                }
                gw.post("/v1/models/digits:predict", "honest-secret-" + k, body(hx));
            }
            double[][] ax = new double[10][];
            for (int i = 0; i < 10; i++) {
                ax[i] = thief.next();
            }
            int status = gw.post("/v1/models/digits:predict", Gateway.ALICE, body(ax))
                    .statusCode();
            if (status == 403) {
                return;
            }
            gw.advance(Duration.ofSeconds(status == 429 ? 15 : 2));
            gw.server.defences().engine().awaitIdle(Duration.ofSeconds(5));
        }
        throw new AssertionError("the attacker was not blocked within 3,000 queries");
    }

    static String body(double[][] xs) throws Exception {
        return "{\"instances\": " + JSON.writeValueAsString(xs) + "}";
    }

    String consoleUrl() {
        return gw.admin("/console").toString();
    }

    /** A wait that retries when the console re-renders a row between finding an element and reading it. */
    WebDriverWait waitUpTo(int seconds) {
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(seconds));
        wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
        return wait;
    }

    void logIn() {
        browser.get(consoleUrl());
        browser.executeScript("sessionStorage.clear()");
        browser.navigate().refresh();
        WebElement token = waitUpTo(20).until(ExpectedConditions.elementToBeClickable(By.id("token")));
        token.sendKeys(Gateway.ADMIN_TOKEN);
        token.sendKeys(Keys.ENTER);
        waitUpTo(20).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#key-rows tr")));
    }

    static Path screenshot(String name) throws Exception {
        Path target = Path.of("target", name);
        Files.createDirectories(target.getParent());
        Files.copy(
                ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath(),
                target,
                StandardCopyOption.REPLACE_EXISTING);
        return target;
    }

    @Test
    void anOperatorSeesTheAttackerFirstWithItsReasonAndUnblocksIt() throws Exception {
        browser.manage().window().setSize(new Dimension(1280, 800));
        logIn();
        WebElement first = browser.findElement(By.cssSelector("#key-rows tr"));
        assertThat(first.getAttribute("data-key")).isEqualTo("alice");
        assertThat(first.getText()).contains("extracting");
        assertThat(first.findElement(By.cssSelector("td.blocked")).getText()).isNotEqualTo("–");
        // the riskiest key opens at once: its detectors' reasons, the chart, what Moat did
        waitUpTo(20).until(ExpectedConditions.textToBePresentInElementLocated(By.id("detail-title"), "Key alice"));
        waitUpTo(20)
                .until(d -> !d.findElements(By.cssSelector("#event-rows tr")).isEmpty()
                        && d.findElement(By.id("event-rows")).getText().contains("block"));
        List<WebElement> detectors = browser.findElements(By.cssSelector("#detector-rows tr"));
        assertThat(detectors).isNotEmpty();
        String topDetector = detectors.get(0).getText();
        assertThat(topDetector).matches("(?s)\\w+ (0\\.\\d\\d|1\\.00) .+"); // name, score, a reason
        assertThat(browser.findElement(By.id("event-rows")).getText())
                .contains("level_change")
                .contains("action");
        assertThat(browser.findElements(By.cssSelector("#chart svg polyline"))).hasSize(1);
        assertThat(browser.findElement(By.id("detail-summary")).getText()).contains("blocked until");
        Path shot = screenshot("console-1280x800.png");
        assertThat(Files.size(shot)).isGreaterThan(10_000);
        browser.manage().window().setSize(new Dimension(1280, 1500)); // the whole page, for docs/console.png
        screenshot("console-full.png");
        browser.manage().window().setSize(new Dimension(1280, 800));

        browser.findElement(By.cssSelector("#detail button[data-action=unblock]"))
                .click();
        WebElement dialog = browser.findElement(By.id("confirm"));
        waitUpTo(10).until(ExpectedConditions.visibilityOf(dialog));
        assertThat(dialog.getText())
                .contains("Lift the block on key alice")
                .as("an unblock is no reset: the detectors' evidence stays")
                .contains("its next query blocks it again", "To clear a key wrongly flagged, reset it");
        assertThat(gw.server.defences().blockedUntil("alice"))
                .as("nothing happens before confirming")
                .isPositive();
        browser.findElement(By.id("confirm-ok")).click();
        waitUpTo(20).until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "unblock done"));
        waitUpTo(20)
                .until(d -> d.findElement(By.cssSelector("#key-rows tr[data-key=alice] td:nth-child(4)"))
                        .getText()
                        .equals("–"));
        assertThat(gw.server.defences().blockedUntil("alice")).isZero();
        waitUpTo(20).until(d -> d.findElement(By.id("event-rows")).getText().contains("unblock"));
        screenshot("console-after-unblock.png");
    }

    /**
     * A risk shared for a key above this instance's own (another instance holds the key's evidence,
     * or its tenant's risk is higher) is shown with the action the ladder takes at it: the console
     * of an instance that holds none of the evidence said "risk 0.00, level ok, action none".
     */
    @Test
    void aSharedRiskAboveThisInstancesIsShownWithTheActionTakenAtIt() throws Exception {
        gw.server
                .stateStore()
                .putRisk("bob", new dev.moat.gateway.state.StateStore.Risk(0.9, System.currentTimeMillis()), 3_600_000)
                .toCompletableFuture()
                .get();
        browser.manage().window().setSize(new Dimension(1280, 800));
        logIn();
        waitUpTo(20).until(ExpectedConditions.elementToBeClickable(By.cssSelector("#key-rows tr[data-key=bob]")));
        browser.findElement(By.cssSelector("#key-rows tr[data-key=bob] button.key"))
                .click();
        waitUpTo(20).until(ExpectedConditions.textToBePresentInElementLocated(By.id("detail-title"), "Key bob"));
        assertThat(browser.findElement(By.id("detail-summary")).getText())
                .containsPattern("risk 0\\.00, level ok, shared risk 0\\.[89]\\d \\(another instance's evidence")
                .containsPattern("ladder action now: \\w+: throttle");
        // and the key's history says so too (it judged this instance's own risk alone: "none")
        assertThat(gw.adminCall("GET", "/admin/keys/bob/history", Gateway.ADMIN_TOKEN)
                        .body())
                .containsPattern("\"now\":\\{[^}]*\"action\":\"throttle\"");
    }

    /**
     * A key an operator blocked while it was quiet (risk 0) is on the console however many quiet keys
     * there are. The console fetched the 1,000 riskiest keys and filtered them itself: behind a
     * thousand keys at risk 0 with ids before its own, the blocked key was cut off the page and
     * missing from the list. The gateway now filters before it cuts ({@code flagged=true}).
     */
    @Test
    void aBlockedQuietKeyIsListedBehindAThousandQuietKeys() throws Exception {
        for (int i = 0; i < 1001; i++) {
            var created = gw.adminCall(
                    "POST",
                    "/admin/keys",
                    Gateway.ADMIN_TOKEN,
                    "{\"id\": \"quiet-" + String.format("%04d", i) + "\", \"tier\": \"free\"}");
            assertThat(created.statusCode()).as(created.body()).isIn(201, 409);
        }
        var made = gw.adminCall(
                "POST", "/admin/keys", Gateway.ADMIN_TOKEN, "{\"id\": \"zz-quiet-blocked\", \"tier\": \"free\"}");
        assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
        try {
            var blocked = gw.adminCall(
                    "POST",
                    "/admin/keys/zz-quiet-blocked/block",
                    Gateway.ADMIN_TOKEN,
                    "{\"for\": \"1h\", \"reason\": \"console test\"}");
            assertThat(blocked.statusCode()).as(blocked.body()).isEqualTo(200);
            browser.manage().window().setSize(new Dimension(1280, 800));
            logIn();
            waitUpTo(20)
                    .until(ExpectedConditions.presenceOfElementLocated(
                            By.cssSelector("#key-rows tr[data-key=zz-quiet-blocked]")));
            assertThat(browser.findElements(By.cssSelector("#key-rows tr[data-key^=quiet-]")))
                    .as("quiet keys are not listed")
                    .isEmpty();
            assertThat(browser.findElement(By.id("more-keys")).isDisplayed())
                    .as("fewer than 1,000 keys are flagged")
                    .isFalse();
        } finally {
            gw.adminCall("DELETE", "/admin/keys/zz-quiet-blocked", Gateway.ADMIN_TOKEN);
        }
    }

    @Test
    void theConsoleWorksWithTheKeyboardAlone() throws Exception {
        browser.manage().window().setSize(new Dimension(1280, 800));
        browser.get(consoleUrl());
        browser.executeScript("sessionStorage.clear()");
        browser.navigate().refresh();
        waitUpTo(20).until(ExpectedConditions.elementToBeClickable(By.id("token")));
        // the token field has the focus when the page opens: type and press Enter
        active().sendKeys(Gateway.ADMIN_TOKEN + Keys.ENTER);
        waitUpTo(20).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#key-rows tr")));
        tabUntil(e -> "Show key alice".equals(e.getAttribute("aria-label")));
        active().sendKeys(Keys.ENTER);
        waitUpTo(20).until(ExpectedConditions.textToBePresentInElementLocated(By.id("detail-title"), "Key alice"));
        tabUntil(e -> "reset".equals(e.getAttribute("data-action")));
        active().sendKeys(Keys.ENTER);
        WebElement dialog = browser.findElement(By.id("confirm"));
        waitUpTo(10).until(ExpectedConditions.visibilityOf(dialog));
        assertThat(active().getAttribute("id"))
                .as("focus moves into the dialog")
                .isEqualTo("confirm-cancel");
        active().sendKeys(Keys.ESCAPE);
        waitUpTo(10).until(ExpectedConditions.invisibilityOf(dialog));
        assertThat(gw.server.defences().engine().verdict("alice").risk())
                .as("Escape cancels: nothing was reset")
                .isPositive();
    }

    @Test
    void thePageFitsLaptopAndPhoneViewports() throws Exception {
        logIn();
        for (Dimension size : new Dimension[] {new Dimension(1280, 800), new Dimension(390, 844)}) {
            browser.manage().window().setSize(size);
            waitUpTo(20).until(ExpectedConditions.textToBePresentInElementLocated(By.id("detail-title"), "Key"));
            long overflow = (Long) ((JavascriptExecutor) browser)
                    .executeScript("return document.documentElement.scrollWidth - window.innerWidth;");
            assertThat(overflow).as("horizontal overflow at " + size).isLessThanOrEqualTo(0);
            for (String action : new String[] {"unblock", "reset", "block", "revoke"}) {
                WebElement b = browser.findElement(By.cssSelector("#detail button[data-action=" + action + "]"));
                assertThat(b.isDisplayed()).as(action + " at " + size).isTrue();
                assertThat(b.getRect().getX() + b.getRect().getWidth())
                        .as(action + " inside the viewport at " + size)
                        .isLessThanOrEqualTo(size.getWidth());
            }
            screenshot("console-" + size.getWidth() + "x" + size.getHeight() + "-layout.png");
        }
    }

    @Test
    void theConsoleIsServedWithAStrictPolicyAndNoInlineCode() throws Exception {
        HttpResponse<String> page = gw.http.send(
                HttpRequest.newBuilder(gw.admin("/console")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        String csp = page.headers().firstValue("content-security-policy").orElseThrow();
        assertThat(csp)
                .contains("default-src 'none'")
                .contains("script-src 'self'")
                .doesNotContain("unsafe-inline")
                .doesNotContain("unsafe-eval")
                .doesNotContain("http");
        assertThat(page.headers().firstValue("x-content-type-options")).hasValue("nosniff");
        assertThat(page.body())
                .doesNotContainPattern("<script(?![^>]*\\bsrc=)")
                .doesNotContainPattern("\\son[a-z]+=")
                .doesNotContain("style=")
                .doesNotContain("//cdn")
                .doesNotContain("https://");
        assertThat(gw.adminCall("POST", "/console", null).statusCode()).isEqualTo(405);
        assertThat(gw.adminCall("GET", "/console/nope.js", null).statusCode()).isEqualTo(404);
        // the page holds nothing: the data needs the token
        assertThat(gw.adminCall("GET", "/admin/keys/alice/history", null).statusCode())
                .isEqualTo(401);
        try (InputStream js = ConsoleAssets.class.getResourceAsStream("/console/console.js")) {
            String code = new String(js.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(code)
                    .contains("sessionStorage")
                    .doesNotContain("localStorage")
                    .doesNotContain("eval(");
        }
    }

    WebElement active() {
        return browser.switchTo().activeElement();
    }

    void tabUntil(java.util.function.Predicate<WebElement> target) {
        for (int i = 0; i < 40; i++) {
            if (target.test(active())) {
                return;
            }
            active().sendKeys(Keys.TAB);
        }
        throw new AssertionError("not reachable with Tab");
    }
}
