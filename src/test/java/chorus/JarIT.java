package chorus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.ProcfileServer;
import chorus.support.RawSocket;
import chorus.support.WsClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged jar, started exactly as the Procfile says, as Heroku would start it. Each test
 * starts its own. (Killed instances are tested from the compiled classes: redis.KilledInstanceTest.)
 */
class JarIT {
    private ProcfileServer jar;

    private void startFromProcfile() throws Exception {
        startFromProcfile(Map.of());
    }

    private void startFromProcfile(Map<String, String> env) throws Exception {
        jar = new ProcfileServer(env);
    }

    @AfterEach
    void kill() {
        if (jar != null) jar.close();
    }

    @Test
    void procfileCommandServesPageAndSocket() throws Exception {
        startFromProcfile();
        try (WsClient a = WsClient.connect(jar.ws()); WsClient b = WsClient.connect(jar.ws())) {
            jar.awaitHealth("\"connections\":2");
            a.send("through the jar");
            assertEquals("through the jar", b.next());
        }
    }

    @Test
    void sigtermClosesEveryClientWith1001AndExitsWithin10Seconds() throws Exception {
        startFromProcfile();
        List<WsClient> clients = new ArrayList<>();
        for (int i = 0; i < 5; i++) clients.add(WsClient.connect(jar.ws()));
        jar.awaitHealth("\"connections\":5");
        clients.get(0).send("ready");
        for (WsClient client : clients) assertEquals("ready", client.next());

        long start = System.nanoTime();
        jar.process().destroy(); // SIGTERM
        for (WsClient client : clients) {
            WsClient.Close close = client.awaitClose();
            assertEquals(1001, close.code());
            assertEquals("server restarting", close.reason());
        }
        assertTrue(jar.process().waitFor(10, TimeUnit.SECONDS), "still running 10 s after SIGTERM");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10));
        assertEquals(143, jar.process().exitValue(), "exit status after SIGTERM (128 + 15, as README says)");
    }

    /**
     * The recipe that used to fill a small dyno's heap in seconds: 40 clients (40 addresses),
     * one room each, sending the costliest text there is under the rate limit. With the history
     * budget the server keeps answering and a bystander keeps receiving.
     */
    private static Thread daemon(Runnable body) {
        Thread thread = new Thread(body);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    @Test
    void theHeapFillingRecipeLeavesTheServerAnsweringAndABystanderReceiving() throws Exception {
        startFromProcfile(Map.of("RATE_LIMIT_PER_SECOND", "19"));
        byte[] costly = "\u0001".repeat(16 * 1024).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        List<RawSocket> attackers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean go = new java.util.concurrent.atomic.AtomicBoolean(true);
        try (WsClient bystander = WsClient.connect(URI.create(jar.ws() + "?room=calm"))) {
            for (int i = 0; i < 40; i++) {
                RawSocket attacker = new RawSocket(jar.port(), 1 << 20, "127.0.0." + (2 + i), "/ws?room=heavy" + i, "");
                attackers.add(attacker);
                threads.add(daemon(() -> {
                    try {
                        while (go.get()) attacker.readFrame(); // reads its own room, so it is never too slow
                    } catch (IOException ended) {
                        // the test is over
                    }
                }));
                threads.add(daemon(() -> {
                    try {
                        while (go.get()) {
                            attacker.sendFrame(0x1, costly);
                            Thread.sleep(1000 / 19);
                        }
                    } catch (IOException | InterruptedException ended) {
                        // the test is over
                    }
                }));
            }
            HttpClient http = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(2)).build();
            long slowestHealth = 0;
            for (int i = 0; i < 20; i++) { // 10 s of the recipe
                long start = System.nanoTime();
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + jar.port() + "/health"))
                        .timeout(java.time.Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                slowestHealth = Math.max(slowestHealth, (System.nanoTime() - start) / 1_000_000);
                assertEquals(200, health.statusCode(), health.body());
                bystander.send("calm " + i);
                assertEquals("calm " + i, bystander.next());
                Thread.sleep(500);
            }
            String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + jar.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            double held = Double.parseDouble(metrics.lines().filter(l -> l.startsWith("chorus_history_bytes "))
                    .findFirst().orElseThrow().split(" ")[1]);
            double evicted = Double.parseDouble(metrics.lines().filter(l -> l.startsWith("chorus_history_evicted_bytes_total "))
                    .findFirst().orElseThrow().split(" ")[1]);
            System.out.printf("heap-filling recipe: slowest /health %d ms, history %.1f MiB held, %.1f MiB evicted%n",
                    slowestHealth, held / (1 << 20), evicted / (1 << 20));
            // The bound, give or take the few messages being kept at the moment of the reading.
            assertTrue(held <= (48 << 20) + (1 << 20), "history holds " + held);
            assertTrue(evicted > 0, "the recipe never reached the budget: it proves nothing");
        } finally {
            go.set(false);
            for (RawSocket attacker : attackers) attacker.close();
        }
    }
}
