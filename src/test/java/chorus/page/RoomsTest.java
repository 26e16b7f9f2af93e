package chorus.page;

import static chorus.support.Pages.connected;
import static chorus.support.Pages.say;
import static chorus.support.Pages.texts;
import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import chorus.support.JsonClient;
import chorus.support.Jwts;
import chorus.support.Pages;
import chorus.support.TestServer;
import com.microsoft.playwright.Page;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The page follows many rooms on one socket (#30), in real Chromium. */
class RoomsTest extends ChromiumTest {
    /** #30 item 5: a page of an origin the server does not allow hears why, instead of reconnecting for ever. */
    @Test
    void aLibraryOnAPageOfAnOriginNotAllowedStopsAndSaysWhy() throws Exception {
        server = new TestServer(Map.of());
        String chorus = "127.0.0.1:" + server.port();
        HttpServer app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        app.createContext("/", exchange -> {
            byte[] body = ("""
                    <!doctype html><meta charset="utf-8"><title>widget</title>
                    <script type="module">
                      import { Chorus } from "http://%s/chorus-client.js";
                      const chorus = new Chorus({ url: "ws://%s/ws" });
                      chorus.on("state", ({ state, reason, message }) => {
                        document.body.dataset.state = state;
                        document.body.dataset.reason = reason ?? "";
                        document.body.dataset.message = message ?? "";
                      });
                      chorus.room("lobby");
                      chorus.connect();
                    </script>""").formatted(chorus, chorus).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        app.start();
        try {
            Page page = browser.newPage();
            page.navigate("http://127.0.0.1:" + app.getAddress().getPort() + "/");
            assertThat(page.locator("body")).hasAttribute("data-state", "stopped");
            assertThat(page.locator("body")).hasAttribute("data-reason", "refused");
            assertThat(page.locator("body")).hasAttribute("data-message", java.util.regex.Pattern.compile("origin not allowed"));
        } finally {
            app.stop(0);
        }
    }

    @Test
    void aRoomThatReceivedMessagesWhileAnotherWasOpenShowsAnUnreadCountAndEverythingIsOnOneSocket() {
        server = new TestServer(Map.of());
        Page page = browser.newPage();
        int[] sockets = {0};
        page.onWebSocket(ws -> sockets[0]++);
        Pages.open(page, server.port(), "ann", "first");
        page.evaluate("location.hash = '#second'");
        assertThat(page.locator("#rooms a")).hasText(new String[] {"#first", "#second"});
        assertThat(page.locator("#rooms a[aria-current=page]")).hasText("#second");
        try (JsonClient bob = JsonClient.connect(server, "room=first&name=bob")) {
            bob.send("one");
            bob.send("two");
            bob.messages(2); // his own
            assertThat(page.locator("#rooms .unread")).hasText("2");
            assertThat(page.locator("#rooms .unread")).hasAttribute("aria-label", "2 unread");
            page.locator("#rooms a", new Page.LocatorOptions().setHasText("#first")).click();
            assertThat(texts(page)).hasText(new String[] {"one", "two"});
            assertThat(page.locator("#rooms .unread")).hasCount(0);
            assertThat(page.locator("#online li")).hasText(new String[] {"ann (you)", "bob"});
            say(page, "back in first");
            assertEquals("back in first", bob.next("message").get("text").asText());
            // Leaving a room: the list loses it, and its messages no longer count.
            page.locator("#rooms button[aria-label='Leave #second']").click();
            assertThat(page.locator("#rooms a")).hasText(new String[] {"#first"});
        }
        assertEquals(1, sockets[0], "one socket for every room");
    }

    @Test
    void someoneTypingIsShownForAFewSecondsAndNeverStored() {
        server = new TestServer(Map.of());
        Page page = Pages.open(browser.newPage(), server.port(), "ann", "typing");
        try (JsonClient bob = JsonClient.connect(server, "room=typing&name=bob")) {
            bob.socket().send("{\"type\":\"typing\",\"room\":\"typing\"}");
            assertThat(page.locator("#typing")).hasText("bob is typing…");
            assertThat(page.locator("#typing")).hasText("", new com.microsoft.playwright.assertions.LocatorAssertions.HasTextOptions()
                    .setTimeout(8000));
            assertEquals("bob", bob.next("typing").get("name").asText(), "his own comes back to him too");
            page.locator("#text").pressSequentially("hel");
            assertEquals("ann", bob.next("typing").get("name").asText(), "the page says when its person types");
        }
    }

    @Test
    void twoVerifiedUsersWhoShareANameAreToldApartAndARefusedPageCannotQueueMessages() {
        server = new TestServer(Map.of("TOKEN_SECRET", Jwts.SECRET));
        String token = Jwts.hs256(Jwts.user("u-17", "Ann", null));
        Page page = browser.newPage();
        page.navigate("http://127.0.0.1:" + server.port() + "/#lobby&token=" + token);
        connected(page);
        try (JsonClient other = JsonClient.withToken(server, "room=lobby", Jwts.hs256(Jwts.user("u-99", "Ann", null)))) {
            assertThat(page.locator("#online li")).hasText(new String[] {"Ann ✓ (u-17) (you)", "Ann ✓ (u-99)"});
        }
        // #30 item 7: a private room without a token is refused, and the page says so and sends nothing later.
        Page refused = browser.newPage();
        refused.navigate("http://127.0.0.1:" + server.port() + "/#private-x");
        assertThat(refused.locator("body")).hasAttribute("data-state", "refused");
        assertThat(refused.locator("#send")).isDisabled();
        assertThat(refused.locator("#notice")).containsText("private");
    }
}
