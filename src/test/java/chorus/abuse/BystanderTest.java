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

    /** A connection from one loopback address (127.x: as many clients as addresses), reads timing out after 10 s. */
    private static java.net.Socket from(String address, int port) throws java.io.IOException {
        java.net.Socket s = new java.net.Socket();
        s.bind(new java.net.InetSocketAddress(address, 0));
        s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** POST /check from one loopback address (127.x), answered with its status line. */
    private static String check(int port, String from, String query) throws java.io.IOException {
        try (java.net.Socket s = from(from, port)) {
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

    /** A GET from another address: its status line, or "timed out" after the wait. */
    private static String get(int port, String path, java.time.Duration wait) throws java.io.IOException {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout((int) wait.toMillis());
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] head = s.getInputStream().readNBytes(12);
            return new String(head, java.nio.charset.StandardCharsets.US_ASCII);
        } catch (java.net.SocketTimeoutException e) {
            return "timed out";
        }
    }

    /**
     * 30 request bodies trickling in from one address (a byte every 2 s): a bystander's /health,
     * static files and own /check are answered at once (they waited 10 s for a permit and got 503).
     */
    @Test
    void slowBodiesFromOneAddressLeaveOthersTheirRequests() throws Exception {
        try (TestServer server = new TestServer(Map.of())) {
            List<java.net.Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < 30; i++) {
                    java.net.Socket s = from("127.0.0.5", server.port());
                    s.getOutputStream().write(("POST /check?room=lobby HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\na")
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    slow.add(s);
                }
                Thread.sleep(1000);
                for (java.net.Socket s : slow) s.getOutputStream().write('b');
                java.time.Duration wait = java.time.Duration.ofSeconds(3);
                for (String path : List.of("/health", "/chorus-client.js", "/")) {
                    assertEquals("HTTP/1.1 200", get(server.port(), path, wait), path);
                }
                assertTrue(check(server.port(), "127.0.0.6", "room=lobby&name=zed").contains(" 200 "), "a bystander's /check");
                try (java.net.Socket more = from("127.0.0.5", server.port())) {
                    more.getOutputStream().write("POST /check?room=lobby HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx"
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    assertEquals("HTTP/1.1 429", new String(more.getInputStream().readNBytes(12), java.nio.charset.StandardCharsets.US_ASCII),
                            "the address over its share of request permits is refused at once");
                }
            } finally {
                for (java.net.Socket s : slow) s.close();
            }
        }
    }

    /**
     * An office behind one address: 100 upgrades opened at once, more than its HTTP connections
     * (16 here) but within its sockets: every one is answered, none closed without a status (with
     * 200 against 64, 1 851 of 10 000 used to be closed without a response).
     */
    @Test
    void upgradesFromOneAddressUnderItsSocketCapAreNeverClosedByTheHttpCap() throws Exception {
        try (TestServer server = new TestServer(with(Map.of("MAX_HTTP_CONNECTIONS_PER_ADDRESS", "16")))) {
            List<java.net.Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < 100; i++) sockets.add(from("127.0.0.3", server.port()));
                for (java.net.Socket s : sockets) {
                    try {
                        s.getOutputStream().write(("GET /ws?room=office HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    } catch (java.io.IOException closed) {
                        // counted below, as no answer
                    }
                }
                Map<String, Integer> answers = new java.util.TreeMap<>();
                for (java.net.Socket s : sockets) {
                    String status;
                    try {
                        byte[] head = s.getInputStream().readNBytes(12);
                        status = head.length == 12 ? new String(head, java.nio.charset.StandardCharsets.US_ASCII) : "closed";
                    } catch (java.io.IOException e) {
                        status = "closed";
                    }
                    answers.merge(status, 1, Integer::sum);
                }
                assertEquals(Map.of("HTTP/1.1 101", 100), answers);
                // A plain request past the address's HTTP connections is told so.
                List<java.net.Socket> plain = new ArrayList<>();
                try {
                    for (int i = 0; i < 20; i++) plain.add(from("127.0.0.4", server.port()));
                    java.net.Socket last = plain.get(plain.size() - 1);
                    last.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    assertEquals("HTTP/1.1 429", new String(last.getInputStream().readNBytes(12), java.nio.charset.StandardCharsets.US_ASCII));
                } finally {
                    for (java.net.Socket s : plain) s.close();
                }
            } finally {
                for (java.net.Socket s : sockets) s.close();
            }
        }
    }

    /**
     * 20 addresses bring 12 rooms each into being past MAX_ROOMS=100: the rooms that give way are
     * theirs, and a quiet room a bystander made earlier keeps its history (it went first, being the
     * longest empty).
     */
    @Test
    void roomsMadeByManyAddressesEvictTheirOwnRoomsNotABystanders() throws Exception {
        try (TestServer server = new TestServer(with(Map.of("MAX_ROOMS", "100")))) {
            try (chorus.support.JsonClient quiet = chorus.support.JsonClient.connect(server, "room=quiet&name=ann")) {
                for (int i = 0; i < 5; i++) quiet.send("kept " + i);
                quiet.messages(5);
            }
            for (int a = 0; a < 20; a++) {
                for (int r = 0; r < 12; r++) {
                    try (RawSocket made = new RawSocket(server.port(), 65536, "127.0.1." + (a + 1), "/ws?room=made-" + a + "-" + r,
                            "Sec-WebSocket-Protocol: chorus.v1\r\n")) {
                        made.readFrame(); // its welcome: in the room before it leaves
                    }
                }
            }
            try (chorus.support.JsonClient back = chorus.support.JsonClient.connect(server, "room=quiet&name=ann")) {
                List<com.fasterxml.jackson.databind.JsonNode> history = back.messages(5);
                assertEquals("kept 4", history.get(4).get("text").asText());
            }
        }
    }

    /**
     * Ten addresses fill the history budget (HISTORY_BYTES, 1 MiB here) with their own rooms: what
     * gives way is theirs, and a quiet room a bystander made keeps its history (it was the least
     * recently active, so its messages went first).
     */
    @Test
    void historyPressureFallsOnTheRoomsOfWhoeverMadeIt() throws Exception {
        try (TestServer server = new TestServer(with(Map.of("HISTORY_BYTES", String.valueOf(1 << 20))))) {
            try (chorus.support.JsonClient quiet = chorus.support.JsonClient.connect(server, "room=quiet&name=ann")) {
                for (int i = 0; i < 5; i++) quiet.send("kept " + i);
                quiet.messages(5);
            }
            String big = "h".repeat(16 * 1024);
            for (int a = 0; a < 10; a++) {
                try (RawSocket flooder = new RawSocket(server.port(), 1 << 20, "127.0.3." + (a + 1), "/ws?room=heavy-" + a, "")) {
                    for (int m = 0; m < 20; m++) {
                        flooder.sendFrame(0x1, big.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                        flooder.readFrame(); // its echo: kept before the next
                    }
                }
            }
            try (chorus.support.JsonClient back = chorus.support.JsonClient.connect(server, "room=quiet&name=ann")) {
                List<com.fasterxml.jackson.databind.JsonNode> history = back.messages(5);
                assertEquals("kept 0", history.get(0).get("text").asText());
                assertEquals("kept 4", history.get(4).get("text").asText());
            }
        }
    }
}
