package chorus.support;

import chorus.ChorusServer;
import chorus.config.Config;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;

/** The real server on a free port (or a given one), configured as the environment would. */
public final class TestServer implements AutoCloseable {
    /**
     * One client for the tests' plain requests: its connections are kept and reused (a client per
     * request leaves one open each, and a loop of them meets the per-address cap of HTTP connections).
     */
    public static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();

    private final ChorusServer server;

    public TestServer(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(env);
        all.putIfAbsent("PORT", "0");
        server = new ChorusServer(Config.fromEnv(all)).start();
    }

    public TestServer() {
        this(Map.of());
    }

    public ChorusServer server() {
        return server;
    }

    public int port() {
        return server.port();
    }

    public URI ws() {
        return URI.create("ws://127.0.0.1:" + port() + "/ws");
    }

    public URI http(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** The body of a GET of this path (no token). */
    public String get(String path) throws java.io.IOException, InterruptedException {
        return HTTP.send(java.net.http.HttpRequest.newBuilder(http(path)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Waits up to 5 s for the hub to hold exactly this many connections, then asserts it. */
    public void awaitConnections(int count) throws InterruptedException {
        for (int i = 0; i < 500 && server.hub().size() != count; i++) Thread.sleep(10);
        org.junit.jupiter.api.Assertions.assertEquals(count, server.hub().size(), "connections");
    }

    @Override
    public void close() {
        server.stop();
    }
}
