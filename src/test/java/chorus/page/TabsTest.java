package chorus.page;

import static chorus.support.Pages.connected;
import static chorus.support.Pages.say;
import static chorus.support.Pages.texts;
import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.Docs;
import chorus.support.JsonClient;
import chorus.support.Jwts;
import chorus.support.Pages;
import chorus.support.TestServer;
import chorus.support.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Page;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.net.URI;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Names that stick, and each tab its own person, in real Chromium. */
class TabsTest extends ChromiumTest {
    private static final Pattern OWN = Pattern.compile("\\bown\\b");
    TabsTest() {
        server = new TestServer();
    }

    @Test
    void aNewNameAppliesWhenTheFieldLosesFocus() throws Exception {
        Page page = Pages.open(browser.newPage(), server.port(), null, "names");
        try (WsClient bob = WsClient.connect(URI.create(server.ws() + "?room=names&name=bob"))) {
            page.locator("#name").fill("eve");
            page.locator("#text").click();
            assertThat(page.locator("#name-status")).containsText("You are eve");
            assertThat(page.locator("#online li.you")).hasText("eve (you)");
            say(page, "hello");
            assertThat(page.locator("#log li .from").last()).hasText("eve");
            assertEquals("hello", bob.next());
        }
    }

    @Test
    void aRefusedNameSaysWhyAndTheNameInEffectStays() {
        Page page = Pages.open(browser.newPage(), server.port(), "ann", "names");
        for (String bad : new String[] {"   ", "ann\u200B", "\u202Eevil"}) {
            page.locator("#name").fill(bad);
            page.locator("#name").press("Enter");
            assertThat(page.locator("#name-status")).containsText("no invisible or control characters");
            assertThat(page.locator("#name-status")).containsText("You are still ann");
            assertThat(page.locator("#name")).hasAttribute("aria-invalid", "true");
        }
        say(page, "still ann");
        assertThat(page.locator("#log li .from").last()).hasText("ann");
    }

    @Test
    void twoTabsOfOneBrowserAreOnePersonWithOneNameCountedOnce() {
        Page one = Pages.open(browser.newPage(), server.port(), null, "tabs");
        Page two = Pages.open(one.context().newPage(), server.port(), null, "tabs");
        String first = one.locator("#name").inputValue();
        assertTrue(first.startsWith("guest-"), first);
        assertThat(two.locator("#name")).hasValue(first); // one person: its guest name in every tab
        assertThat(one.locator("#online-count")).hasText("1");
        assertThat(two.locator("#online li.you")).hasText(first + " (you)");

        say(one, "from one");
        assertThat(texts(two)).hasText(new String[] {"from one"});
        assertThat(one.locator("#log li").last()).hasClass(OWN);

        // #30 item 3: a name chosen in one tab is the person's; a new tab starts from it and is let in.
        one.locator("#name").fill("Zoe");
        one.locator("#name").press("Enter");
        assertThat(one.locator("#name-status")).containsText("You are Zoe");
        Page three = Pages.open(one.context().newPage(), server.port(), null, "tabs");
        assertThat(three.locator("#name")).hasValue("Zoe");
        assertThat(three.locator("#name-status")).not().containsText("taken");
        assertThat(three.locator("#online-count")).hasText("1");

        // A reload keeps each tab's own messages and its name.
        one.reload();
        connected(one);
        assertThat(one.locator("#log li.own .text")).hasText(new String[] {"from one"});
        assertThat(one.locator("#name")).hasValue("Zoe");
    }

    @Test
    void aDuplicatedTabTakesATabIdOfItsOwnAndStaysTheSamePerson() {
        Page one = Pages.open(browser.newPage(), server.port(), null, "copies");
        String storage = "JSON.stringify(Object.fromEntries(Object.entries(sessionStorage)))";
        String identity = (String) one.evaluate(storage);
        String name = one.locator("#name").inputValue();
        // What the browser's "Duplicate tab" does: the copy starts with the original's sessionStorage.
        Page copy = one.context().newPage();
        copy.addInitScript("for (const [k, v] of Object.entries(" + identity + ")) sessionStorage.setItem(k, v)");
        Pages.open(copy, server.port(), null, "copies");
        assertThat(copy.locator("#name")).hasValue(name);
        assertNotEquals(identity, copy.evaluate(storage));
        assertThat(one.locator("#online li")).hasCount(1);
        say(copy, "from the copy");
        assertThat(texts(one)).hasText(new String[] {"from the copy"});
        assertThat(one.locator("#log li").last()).not().hasClass(OWN);
        assertThat(copy.locator("#log li").last()).hasClass(OWN);
    }

    /** A server that verifies tokens, in place of the plain one, for pages at the given origin. */
    private void verifying(String origins) {
        server.close();
        server = new TestServer(Map.of("TOKEN_SECRET", Jwts.SECRET, "ALLOWED_ORIGINS", origins));
    }

    @Test
    void aTokenInTheFragmentMakesTheTabAVerifiedUserAndVerifiedNamesAreMarked() {
        verifying("http://127.0.0.1");
        String token = Jwts.hs256(Jwts.user("u-17", "Ann", null));
        Page page = browser.newPage();
        page.navigate("http://127.0.0.1:" + server.port() + "/#lobby&token=" + token);
        connected(page);
        assertEquals("#lobby", page.evaluate("location.hash"), "the token stays out of the address bar");
        assertThat(page.locator("#name")).hasValue("Ann");
        assertThat(page.locator("#name")).hasJSProperty("readOnly", true);
        assertThat(page.locator("#name-status")).containsText("verified as u-17");
        try (JsonClient bob = JsonClient.connect(server, "room=lobby&name=bob")) {
            say(page, "hello");
            assertEquals("u-17", bob.next("message").get("user").asText());
            assertThat(page.locator("#log li .from").last()).containsText("Ann");
            assertThat(page.locator("#log li .from .verified").last()).hasAttribute("aria-label", "verified as u-17");
            assertThat(page.locator("#online li")).hasCount(2);
            assertThat(page.locator("#online li.you .verified")).hasCount(1);
        }
    }

    @Test
    void theDocsExamplePageFetchesATokenFromItsBackendAndJoinsAPrivateRoom() throws Exception {
        String tess = Jwts.hs256(Jwts.user("u-tess", "tess", List.of("private-team")));
        // The app's own site, another origin: its page as the docs give it, and its backend's
        // token route for the signed-in user.
        HttpServer app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        app.createContext("/", exchange -> {
            boolean token = exchange.getRequestURI().getPath().equals("/chorus-token");
            byte[] body = (token ? tess : Docs.example("AUTH.md", "example:page")
                    .replace("wss://your-chorus.herokuapp.com/ws", "ws://127.0.0.1:" + server.port() + "/ws"))
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", token ? "text/plain" : "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        app.start();
        try {
            verifying("http://127.0.0.1:" + app.getAddress().getPort());
            Page page = browser.newPage();
            page.navigate("http://127.0.0.1:" + app.getAddress().getPort() + "/");
            String sam = Jwts.hs256(Jwts.user("u-sam", "sam", List.of("private-team")));
            try (JsonClient other = JsonClient.withToken(server, "room=private-team", sam)) {
                other.awaitPresence(p -> p.get("names").size() == 2);
                other.send("hi team");
                assertThat(page.locator("#log li")).hasText(new String[] {"sam ✓: hi team"});
                page.locator("#text").fill("hello sam");
                page.locator("#say button").click();
                assertEquals("hi team", other.next("message").get("text").asText());
                JsonNode heard = other.next("message");
                assertEquals("hello sam", heard.get("text").asText());
                assertEquals("u-tess", heard.get("user").asText());
            }
        } finally {
            app.stop(0);
        }
    }
}
