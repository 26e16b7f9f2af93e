package chorus.page;

import com.microsoft.playwright.Page;
import com.microsoft.playwright.WebSocketRoute;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/** The test standing between a page and the server: it can cut the page's socket and refuse new ones. */
final class Line {
    // Playwright for Java fails on a route closed without a code, so always give one.
    private static final WebSocketRoute.CloseOptions CUT = new WebSocketRoute.CloseOptions().setCode(4000).setReason("cut");

    private final AtomicBoolean down = new AtomicBoolean();
    private final AtomicReference<WebSocketRoute> current = new AtomicReference<>();
    /** When each connection attempt came (nanoTime), and its URL. */
    final List<Long> attempts = new CopyOnWriteArrayList<>();
    final List<String> urls = new CopyOnWriteArrayList<>();

    static Line on(Page page) {
        Line line = new Line();
        page.routeWebSocket(Pattern.compile(".*/ws\\?.*"), route -> {
            line.attempts.add(System.nanoTime());
            line.urls.add(route.url());
            if (line.down.get()) {
                route.close(CUT);
            } else {
                line.current.set(route);
                route.connectToServer();
            }
        });
        return line;
    }

    /** Cuts the socket and refuses new ones until {@link #restore}. */
    void cut() {
        down.set(true);
        WebSocketRoute route = current.getAndSet(null);
        if (route != null) route.close(CUT);
    }

    void restore() {
        down.set(false);
    }
}
