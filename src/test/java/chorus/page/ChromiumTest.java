package chorus.page;

import chorus.support.Browser;
import chorus.support.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** What every page test shares: one Chromium for the class, and after each test its tabs closed, then its server. */
abstract class ChromiumTest {
    static Browser browser;
    /** The test's server, if it has one; closed after the tabs, so no page watches it go. */
    TestServer server;

    @BeforeAll
    static void launch() {
        browser = new Browser();
    }

    @AfterAll
    static void quit() {
        browser.close();
    }

    @AfterEach
    void stop() {
        browser.closePages();
        if (server != null) server.close();
        server = null;
    }
}
