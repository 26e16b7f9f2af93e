package chorus.page;

import chorus.support.Browser;
import chorus.support.TestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * What every page test shares: one Chromium for the whole test JVM (launching one takes seconds,
 * and the page classes run one after another in it), closed as the JVM exits; after each test its
 * tabs are closed, then its server.
 */
abstract class ChromiumTest {
    static Browser browser;
    /** The test's server, if it has one; closed after the tabs, so no page watches it go. */
    TestServer server;

    @BeforeAll
    static synchronized void launch() {
        if (browser != null) return;
        browser = new Browser();
        Browser launched = browser;
        Runtime.getRuntime().addShutdownHook(new Thread(launched::close, "chromium-close"));
    }

    @AfterEach
    void stop() {
        browser.closePages();
        if (server != null) server.close();
        server = null;
    }
}
