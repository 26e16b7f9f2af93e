package chorus.page;

import static chorus.support.Pages.connected;
import static chorus.support.Pages.pending;
import static chorus.support.Pages.say;
import static chorus.support.Pages.texts;
import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import chorus.support.JsonClient;
import chorus.support.Pages;
import chorus.support.RedisServer;
import chorus.support.Relay;
import chorus.support.TestServer;
import chorus.support.WsClient;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.WebSocketRoute;
import com.microsoft.playwright.assertions.LocatorAssertions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Nothing typed is lost or shown twice: the page's outbox, in real Chromium. */
class OutboxTest extends ChromiumTest {

    private WsClient listener(String room) {
        return WsClient.connect(URI.create(server.ws() + "?room=" + room + "&name=bob"));
    }

    @Test
    void aMessageSentWhileDisconnectedWaitsVisiblyAndIsDeliveredOnceEverywhere() throws Exception {
        server = new TestServer();
        Page page = browser.newPage();
        Line line = Line.on(page);
        Pages.open(page, server.port(), "ann", "offline");
        try (WsClient bob = listener("offline")) {
            line.cut();
            assertThat(page.locator("body")).hasAttribute("data-state", "reconnecting");
            say(page, "sent while away");
            assertThat(pending(page)).hasCount(1);
            assertThat(pending(page)).containsText("sent while away");
            assertThat(page.locator("#text")).hasValue("");
            assertNull(bob.poll(Duration.ofMillis(300)), "nothing reaches the room while disconnected");

            line.restore();
            connected(page);
            assertEquals("sent while away", bob.next());
            assertThat(pending(page)).hasCount(0);
            assertThat(texts(page)).hasText(new String[] {"sent while away"});
            assertNull(bob.poll(Duration.ofMillis(500)), "delivered twice");
        }
    }

    @Test
    void aReloadKeepsAnUnsentMessagePending() throws Exception {
        server = new TestServer();
        try (Relay relay = new Relay(server.port()); WsClient bob = listener("reload")) {
            Page page = Pages.open(browser.newPage(), relay.port(), "ann", "reload");
            relay.refuse(true); // the page still loads; its socket cannot connect
            relay.cutAll();
            assertThat(page.locator("body")).hasAttribute("data-state", "reconnecting");
            say(page, "typed before the reload");
            assertThat(pending(page)).hasCount(1);
            page.reload();
            assertThat(pending(page)).containsText("typed before the reload");

            relay.refuse(false);
            connected(page);
            assertEquals("typed before the reload", bob.next());
            assertThat(pending(page)).hasCount(0);
            assertThat(texts(page)).hasText(new String[] {"typed before the reload"});
            page.reload();
            connected(page);
            assertThat(texts(page)).hasText(new String[] {"typed before the reload"});
            assertNull(bob.poll(Duration.ofMillis(500)), "delivered twice");
            browser.closePages(); // while the relay still answers
        }
    }

    @Test
    void sendsFasterThanTheLimitArePacedAndArriveInOrderWithoutARefusal() throws Exception {
        server = new TestServer(Map.of("RATE_LIMIT_PER_SECOND", "2", "RATE_LIMIT_BURST", "4"));
        Page page = Pages.open(browser.newPage(), server.port(), "ann", "busy");
        try (WsClient bob = listener("busy")) {
            // Six sends at once, as fast as a person cannot type: the budget lets four through at once.
            page.evaluate("""
                    for (const text of ['one', 'two', 'three', 'four', 'five', 'six']) {
                      document.getElementById('text').value = text;
                      document.getElementById('composer').requestSubmit();
                    }""");
            for (String text : List.of("one", "two", "three", "four", "five", "six")) assertEquals(text, bob.next());
            assertThat(pending(page)).hasCount(0);
            assertThat(texts(page)).hasText(new String[] {"one", "two", "three", "four", "five", "six"});
            assertThat(page.locator("#log li.refused")).hasCount(0);
            assertEquals("", page.locator("#notice").textContent(), "the page's own outbox was refused");
            assertNull(bob.poll(Duration.ofMillis(500)), "delivered twice");
        }
    }

    /** The recipe: 100 messages typed while the server was away. */
    @Test
    void aHundredMessagesTypedOfflineArriveOnceEachInOrderWhenTheServerIsBack() throws Exception {
        server = new TestServer();
        Page page = browser.newPage();
        Line line = Line.on(page);
        Pages.open(page, server.port(), "ann", "backlog");
        try (WsClient bob = listener("backlog")) {
            line.cut();
            assertThat(page.locator("body")).hasAttribute("data-state", "reconnecting");
            page.evaluate("""
                    for (let i = 1; i <= 100; i++) {
                      document.getElementById('text').value = 'typed ' + i;
                      document.getElementById('composer').requestSubmit();
                    }""");
            assertThat(pending(page)).hasCount(100);
            line.restore();
            // Waited for through Playwright: it relays the line's frames only while the test calls it.
            assertThat(pending(page)).hasCount(0, new LocatorAssertions.HasCountOptions().setTimeout(45_000));
            for (int i = 1; i <= 100; i++) assertEquals("typed " + i, bob.next());
            assertThat(page.locator("#log li.refused")).hasCount(0);
            assertEquals("", page.locator("#notice").textContent(), "the page's own outbox was refused");
            assertNull(bob.poll(Duration.ofMillis(500)), "delivered twice");
        }
    }

    @Test
    void aPasteLongerThanTheServersLimitIsKeptWholeAndNotSent() throws Exception {
        server = new TestServer();
        Page page = Pages.open(browser.newPage(), server.port(), "ann", "long");
        try (WsClient bob = listener("long")) {
            String big = "x".repeat(20_000);
            page.locator("#text").fill(big);
            assertEquals(20_000, page.locator("#text").inputValue().length(), "the paste was cut");
            assertThat(page.locator("#counter")).containsText("Too long by 3,616 bytes");
            page.locator("#text").press("Enter");
            assertThat(page.locator("#notice")).containsText("too long");
            assertEquals(20_000, page.locator("#text").inputValue().length(), "the text left the box");
            assertNull(bob.poll(Duration.ofMillis(300)), "it was sent");
            page.locator("#text").fill("x".repeat(16_384 - 10));
            assertThat(page.locator("#counter")).hasText("10 bytes left");
        }
    }

    @Test
    void aPendingMessageIsShownOnceAfterTheNextInstanceTakesOver() throws Exception {
        try (RedisServer redis = new RedisServer();
                TestServer a = new TestServer(Map.of("REDIS_URL", redis.url()));
                TestServer b = new TestServer(Map.of("REDIS_URL", redis.url()));
                Relay relay = new Relay(a.port());
                JsonClient bob = JsonClient.connect(a, "room=across&name=bob")) {
            Page page = Pages.open(browser.newPage(), relay.port(), "ann", "across");
            // The server takes the message, but its answer never reaches the page.
            relay.deaf(true);
            say(page, "heard, never confirmed");
            assertEquals("heard, never confirmed", bob.next("message").get("text").asText());
            assertThat(pending(page)).hasCount(1);
            // Then the instance is gone; the next one is where the load balancer sends the page.
            relay.refuse(true);
            relay.cutAll();
            relay.deaf(false);
            assertThat(page.locator("body")).hasAttribute("data-state", "reconnecting");
            say(page, "typed while away");
            assertThat(pending(page)).hasCount(2);
            relay.target(b.port());
            relay.refuse(false);
            connected(page);
            assertEquals("typed while away", bob.next("message").get("text").asText());
            assertThat(pending(page)).hasCount(0);
            assertThat(texts(page)).hasText(new String[] {"heard, never confirmed", "typed while away"});
            bob.assertNoMessage(Duration.ofMillis(500));
            browser.closePages(); // while the relay still answers
        }
    }

    @Test
    void aMessageInFlightWhenLeavingItsRoomIsShownOnceWhenComingBackAndSentOnce() throws Exception {
        server = new TestServer();
        Page page = browser.newPage();
        // A slow server: its "sent" answers are held back until the page has changed room.
        AtomicBoolean holding = new AtomicBoolean(true);
        List<Runnable> held = new CopyOnWriteArrayList<>();
        page.routeWebSocket(Pattern.compile(".*/ws\\?.*"), route -> {
            WebSocketRoute toServer = route.connectToServer();
            toServer.onMessage(frame -> {
                String text = frame.text();
                if (holding.get() && text.contains("\"type\":\"sent\"")) held.add(() -> route.send(text));
                else route.send(text);
            });
        });
        Pages.open(page, server.port(), "ann", "first");
        try (WsClient bob = listener("first")) {
            say(page, "in flight");
            assertEquals("in flight", bob.next());
            page.evaluate("location.hash = '#second'");
            assertThat(page.locator("#room-name")).hasText("second");
            connected(page);
            holding.set(false);
            held.forEach(Runnable::run); // the answer arrives, late, on the socket of the room left
            page.evaluate("location.hash = '#first'");
            assertThat(page.locator("#room-name")).hasText("first");
            connected(page);
            assertThat(texts(page)).hasText(new String[] {"in flight"});
            assertThat(pending(page)).hasCount(0);
            assertNull(bob.poll(Duration.ofMillis(500)), "sent again");
        }
    }

    @Test
    void goingOfflineIsShownAtOnceAndWhatIsTypedMeanwhileGoesOnceBackOnline() throws Exception {
        server = new TestServer();
        Page page = Pages.open(browser.newPage(), server.port(), "ann", "network");
        try (WsClient bob = listener("network")) {
            page.context().setOffline(true);
            assertThat(page.locator("body")).hasAttribute("data-state", "offline");
            assertThat(page.locator("#state")).hasText("offline: waiting for the network…");
            say(page, "typed offline");
            assertThat(pending(page)).hasCount(1);
            page.context().setOffline(false);
            connected(page);
            assertEquals("typed offline", bob.next());
            assertThat(pending(page)).hasCount(0);
            assertNull(bob.poll(Duration.ofMillis(500)), "delivered twice");
        }
    }
}
