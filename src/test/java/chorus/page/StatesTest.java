package chorus.page;

import static chorus.support.Pages.texts;
import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import chorus.support.ApiClient;
import chorus.support.Pages;
import chorus.support.TestServer;
import chorus.support.WsClient;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** What the page says about its connection and its log, in real Chromium. */
class StatesTest extends ChromiumTest {
    @Test
    void aBannedPersonIsToldSoAndNotShownReconnectingForever() throws Exception {
        server = new TestServer(Map.of("API_TOKEN", ApiClient.TOKEN));
        Page page = browser.newPage();
        AtomicReference<String> session = new AtomicReference<>();
        page.onWebSocket(ws -> ws.onFrameReceived(frame -> {
            if (frame.text().contains("\"welcome\"")) session.set(readSession(frame.text()));
        }));
        Pages.open(page, server.port(), "ann", "banned");
        assertEquals(202, ApiClient.call(server, "DELETE", "/api/sessions/" + session.get() + "?ban=60", null, ApiClient.TOKEN)
                .statusCode());
        assertThat(page.locator("body")).hasAttribute("data-state", "disconnected");
        page.locator("#rejoin").click();
        assertThat(page.locator("body")).hasAttribute("data-state", "banned");
        assertThat(page.locator("#state")).hasText("refused for a while");
        assertThat(page.locator("#notice")).containsText("An operator refused you here for a while");
        assertThat(page.locator("#rejoin")).isVisible();
    }

    @Test
    void scrolledUpANewMessageShowsACueThatTakesYouDown() throws Exception {
        server = new TestServer();
        Page page = browser.newPage(new Browser.NewContextOptions().setViewportSize(800, 400));
        Pages.open(page, server.port(), "ann", "cue");
        try (WsClient bob = WsClient.connect(URI.create(server.ws() + "?room=cue&name=bob"))) {
            for (int i = 1; i <= 30; i++) bob.send("line " + i);
            assertThat(texts(page)).hasCount(30);
            assertThat(page.locator("#below")).isHidden();
            page.evaluate("document.querySelector('main').scrollTop = 0");
            page.waitForFunction("document.querySelector('main').scrollTop === 0");
            bob.send("while you read above");
            assertThat(page.locator("#below")).isVisible();
            assertThat(texts(page).last()).not().isInViewport();
            page.locator("#below").click();
            assertThat(texts(page).last()).isInViewport();
            assertThat(page.locator("#below")).isHidden();
        }
    }

    @Test
    void theStatusDotIsDrawnAndNoPartOfTheStatusName() {
        server = new TestServer();
        Page page = Pages.open(browser.newPage(), server.port(), "ann", "dot");
        assertEquals("\"\"", page.evaluate("getComputedStyle(document.getElementById('state'), '::before').content"));
        assertThat(page.locator("#state")).hasText("connected");
    }

    private static String readSession(String welcome) {
        try {
            return new ObjectMapper().readTree(welcome).get("session").asText();
        } catch (Exception e) {
            throw new AssertionError(welcome, e);
        }
    }
}
