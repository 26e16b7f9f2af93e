package chorus.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.RawSocket;
import chorus.support.TestServer;
import chorus.support.WsClient;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Budgets shared by everyone: pressure falls on whoever makes it, never on a bystander. */
class BystanderTest {
    private static final Map<String, String> FAST = Map.of("RATE_LIMIT_PER_SECOND", "100000", "RATE_LIMIT_BURST", "100000",
            "RATE_LIMIT_PER_ADDRESS", "100000");

    private static Map<String, String> with(Map<String, String> more) {
        Map<String, String> env = new java.util.HashMap<>(FAST);
        env.putAll(more);
        return env;
    }

    /**
     * Rooms each with one reader that never reads and three publishers that do, while the total of
     * all queues is over SEND_QUEUE_TOTAL_BYTES: the stalled readers go, and no publisher that
     * drains its queue is closed or misses a message (they used to be closed once the total was
     * over and a 16 KB frame exceeded the "fair share" of the limit over all sockets).
     */
    @Test
    void theOutboundTotalClosesOnlyMembersWhoseQueueIsNotDraining() throws Exception {
        int rooms = 4, publishers = 3, messages = 100;
        try (TestServer server = new TestServer(with(Map.of("SEND_QUEUE_TOTAL_BYTES", String.valueOf(1 << 20))))) {
            List<RawSocket> sockets = new ArrayList<>();
            List<WsClient> senders = new ArrayList<>();
            try {
                // Idle sockets shrink the old fair share (the limit over all sockets) below one message.
                for (int i = 0; i < 80; i++) sockets.add(new RawSocket(server.port(), 65536, "127.0.0.1", "/ws?room=idle", ""));
                for (int r = 0; r < rooms; r++) {
                    sockets.add(new RawSocket(server.port(), 4096, "127.0.0.1", "/ws?room=flood" + r, ""));
                    for (int p = 0; p < publishers; p++) senders.add(WsClient.connect(URI.create(server.ws() + "?room=flood" + r)));
                }
                server.awaitConnections(80 + rooms * (1 + publishers));
                String text = "z".repeat(16 * 1024 - 8);
                List<Thread> threads = new ArrayList<>();
                for (int s = 0; s < senders.size(); s++) {
                    WsClient sender = senders.get(s);
                    String tag = String.format("%02d", s);
                    Thread t = new Thread(() -> {
                        for (int n = 0; n < messages && !sender.isClosed(); n++) sender.send(tag + String.format("%06d", n) + text);
                    });
                    threads.add(t);
                    t.start();
                }
                for (Thread t : threads) t.join(60_000);
                List<String> closed = new ArrayList<>();
                for (int s = 0; s < senders.size(); s++) {
                    if (senders.get(s).isClosed()) closed.add(s + ": " + senders.get(s).awaitClose());
                }
                assertEquals(List.of(), closed, "publishers that read were closed");
                for (WsClient sender : senders) assertEquals(publishers * messages, sender.next(publishers * messages).size());
                assertTrue(server.server().hub().slowClientsDropped() >= 1, "no stalled reader was dropped");
            } finally {
                for (RawSocket s : sockets) s.close();
                for (WsClient s : senders) s.close();
            }
        }
    }

    /**
     * Request bodies cut short, and a chunk size that overflows: each answered 400 and counted, and
     * the log gains no line per request (each used to log a WARN with a stack trace, 5.7 KB; the
     * chunk size answered 500).
     */
    @Test
    void brokenRequestBodiesAre400sCountedWithoutALogLineEach() throws Exception {
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
        try (TestServer server = new TestServer(Map.of())) {
            System.setErr(new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8));
            for (int i = 0; i < 50; i++) {
                try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.port())) {
                    s.getOutputStream().write(("POST /check?room=lobby HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\nabc")
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    s.shutdownOutput();
                    s.setSoTimeout(5000);
                    s.getInputStream().readAllBytes();
                }
            }
            String answer = RawSocket.exchange(server.port(), "POST /check?room=lobby HTTP/1.1\r\nHost: x\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nabc\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 400"), "an overflowing chunk size was answered " + answer.lines().findFirst());
            String metrics = server.get("/metrics");
            assertTrue(metrics.lines().anyMatch(l -> l.startsWith("chorus_http_bad_requests_total") && !l.endsWith(" 0.0")),
                    "not counted");
        } finally {
            System.setErr(err);
        }
        String written = log.toString(java.nio.charset.StandardCharsets.UTF_8);
        System.err.print(written);
        assertTrue(written.length() < 2_000, "51 broken requests wrote " + written.length() + " bytes of log");
    }

    /** POST /check from one loopback address (127.x), answered with its status line. */
    private static String check(int port, String from, String query) throws java.io.IOException {
        try (java.net.Socket s = new java.net.Socket()) {
            s.bind(new java.net.InetSocketAddress(from, 0));
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("POST /check?" + query + " HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).lines().findFirst().orElse("");
        }
    }

    /**
     * Whether a name is in a room, asked 100 times in a row from one address: past its budget the
     * prober is refused 429, for /check and for upgrades refused for a taken name alike, while
     * another address still asks (1 500 probes in 2.3 s used to pass unrefused).
     */
    @Test
    void nameLookupsAreThrottledPerAddress() throws Exception {
        try (TestServer server = new TestServer(Map.of("LOOKUPS_PER_ADDRESS", "20"));
                WsClient ann = WsClient.connect(URI.create(server.ws() + "?room=lobby&name=ann"))) {
            server.awaitConnections(1);
            int refused = 0, taken = 0;
            for (int i = 0; i < 100; i++) {
                String status = check(server.port(), "127.0.0.7", "room=lobby&name=" + (i % 2 == 0 ? "ann" : "bob"));
                if (status.contains(" 429 ")) refused++;
                if (status.contains(" 409 ")) taken++;
            }
            assertTrue(refused >= 75, "only " + refused + " of 100 probes refused (" + taken + " answered 409)");
            assertTrue(taken <= 15, taken + " probes learned that ann is here");
            assertEquals(429, RawSocket.refusal(server.port(), "127.0.0.7", "/ws?room=lobby&name=ann", "").status(),
                    "the prober asks by joining instead");
            assertEquals(409, RawSocket.refusal(server.port(), "127.0.0.8", "/ws?room=lobby&name=ann", "").status(),
                    "another address asks by joining");
            assertTrue(check(server.port(), "127.0.0.9", "room=lobby&name=ann").contains(" 409 "), "another address asks here");
            assertTrue(server.get("/metrics").contains("chorus_lookups_refused_total"), "not counted");
        }
    }
}
