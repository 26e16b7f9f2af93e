package chorus.page;

import static chorus.support.Pages.connected;
import static chorus.support.Pages.pending;
import static chorus.support.Pages.say;
import static chorus.support.Pages.texts;
import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.Pages;
import chorus.support.RedisServer;
import chorus.support.TestServer;
import chorus.support.WsClient;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.BoundingBox;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The details of a real chat, in real Chromium. */
class DetailsTest extends ChromiumTest {
    DetailsTest() {
        server = new TestServer();
    }

    @Test
    void shiftEnterStartsANewLineAndTheMessageKeepsIt() throws Exception {
        Page page = Pages.open(browser.newPage(), server.port(), "ann", "lines");
        try (WsClient bob = WsClient.connect(URI.create(server.ws() + "?room=lines&name=bob"))) {
            Locator box = page.locator("#text");
            box.pressSequentially("line one");
            box.press("Shift+Enter");
            box.pressSequentially("line two");
            box.press("Enter");
            assertEquals("line one\nline two", bob.next());
            assertEquals("line one\nline two", texts(page).last().textContent());
            // Measured in one step, once nothing is pending: the line's children are replaced when
            // its message arrives, and a pending line whose message came first is removed.
            assertThat(page.locator("#log li.pending")).hasCount(0);
            double ratio = ((Number) page.locator("#log li").last().evaluate(
                    "li => li.querySelector('.text').getBoundingClientRect().height"
                            + " / li.querySelector('.from').getBoundingClientRect().height")).doubleValue();
            assertTrue(ratio > 1.5, "shown on one line: " + ratio);
        }
    }

    @Test
    void rightToLeftNamesAndTextAreIsolated() {
        Page page = Pages.open(browser.newPage(), server.port(), "مریم", "rtl");
        say(page, "سلام، hello");
        assertThat(page.locator("#log li:not(.pending) .text")).hasText(new String[] {"سلام، hello"});
        assertEquals("BDI", page.locator("#online li bdi").first().evaluate("e => e.tagName"));
        // Read in one step: the line's children are replaced when its message arrives.
        @SuppressWarnings("unchecked")
        Map<String, Object> line = (Map<String, Object>) page.locator("#log li").last().evaluate("""
                li => {
                  const from = li.querySelector('.from').getBoundingClientRect();
                  const time = li.querySelector('time').getBoundingClientRect();
                  return {tag: li.querySelector('.from').tagName, dir: li.querySelector('.text').dir,
                          nameEnd: from.x + from.width, timeStart: time.x};
                }""");
        assertEquals("BDI", line.get("tag"));
        assertEquals("auto", line.get("dir"));
        // The name sits entirely before the time, whatever its direction.
        assertTrue(((Number) line.get("nameEnd")).doubleValue() <= ((Number) line.get("timeStart")).doubleValue() + 1,
                "the time is inside or before the name: " + line);
    }

    @Test
    void messagesFromAnotherDayAreUnderThatDay() {
        Page today = Pages.open(browser.newPage(), server.port(), "ann", "days");
        say(today, "sent today");
        assertThat(today.locator("#log li.day")).hasText(new String[] {"Today"});
        Page later = browser.newPage();
        later.clock().setFixedTime(System.currentTimeMillis() + 3 * 86_400_000L);
        Pages.open(later, server.port(), "bob", "days");
        assertThat(texts(later)).hasText(new String[] {"sent today"});
        String label = later.locator("#log li.day").first().textContent();
        String expected = (String) later.evaluate("ts => new Date(ts).toLocaleDateString([], {weekday: 'long', month: 'long', day: 'numeric'})",
                (double) System.currentTimeMillis());
        assertEquals(expected, label);
    }

    @Test
    void aNoticeClearsItselfAndTheLogKeepsFollowing() throws Exception {
        Page page = browser.newPage();
        page.setViewportSize(800, 500);
        Pages.open(page, server.port(), "ann", "follow");
        try (WsClient bob = WsClient.connect(URI.create(server.ws() + "?room=follow&name=bob"))) {
            for (int i = 0; i < 40; i++) bob.send("filler " + i);
            assertThat(texts(page)).hasCount(40);
            assertThat(texts(page).last()).isInViewport();
            page.locator("#text").fill("y".repeat(17_000)); // a notice and a counter appear below the log
            page.locator("#text").press("Enter");
            assertThat(page.locator("#notice")).isVisible();
            bob.send("after the notice");
            assertThat(texts(page).last()).hasText("after the notice");
            assertThat(texts(page).last()).isInViewport();
            assertThat(page.locator("#notice")).isHidden(new com.microsoft.playwright.assertions.LocatorAssertions.IsHiddenOptions().setTimeout(9_000));
        }
    }

    @Test
    void anInvalidRoomInTheAddressIsSaidAndTheAddressShowsTheRoomJoined() {
        Page page = browser.newPage();
        page.navigate("http://127.0.0.1:" + server.port() + "/#Bad%20Room");
        connected(page);
        assertThat(page.locator("#room-name")).hasText("main");
        assertEquals("#main", page.evaluate("location.hash"));
        assertThat(page.locator("#notice")).containsText("“Bad Room” is not a room name");
    }

    @Test
    void anInvalidRoomInTheAddressLaterKeepsTheRoomYouAreIn() {
        Page page = Pages.open(browser.newPage(), server.port(), "ann", "stay");
        say(page, "still here");
        assertThat(texts(page)).hasText(new String[] {"still here"});
        page.evaluate("location.hash = 'Bad%20Room'");
        assertThat(page.locator("#notice")).containsText("“Bad Room” is not a room name");
        assertThat(page.locator("#notice")).containsText("still in #stay");
        assertEquals("#stay", page.evaluate("location.hash"));
        assertThat(page.locator("#room-name")).hasText("stay");
        assertThat(texts(page)).hasText(new String[] {"still here"});
        connected(page);
    }

    @Test
    void aLongRoomNameFitsAPhone() throws Exception {
        Page page = browser.newPage(new com.microsoft.playwright.Browser.NewContextOptions().setViewportSize(390, 844)
                .setIsMobile(true).setHasTouch(true).setDeviceScaleFactor(2));
        String room = "TheVeryLongRoomNameOfTheQuarterlyPlanningGroupForTheWholeCompany0".substring(0, 64); // no break opportunity
        assertEquals(64, room.length());
        Pages.open(page, server.port(), "ann", room);
        say(page, "hello from a phone");
        assertEquals(390.0, ((Number) page.evaluate("document.documentElement.scrollWidth")).doubleValue(), 0.5);
        BoundingBox state = page.locator("#state").boundingBox();
        assertTrue(state.x >= 0 && state.x + state.width <= 390, "the connection state is off-screen: " + state.x);
        page.screenshot(new Page.ScreenshotOptions().setPath(Path.of("target", "page-phone-long-room.png")));
    }

    @Test
    void aRestartIsToldHonestlyAndAResumedRestartNotAtAll() throws Exception {
        int port = server.port();
        Page page = Pages.open(browser.newPage(), port, "ann", "restart");
        say(page, "before the restart");
        assertThat(texts(page)).hasText(new String[] {"before the restart"});
        assertThat(pending(page)).hasCount(0); // delivered before the restart, not resent after it
        server.close();
        assertThat(page.locator("body")).hasAttribute("data-state", "reconnecting");
        server = new TestServer(Map.of("PORT", String.valueOf(port)));
        connected(page);
        assertThat(texts(page)).hasText(new String[] {"before the restart"});
        assertThat(page.locator("#log li.notice")).hasText(new String[] {
            "Chorus began this room's history again (it restarted or lost its storage): the messages above are from before."});
        server.close();

        try (RedisServer redis = new RedisServer()) {
            server = new TestServer(Map.of("PORT", String.valueOf(port), "REDIS_URL", redis.url()));
            page.reload();
            connected(page);
            say(page, "kept in Redis");
            assertThat(texts(page)).hasText(new String[] {"kept in Redis"});
            assertThat(pending(page)).hasCount(0);
            server.close();
            assertThat(page.locator("body")).hasAttribute("data-state", "reconnecting");
            server = new TestServer(Map.of("PORT", String.valueOf(port), "REDIS_URL", redis.url()));
            connected(page);
            say(page, "after the restart");
            assertThat(texts(page)).hasText(new String[] {"kept in Redis", "after the restart"});
            assertThat(page.locator("#log li.notice")).hasCount(0);
            server.close();
        }
        server = new TestServer();
    }

    @Test
    void theFaviconIsThereAndThePageLogsNoError() throws Exception {
        Page page = browser.newPage();
        List<String> errors = new CopyOnWriteArrayList<>();
        page.onConsoleMessage(m -> {
            if (m.type().equals("error")) errors.add(m.text());
        });
        page.onResponse(r -> {
            if (r.status() >= 400) errors.add(r.status() + " " + r.url());
        });
        Pages.open(page, server.port(), "ann", null);
        page.waitForTimeout(500);
        assertEquals(List.of(), errors);
        for (String path : new String[] {"/favicon.ico", "/favicon.svg"}) {
            HttpResponse<String> r = chorus.support.TestServer.HTTP.send(HttpRequest.newBuilder(server.http(path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), path);
            assertEquals("image/svg+xml", r.headers().firstValue("Content-Type").orElse(""), path);
        }
    }

    @Test
    void beingDisconnectedShowsEverywhereAndReconnectingTriesAtOnceWhenBackOnlineOrVisible() {
        Page page = browser.newPage();
        Line line = Line.on(page);
        Pages.open(page, server.port(), "ann", "state");
        assertThat(page.locator("#send")).hasText("Send");
        line.cut();
        // #30 item 7: the page cannot tell a cut line from a server away, so it says neither "offline".
        assertThat(page.locator("#state")).hasText("reconnecting…");
        assertThat(page.locator("#send")).hasText("Send later");
        assertThat(page.locator("#online-count")).hasText("–");
        assertThat(page.locator("#online")).hasText("Not connected");
        // Delays grow, but never beyond a few seconds.
        int before = line.attempts.size();
        while (line.attempts.size() < before + 4) page.waitForTimeout(50);
        for (int i = before + 1; i < line.attempts.size(); i++) {
            long gapMs = (line.attempts.get(i) - line.attempts.get(i - 1)) / 1_000_000;
            assertTrue(gapMs <= 3_500, "waited " + gapMs + " ms between attempts");
        }
        // Right after an attempt the next is 1.5 s away at least; coming online tries at once.
        int seen = line.attempts.size();
        while (line.attempts.size() == seen) page.waitForTimeout(10);
        line.restore();
        int tried = line.attempts.size();
        long online = System.nanoTime();
        page.evaluate("window.dispatchEvent(new Event('online'))");
        connected(page);
        // The try itself is what must come at once; finishing the connection may take longer on a loaded machine.
        assertTrue((line.attempts.get(tried) - online) / 1_000_000 < 1_200, "did not try at once when back online");
        assertThat(page.locator("#send")).hasText("Send");
        assertThat(page.locator("#online li.you")).hasText("ann (you)");

        // The same when the tab comes back into view.
        line.cut();
        assertThat(page.locator("#state")).hasText("reconnecting…");
        while (line.attempts.size() < seen + 3) page.waitForTimeout(50);
        int now = line.attempts.size();
        while (line.attempts.size() == now) page.waitForTimeout(10);
        line.restore();
        tried = line.attempts.size();
        long visible = System.nanoTime();
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))");
        connected(page);
        assertTrue((line.attempts.get(tried) - visible) / 1_000_000 < 1_200, "did not try at once when visible again");
    }
}
