package chorus.support;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Playwright;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Debian's Chromium driven by Playwright; Playwright's own browser download is never used. */
public final class Browser implements AutoCloseable {
    private final Playwright playwright;
    private final com.microsoft.playwright.Browser chromium;

    public Browser() {
        playwright = Playwright.create(new Playwright.CreateOptions()
                .setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        chromium = playwright.chromium().launch(new BrowserType.LaunchOptions()
                .setExecutablePath(Paths.get(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium")))
                .setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run")));
    }

    private final List<BrowserContext> contexts = new ArrayList<>();

    /** A fresh, isolated tab (its own storage), as a separate visitor would have. */
    public com.microsoft.playwright.Page newPage() {
        return newPage(new com.microsoft.playwright.Browser.NewContextOptions());
    }

    /** The same with a screen size, colour scheme or clock of its own. */
    public com.microsoft.playwright.Page newPage(com.microsoft.playwright.Browser.NewContextOptions options) {
        BrowserContext context = chromium.newContext(options);
        contexts.add(context);
        return context.newPage();
    }

    /** Closes every tab opened so far, so none outlives its test. */
    public void closePages() {
        contexts.forEach(BrowserContext::close);
        contexts.clear();
    }

    @Override
    public void close() {
        chromium.close();
        playwright.close();
    }
}
