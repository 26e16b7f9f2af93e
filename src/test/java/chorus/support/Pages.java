package chorus.support;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;

/** What the page tests do again and again. */
public final class Pages {
    private Pages() {
    }

    /** The page at a port and room, with a name chosen before (null: none), once it is connected. */
    public static Page open(Page page, int port, String name, String room) {
        if (name != null) page.addInitScript("localStorage.setItem('chorus.name', '" + name + "')");
        page.navigate("http://127.0.0.1:" + port + "/" + (room == null ? "" : "#" + room));
        connected(page);
        return page;
    }

    public static void connected(Page page) {
        assertThat(page.locator("body")).hasAttribute("data-state", "connected");
    }

    public static void say(Page page, String text) {
        page.locator("#text").fill(text);
        page.locator("#text").press("Enter");
    }

    /** Every message text on screen, pending ones included. */
    public static Locator texts(Page page) {
        return page.locator("#log li .text");
    }

    /** Pending (unconfirmed) messages on screen. */
    public static Locator pending(Page page) {
        return page.locator("#log li.pending");
    }
}
