package chorus.page;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.Browser;
import chorus.support.TestServer;
import com.microsoft.playwright.Page;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The page in real Chromium, as people use it. */
class PageTest {
    private static Browser browser;

    @BeforeAll
    static void launch() {
        browser = new Browser();
    }

    @AfterAll
    static void quit() {
        browser.close();
    }

    private static Page open(TestServer server) {
        Page page = browser.newPage();
        page.navigate("http://127.0.0.1:" + server.port() + "/");
        assertThat(page.locator("body")).hasAttribute("data-state", "connected");
        return page;
    }

    private static void say(Page page, String text) {
        page.locator("#text").fill(text);
        page.locator("#text").press("Enter");
    }

    @Test
    void textTypedInOneTabAppearsInBothAsTextNeverAsHtml() {
        try (TestServer server = new TestServer()) {
            Page first = open(server);
            Page second = open(server);
            AtomicInteger dialogs = new AtomicInteger();
            first.onDialog(d -> dialogs.incrementAndGet());
            second.onDialog(d -> dialogs.incrementAndGet());

            say(first, "hello from the first tab");
            assertThat(first.locator("#log li").last()).hasText("hello from the first tab");
            assertThat(second.locator("#log li").last()).hasText("hello from the first tab");

            String attack = "<img src=x onerror=alert(1)>";
            say(second, attack);
            for (Page page : new Page[] {first, second}) {
                assertThat(page.locator("#log li").last()).hasText(attack);
                assertEquals(0, page.locator("#log img").count(), "the message became markup");
            }
            first.waitForTimeout(300); // give a would-be onerror handler its chance to run
            assertEquals(0, dialogs.get(), "a message ran script");
        }
    }

    @Test
    void aRestartedServerIsRejoinedWithoutReload() {
        TestServer server = new TestServer();
        int port = server.port();
        Page page = open(server);
        page.evaluate("window.marker = 'same page'");

        server.close();
        assertThat(page.locator("body")).hasAttribute("data-state", "reconnecting");
        assertThat(page.locator("#state")).hasText("reconnecting");

        try (TestServer again = new TestServer(Map.of("PORT", String.valueOf(port)))) {
            assertThat(page.locator("body")).hasAttribute("data-state", "connected");
            assertEquals("same page", page.evaluate("window.marker"), "the page was reloaded");
            say(page, "back again");
            assertThat(page.locator("#log li").last()).hasText("back again");
            assertTrue(again.server().hub().size() >= 1);
        }
    }
}
