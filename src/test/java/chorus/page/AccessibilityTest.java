package chorus.page;

import static chorus.support.Pages.pending;
import static chorus.support.Pages.say;
import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import chorus.support.Pages;
import chorus.support.TestServer;
import chorus.support.WsClient;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.ColorScheme;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * axe-core (npm, pinned in src/test/js) injected into the page with everything a page shows on
 * screen: own and others' messages, a pending one, a day separator and a notice.
 */
class AccessibilityTest extends ChromiumTest {
    private static final Path AXE = Path.of("src", "test", "js", "node_modules", "axe-core", "axe.min.js");
    AccessibilityTest() {
        server = new TestServer();
    }

    @ParameterizedTest(name = "{0} at {1} px")
    @CsvSource({"LIGHT, 1280", "DARK, 1280", "LIGHT, 390", "DARK, 390"})
    void noViolationOfWcag21AaOrBestPractice(ColorScheme scheme, int width) throws Exception {
        Page page = browser.newPage(new com.microsoft.playwright.Browser.NewContextOptions()
                .setColorScheme(scheme).setViewportSize(width, 800).setBypassCSP(true)); // to inject axe
        Line line = Line.on(page);
        Pages.open(page, server.port(), "ann", "a11y");
        try (WsClient bob = WsClient.connect(URI.create(server.ws() + "?room=a11y&name=bob"))) {
            say(page, "my own message");
            bob.send("someone else's message");
            assertThat(page.locator("#log li[data-id] .text")).hasCount(2);
            line.cut();
            say(page, "waiting to be sent");
            assertThat(pending(page)).hasCount(1);
            page.locator("#text").fill("z".repeat(17_000));
            page.locator("#text").press("Enter");
            assertThat(page.locator("#notice")).isVisible();

            page.addScriptTag(new Page.AddScriptTagOptions().setPath(AXE));
            @SuppressWarnings("unchecked")
            List<String> violations = (List<String>) page.evaluate("""
                    async () => (await axe.run(document, {runOnly: {type: 'tag',
                        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}}))
                      .violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ') + ' ' + n.failureSummary).join(' | '))
                    """);
            assertEquals(List.of(), violations);
        }
    }
}
