package io.reactivees.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The live page at {@code /} in a real headless Chromium: it shows the accounts and their balances
 * from the event stream, and a deposit made through the API (not through the page) appears on it as
 * it happens.
 *
 * <p>It needs Debian's {@code chromium} and {@code chromium-driver} ({@code /usr/bin/chromium},
 * {@code /usr/bin/chromedriver}; {@code .ci/run} installs them) and skips, saying so, without them;
 * with {@code CI=true} it fails instead.
 * Selenium is pointed at that driver explicitly, so Selenium Manager never downloads a browser or a
 * driver; the browser runs with a fresh profile and without its background network traffic.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LivePageBrowserTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private RunningBank bank;
    private BankClient api;
    private Path profile;
    private ChromeDriverService service;
    private WebDriver browser;

    @BeforeAll
    void startBankAndBrowser() throws IOException {
        boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        String missing = "the browser test needs Chromium and its driver at " + CHROMIUM + " and " + CHROMEDRIVER
                + " (Debian: apt-get install -y chromium chromium-driver; .ci/run installs them)";
        // in CI (.ci/run installs them) a missing browser is a failure, not a silent skip
        Assertions.assertTrue(installed || !"true".equals(System.getenv("CI")), missing);
        Assumptions.assumeTrue(installed, "skipped: " + missing);
        bank = RunningBank.start(Map.of("spring.r2dbc.url", ""));
        api = new BankClient(bank.client);
        profile = Files.createTempDirectory("reactivees-chromium-");
        service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile);
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    void stopBrowserAndBank() throws IOException {
        try {
            if (browser != null) {
                browser.quit();
            }
            if (service != null) {
                service.stop();
            }
        } finally {
            if (bank != null) {
                bank.close();
            }
            if (profile != null) {
                try (Stream<Path> files = Files.walk(profile)) {
                    files.sorted((a, b) -> b.compareTo(a)).map(Path::toFile).forEach(File::delete);
                }
            }
        }
    }

    @Test
    void aDepositMadeThroughTheApiAppearsOnTheOpenPage() {
        UUID alice = api.open("alice");
        api.deposit(alice, 10);

        browser.get(bank.baseUrl + "/");
        // the stored events, replayed into the page by its EventSource
        awaitText(balance(alice), "10");
        awaitText(By.id("status"), "live");

        // live: made elsewhere while the page is open
        api.deposit(alice, 25);
        awaitText(balance(alice), "35");
        UUID bob = api.open("bob");
        api.deposit(bob, 7);
        awaitText(balance(bob), "7");
        assertEquals("bob", browser.findElement(By.cssSelector("tr[data-account='" + bob + "'] td")).getText());

        // the event list, newest first: bob's deposit, bob's opening, alice's 25, ...
        List<String> events = browser.findElements(By.cssSelector("#events li")).stream().map(WebElement::getText).toList();
        assertTrue(events.size() >= 5, "at least the five events: " + events);
        assertTrue(events.get(0).startsWith("account.deposited 7, bob"), events.get(0));
        assertTrue(events.get(1).startsWith("account.opened, bob"), events.get(1));
        assertTrue(events.get(2).startsWith("account.deposited 25, alice"), events.get(2));
        assertEquals(1, browser.findElements(By.cssSelector("tr[data-account='" + alice + "']")).size(),
                "each account once");
    }

    private static By balance(UUID account) {
        return By.cssSelector("tr[data-account='" + account + "'] td.balance");
    }

    private void awaitText(By element, String text) {
        new WebDriverWait(browser, TIMEOUT)
                .withMessage(() -> element + " to show '" + text + "'; the page shows: "
                        + browser.findElement(By.tagName("body")).getText())
                .until(driver -> driver.findElements(element).stream().anyMatch(found -> text.equals(found.getText())));
    }
}
