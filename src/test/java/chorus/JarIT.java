package chorus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.JsonClient;
import chorus.support.RedisServer;
import chorus.support.TestServer;
import chorus.support.WsClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The packaged jar, started exactly as the Procfile says, as Heroku would start it. */
class JarIT {
    private Process process;
    private int port;

    private void startFromProcfile() throws Exception {
        startFromProcfile(Map.of());
    }

    private void startFromProcfile(Map<String, String> env) throws Exception {
        String procfile = Files.readString(Path.of("Procfile")).strip();
        assertTrue(procfile.startsWith("web: "), "Procfile has no web process: " + procfile);
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        // exec, so that SIGTERM reaches the JVM as it does on a dyno.
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", "exec " + procfile.substring("web: ".length()))
                .redirectErrorStream(true)
                .redirectOutput(Path.of("target", "jar-it.log").toFile());
        builder.environment().put("PORT", String.valueOf(port));
        builder.environment().put("JAVA_OPTS", "-Xmx256m");
        builder.environment().putAll(env);
        process = builder.start();
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 300; i++) {
            try {
                HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, page.statusCode());
                assertTrue(page.body().contains("<title>Chorus</title>"));
                return;
            } catch (IOException notYet) {
                assertTrue(process.isAlive(), "the jar exited: " + Files.readString(Path.of("target", "jar-it.log")));
                Thread.sleep(100);
            }
        }
        throw new AssertionError("the jar did not serve / within 30 s");
    }

    /** Waits until /health says what it should: sockets count once joined, not when upgraded. */
    private void awaitHealth(String fragment) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String body = "";
        for (int i = 0; i < 100 && !body.contains(fragment); i++) {
            body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            if (!body.contains(fragment)) Thread.sleep(50);
        }
        assertTrue(body.contains(fragment), body);
    }

    private URI ws() {
        return URI.create("ws://127.0.0.1:" + port + "/ws");
    }

    @AfterEach
    void kill() {
        if (process != null) process.destroyForcibly();
    }

    @Test
    void procfileCommandServesPageAndSocket() throws Exception {
        startFromProcfile();
        try (WsClient a = WsClient.connect(ws()); WsClient b = WsClient.connect(ws())) {
            awaitHealth("\"connections\":2");
            a.send("through the jar");
            assertEquals("through the jar", b.next());
        }
    }

    @Test
    void anInstanceKilledWithSigkillLeavesPresenceInTime() throws Exception {
        try (RedisServer redis = new RedisServer();
                TestServer a = new TestServer(Map.of("REDIS_URL", redis.url()))) {
            startFromProcfile(Map.of("REDIS_URL", redis.url()));
            try (JsonClient ann = JsonClient.connect(a, "room=p&name=ann");
                    WsClient bob = WsClient.connect(URI.create(ws() + "?room=p&name=bob"), Map.of(), "chorus.v1")) {
                ann.awaitPresence(p -> p.get("online").asInt() == 2);
                long killed = System.nanoTime();
                process.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
                ann.awaitPresence(p -> p.get("online").asInt() == 1, java.time.Duration.ofSeconds(40));
                long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killed);
                assertTrue(seconds <= 30, "a dead instance stayed present for " + seconds + " s");
            }
        }
    }

    @Test
    void sigtermClosesEveryClientWith1001AndExitsWithin10Seconds() throws Exception {
        startFromProcfile();
        List<WsClient> clients = new ArrayList<>();
        for (int i = 0; i < 5; i++) clients.add(WsClient.connect(ws()));
        awaitHealth("\"connections\":5");
        clients.get(0).send("ready");
        for (WsClient client : clients) assertEquals("ready", client.next());

        long start = System.nanoTime();
        process.destroy(); // SIGTERM
        for (WsClient client : clients) {
            WsClient.Close close = client.awaitClose();
            assertEquals(1001, close.code());
            assertEquals("server restarting", close.reason());
        }
        assertTrue(process.waitFor(10, TimeUnit.SECONDS), "still running 10 s after SIGTERM");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
        assertEquals(143, process.exitValue(), "exit status after SIGTERM (128 + 15, as README says)");
    }
}
