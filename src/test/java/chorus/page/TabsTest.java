package chorus.page;

import static chorus.support.Pages.connected;
import static chorus.support.Pages.say;
import static chorus.support.Pages.texts;
import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.Pages;
import chorus.support.TestServer;
import chorus.support.WsClient;
import com.microsoft.playwright.Page;
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
    void twoTabsOfOneBrowserAreTwoPeople() {
        Page one = Pages.open(browser.newPage(), server.port(), null, "tabs");
        Page two = Pages.open(one.context().newPage(), server.port(), null, "tabs");
        String first = one.locator("#name").inputValue();
        String second = two.locator("#name").inputValue();
        assertTrue(first.startsWith("guest-") && second.startsWith("guest-"), first + ", " + second);
        assertNotEquals(first, second, "two tabs share a generated name");
        assertThat(one.locator("#online li.you")).hasText(first + " (you)");
        assertThat(two.locator("#online li.you")).hasText(second + " (you)");

        say(one, "from one");
        assertThat(texts(two)).hasText(new String[] {"from one"});
        assertThat(one.locator("#log li").last()).hasClass(OWN);
        assertThat(two.locator("#log li").last()).not().hasClass(OWN);

        // Both choose the same name: still two people.
        for (Page page : new Page[] {one, two}) {
            page.locator("#name").fill("sam");
            page.locator("#name").press("Enter");
            assertThat(page.locator("#name-status")).containsText("You are sam");
        }
        say(two, "from two");
        assertThat(texts(one)).hasText(new String[] {"from one", "from two"});
        assertThat(two.locator("#log li").last()).hasClass(OWN);
        assertThat(one.locator("#log li").last()).not().hasClass(OWN);
        assertThat(one.locator("#online li")).hasCount(2);
        assertThat(one.locator("#online li.you")).hasCount(1);

        // A reload keeps each tab's own messages its own; a new tab starts from the name last chosen.
        one.reload();
        connected(one);
        assertThat(one.locator("#log li.own .text")).hasText(new String[] {"from one"});
        Page three = Pages.open(one.context().newPage(), server.port(), null, "tabs");
        assertThat(three.locator("#name")).hasValue("sam");
        assertThat(three.locator("#log li.own")).hasCount(0);
    }

    @Test
    void aDuplicatedTabBecomesAPersonOfItsOwn() {
        Page one = Pages.open(browser.newPage(), server.port(), null, "copies");
        String identity = (String) one.evaluate("sessionStorage.getItem('chorus.tab')");
        String name = one.locator("#name").inputValue();
        // What the browser's "Duplicate tab" does: the copy starts with the original's sessionStorage.
        Page copy = one.context().newPage();
        copy.addInitScript("sessionStorage.setItem('chorus.tab', '" + identity.replace("\\", "\\\\").replace("'", "\\'") + "')");
        Pages.open(copy, server.port(), null, "copies");
        assertThat(copy.locator("#name")).not().hasValue(name);
        assertNotEquals(identity, copy.evaluate("sessionStorage.getItem('chorus.tab')"));
        assertThat(one.locator("#online li")).hasCount(2);
        say(copy, "from the copy");
        assertThat(texts(one)).hasText(new String[] {"from the copy"});
        assertThat(one.locator("#log li").last()).not().hasClass(OWN);
        assertThat(copy.locator("#log li").last()).hasClass(OWN);
    }
}
