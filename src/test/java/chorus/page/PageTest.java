package chorus.page;

import static chorus.support.Pages.say;
import static chorus.support.Pages.texts;
import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import chorus.support.ApiClient;
import chorus.support.JsonClient;
import chorus.support.Pages;
import chorus.support.TestServer;
import chorus.support.WsClient;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.assertions.LocatorAssertions;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The page in real Chromium, as people use it. */
class PageTest extends ChromiumTest {
    PageTest() {
        server = new TestServer();
    }

    private Page open(String name, String room) {
        return Pages.open(browser.newPage(), server.port(), name, room);
    }

    @Test
    void textTypedInOneTabAppearsInBothAsTextNeverAsHtml() {
        Page first = open("ann", null);
        Page second = open("bob", null);
        AtomicInteger dialogs = new AtomicInteger();
        first.onDialog(d -> dialogs.incrementAndGet());
        second.onDialog(d -> dialogs.incrementAndGet());

        say(first, "hello from the first tab");
        assertThat(texts(first).last()).hasText("hello from the first tab");
        assertThat(texts(second).last()).hasText("hello from the first tab");
        assertThat(first.locator("#log li").last()).hasClass(Pattern.compile("\\bown\\b"));
        assertThat(second.locator("#log li .from").last()).hasText("ann");

        String attack = "<img src=x onerror=alert(1)>";
        say(second, attack);
        for (Page page : new Page[] {first, second}) {
            assertThat(texts(page).last()).hasText(attack);
            assertEquals(0, page.locator("#log img").count(), "the message became markup");
        }
        first.waitForTimeout(300); // give a would-be onerror handler its chance to run
        assertEquals(0, dialogs.get(), "a message ran script");
    }

    @Test
    void aClosedRoomAndAnOperatorsDisconnectAreShownAndNotReconnectedAtOnce() throws Exception {
        server.close();
        server = new TestServer(Map.of("API_TOKEN", ApiClient.TOKEN));
        Page page = open("ann", "doomed");
        say(page, "hello");
        assertThat(texts(page).last()).hasText("hello");
        assertEquals(204, ApiClient.call(server, "DELETE", "/api/rooms/doomed", null, ApiClient.TOKEN).statusCode());
        assertThat(page.locator("body")).hasAttribute("data-state", "closed");
        assertThat(page.locator("#notice")).hasText("This room was closed by an operator.");
        page.waitForTimeout(1500); // longer than any reconnect delay's first step
        assertThat(page.locator("body")).hasAttribute("data-state", "closed");
        assertEquals(0, server.server().hub().size(), "the page reconnected by itself");

        page.locator("#rejoin").click();
        assertThat(page.locator("body")).hasAttribute("data-state", "connected");
        server.awaitConnections(1);
        String id = server.server().hub().members().get(0).session();
        ApiClient.call(server, "DELETE", "/api/sessions/" + id, null, ApiClient.TOKEN);
        assertThat(page.locator("body")).hasAttribute("data-state", "disconnected");
        assertThat(page.locator("#notice")).hasText("You were disconnected by an operator.");
        assertThat(page.locator("#rejoin")).isVisible();
    }

    @Test
    void aRestartedServerIsRejoinedWithoutReload() {
        int port = server.port();
        Page page = open("ann", null);
        page.evaluate("window.marker = 'same page'");

        server.close();
        assertThat(page.locator("body")).hasAttribute("data-state", "reconnecting");
        assertThat(page.locator("#state")).containsText("reconnecting");

        server = new TestServer(Map.of("PORT", String.valueOf(port)));
        assertThat(page.locator("body")).hasAttribute("data-state", "connected");
        assertEquals("same page", page.evaluate("window.marker"), "the page was reloaded");
        say(page, "back again");
        assertThat(texts(page).last()).hasText("back again");
    }

    @Test
    void roomsInTheUrlAreIsolatedBothWays() {
        Page a1 = open("a1", "alpha");
        Page a2 = open("a2", "alpha");
        Page b = open("b", "beta");
        assertThat(a1.locator("#room-name")).hasText("alpha");

        say(a1, "only alpha");
        assertThat(texts(a2).last()).hasText("only alpha");
        say(b, "only beta");
        assertThat(texts(b).last()).hasText("only beta");
        say(a2, "alpha again"); // by now "only beta" would have reached alpha if it leaked
        assertThat(texts(a1)).hasText(new String[] {"only alpha", "alpha again"});
        assertThat(texts(b)).hasText(new String[] {"only beta"});
    }

    @Test
    void aReloadShowsTheHistory() {
        Page page = open("ann", "hist");
        for (String text : List.of("one", "two", "three")) say(page, text);
        assertThat(texts(page)).hasText(new String[] {"one", "two", "three"});
        page.reload();
        assertThat(page.locator("body")).hasAttribute("data-state", "connected");
        assertThat(texts(page)).hasText(new String[] {"one", "two", "three"});
    }

    @Test
    void aCutSocketResumesWithEveryMessageExactlyOnce() throws Exception {
        Page page = browser.newPage();
        Line line = Line.on(page); // the test stands between page and server, so it can cut the page's socket at will
        page.navigate("http://127.0.0.1:" + server.port() + "/#resume");
        assertThat(page.locator("body")).hasAttribute("data-state", "connected");

        try (WsClient other = WsClient.connect(URI.create(server.ws() + "?room=resume&name=other"))) {
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 5; i++) expected.add("before " + i);
            expected.forEach(other::send);
            assertThat(texts(page)).hasCount(5);

            line.cut();
            assertThat(page.locator("body")).hasAttribute("data-state", "reconnecting");
            for (int i = 0; i < 20; i++) {
                other.send("while away " + i);
                expected.add("while away " + i);
            }
            other.next(25); // the server has taken all of them
            line.restore();

            assertThat(page.locator("body")).hasAttribute("data-state", "connected");
            other.send("after");
            expected.add("after");
            assertThat(texts(page)).hasText(expected.toArray(new String[0]));
            String resumedWith = line.urls.get(line.urls.size() - 1);
            String lastBeforeCut = (String) page.evaluate("document.querySelectorAll('#log li[data-id]')[4].dataset.id");
            assertEquals(true, resumedWith.contains("since=" + lastBeforeCut), resumedWith);
        }
    }

    @Test
    void theOnlineListUpdatesWhenATabCloses() {
        Page ann = open("ann", "who");
        Page bob = open("bob", "who");
        assertThat(ann.locator("#online li")).hasText(new String[] {"ann (you)", "bob"});
        assertThat(ann.locator("#online-count")).hasText("2");
        bob.close();
        assertThat(ann.locator("#online li")).hasText(new String[] {"ann (you)"});
        assertThat(ann.locator("#online-count")).hasText("1");
    }

    @Test
    void theLogKeepsTheNewestThousandLinesAndLetsOlderOnesGo() throws Exception {
        server.close();
        server = new TestServer(Map.of("RATE_LIMIT_PER_SECOND", "10000", "RATE_LIMIT_BURST", "10000",
                "RATE_LIMIT_PER_ADDRESS", "10000"));
        Page page = open("ann", "long");
        try (JsonClient bob = JsonClient.connect(server, "room=long&name=bob")) {
            for (int i = 1; i <= 1050; i++) bob.send("line " + i);
            // A flood: on a busy machine the page may take more than the usual five seconds.
            assertThat(texts(page).last()).hasText("line 1050", new LocatorAssertions.HasTextOptions().setTimeout(20_000));
            assertThat(page.locator("#log li")).hasCount(1000);
            assertThat(texts(page).first()).hasText("line 51");
        }
    }
}
