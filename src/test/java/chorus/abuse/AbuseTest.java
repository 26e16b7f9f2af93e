package chorus.abuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.JsonClient;
import chorus.support.RawSocket;
import chorus.support.TestServer;
import chorus.support.WsClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile clients against the real server: for each attack, what the attacker gets (the close,
 * the status, the error) and that a bystander in another room keeps receiving.
 */
class AbuseTest {
    private static final int TEXT = 0x1, CONTINUATION = 0x0, PING = 0x9, PONG = 0xA, CLOSE = 0x8;
    private TestServer server;
    private WsClient bystander;

    private void start(Map<String, String> env) throws InterruptedException {
        server = new TestServer(env);
        bystander = WsClient.connect(URI.create(server.ws() + "?room=elsewhere"));
        server.awaitConnections(1);
    }

    @AfterEach
    void stop() {
        if (bystander != null) bystander.close();
        if (server != null) server.close();
    }

    private void bystanderCarriesOn() throws InterruptedException {
        bystanderCarriesOn(Duration.ofSeconds(10));
    }

    /** The bystander's own message comes back to it within the time. */
    private void bystanderCarriesOn(Duration within) throws InterruptedException {
        assertTrue(!bystander.isClosed(), "the bystander was closed");
        bystander.send("still here");
        String next;
        do {
            next = bystander.poll(within);
        } while (next != null && !next.equals("still here"));
        assertEquals("still here", next, "the bystander's message did not come back within " + within);
    }

    private String metrics() throws Exception {
        return chorus.support.TestServer.HTTP.send(HttpRequest.newBuilder(server.http("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // 1. History: the memory it holds stays under HISTORY_BYTES, whatever clients send.

    @Test
    void historyStaysWithinItsByteBudgetAndOldSinceGetsAReset() throws Exception {
        int budget = 2 << 20;
        start(Map.of("HISTORY_BYTES", String.valueOf(budget), "RATE_LIMIT_PER_SECOND", "100000",
                "RATE_LIMIT_BURST", "100000", "RATE_LIMIT_PER_ADDRESS", "100000"));
        // Control characters: six bytes each once escaped in JSON, the costliest text there is.
        String costly = "\u0001".repeat(16 * 1024);
        List<String> firstIds = new ArrayList<>();
        for (int room = 0; room < 10; room++) {
            try (JsonClient sender = JsonClient.connect(server, "room=heavy" + room)) {
                for (int i = 0; i < 20; i++) sender.send(costly);
                List<com.fasterxml.jackson.databind.JsonNode> got = sender.messages(20);
                firstIds.add(got.get(0).get("id").asText());
            }
        }
        String m = metrics();
        double held = Double.parseDouble(m.lines().filter(l -> l.startsWith("chorus_history_bytes ")).findFirst()
                .orElseThrow().split(" ")[1]);
        assertTrue(held <= budget, "history holds " + held + " bytes, budget " + budget);
        assertTrue(m.contains("chorus_history_evicted_bytes_total"), "evictions not in /metrics");
        // The first room was the least recently active: what it lost, a resume says.
        try (JsonClient back = JsonClient.connect(server, "room=heavy0&since=" + firstIds.get(0))) {
            assertEquals("reset", back.next().get("type").asText());
        }
        bystanderCarriesOn();
    }

    /**
     * Slow readers in many rooms, each with its own traffic: past the total, each goes as soon as its
     * socket has not drained for a moment, so together they hold at most the total plus what each
     * could queue before it was found out.
     */
    @Test
    void slowReadersInManyRoomsTogetherHoldNoMoreThanTheOutboundBudget() throws Exception {
        int budget = 1 << 20, queue = 256 << 10;
        start(Map.of("SEND_QUEUE_TOTAL_BYTES", String.valueOf(budget), "SEND_QUEUE_BYTES", String.valueOf(queue),
                "RATE_LIMIT_PER_SECOND", "100000", "RATE_LIMIT_BURST", "100000", "RATE_LIMIT_PER_ADDRESS", "100000"));
        String text = "y".repeat(16 * 1024);
        List<RawSocket> stalled = new ArrayList<>();
        List<WsClient> senders = new ArrayList<>();
        java.util.concurrent.atomic.AtomicLong peak = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicBoolean sampling = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                peak.accumulateAndGet(server.server().sockets().queuedBytes(), Math::max);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            for (int i = 0; i < 8; i++) {
                stalled.add(new RawSocket(server.port(), 4096, "127.0.0.1", "/ws?room=stalled" + i, ""));
                senders.add(WsClient.connect(URI.create(server.ws() + "?room=stalled" + i)));
            }
            sampler.start();
            List<Thread> threads = new ArrayList<>();
            for (WsClient sender : senders) {
                Thread t = new Thread(() -> {
                    for (int n = 0; n < 600 && !sender.isClosed(); n++) sender.send(text);
                });
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) t.join(30_000);
            Thread.sleep(200);
        } finally {
            sampling.set(false);
            sampler.join();
            for (RawSocket socket : stalled) socket.close();
            for (WsClient sender : senders) sender.close();
        }
        System.out.println("slow readers held at most " + peak.get() + " bytes together");
        // Over the total: each reader's queue (twice its bound while our writers lag) until it was found
        // out. Without the total and with 1 MiB queues they held 10 MB.
        long most = budget + 8L * 2 * queue;
        assertTrue(peak.get() <= most, "the slow readers held " + peak.get() + " bytes together; at most " + most);
        assertTrue(metrics().contains("chorus_outbound_budget_dropped_total"), "not counted");
        bystanderCarriesOn();
    }

    // 2. Floods that cost nothing to send.

    /** Starts a message and never finishes it: only empty continuations; the close it gets. */
    private RawSocket.Frame floodWithEmptyContinuations(int count) throws IOException {
        try (RawSocket attacker = new RawSocket(server.port(), 64 * 1024)) {
            attacker.sendFrame(TEXT, utf8("start"), false);
            try {
                for (int i = 0; i < count; i++) attacker.sendFrame(CONTINUATION, new byte[0], false);
            } catch (IOException closedByServer) {
                // expected once the server closes; the close frame is read below
            }
            return attacker.readUntilClose();
        }
    }

    @Test
    void emptyContinuationsOfAMessageNeverFinishedAreClosed() throws Exception {
        start(Map.of("RATE_LIMIT_PER_SECOND", "100000", "RATE_LIMIT_BURST", "100000", "MAX_FRAGMENTS", "64"));
        RawSocket.Frame close = floodWithEmptyContinuations(100_000);
        assertEquals(1008, close.closeCode());
        assertEquals("message in too many fragments", close.closeReason());
        bystanderCarriesOn();
    }

    @Test
    void fragmentsCostTokensLikeMessages() throws Exception {
        start(Map.of("RATE_LIMIT_PER_SECOND", "1", "RATE_LIMIT_BURST", "10"));
        RawSocket.Frame close = floodWithEmptyContinuations(1000);
        assertEquals(1008, close.closeCode());
        assertEquals("rate limit exceeded", close.closeReason());
        bystanderCarriesOn();
    }

    @Test
    void aMessageMustFinishInTime() throws Exception {
        start(Map.of("MESSAGE_TIMEOUT", "300ms"));
        try (RawSocket attacker = new RawSocket(server.port(), 64 * 1024)) {
            attacker.sendFrame(TEXT, utf8("slow "), false);
            Thread.sleep(500);
            attacker.sendFrame(CONTINUATION, utf8("message"), true);
            RawSocket.Frame close = attacker.readUntilClose();
            assertEquals(1008, close.closeCode());
            assertEquals("message not finished in time", close.closeReason());
        }
        bystanderCarriesOn();
    }

    @Test
    void aPingFloodIsAnsweredOnlyWithinTheBudgetThenClosed() throws Exception {
        start(Map.of("RATE_LIMIT_PER_SECOND", "1", "RATE_LIMIT_BURST", "10"));
        int pongs = 0;
        try (RawSocket attacker = new RawSocket(server.port(), 64 * 1024)) {
            try {
                for (int i = 0; i < 1000; i++) attacker.sendFrame(PING, utf8("p"));
            } catch (IOException closedByServer) {
                // expected once the server closes
            }
            RawSocket.Frame frame;
            while ((frame = attacker.readFrame()).opcode() != CLOSE) if (frame.opcode() == PONG) pongs++;
            assertEquals(1008, frame.closeCode());
        }
        assertTrue(pongs <= 11, pongs + " pongs for a burst of 10");
        assertTrue(metrics().contains("reason=\"ping-flood\""), "ping refusals not counted");
        bystanderCarriesOn();
    }

    // 3. Limits per client address.

    @Test
    void messagesPerSecondAreSharedByAnAddressesSockets() throws Exception {
        start(Map.of("RATE_LIMIT_PER_ADDRESS", "5")); // a burst of 10 for the whole address
        try (JsonClient observer = JsonClient.connect(server, "room=nat")) {
            List<JsonClient> sockets = new ArrayList<>();
            for (int i = 0; i < 8; i++) sockets.add(JsonClient.connect(server, "room=nat"));
            long start = System.nanoTime();
            for (JsonClient socket : sockets) {
                // Well within each socket's own limit; 16 in all, so the refusals stay under a
                // burst (more would close a socket as abusive while the test still sends on it).
                for (int m = 0; m < 2; m++) socket.send("m" + m);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            int delivered = 0;
            String frame;
            while ((frame = observer.socket().poll(Duration.ofMillis(500))) != null) {
                if (frame.contains("\"type\":\"message\"")) delivered++;
            }
            sockets.forEach(JsonClient::close);
            // 16 sent against a shared burst of 10, and what refilled while they were sent.
            int allowed = 10 + (int) Math.ceil(5 * seconds);
            assertTrue(delivered <= allowed, delivered + " delivered, at most " + allowed + " allowed");
            assertTrue(delivered >= 10, "the burst itself was refused: " + delivered);
        }
        assertTrue(metrics().contains("chorus_messages_refused_total{reason=\"rate-limited\"}"));
        bystanderCarriesOn();
    }

    @Test
    void socketsPerAddressAreCappedWith429AndOtherAddressesStillConnect() throws Exception {
        start(Map.of("MAX_CONNECTIONS_PER_ADDRESS", "3"));
        try (RawSocket a = new RawSocket(server.port(), 4096, "127.0.0.2", "/ws", "");
                RawSocket b = new RawSocket(server.port(), 4096, "127.0.0.2", "/ws", "");
                RawSocket c = new RawSocket(server.port(), 4096, "127.0.0.2", "/ws", "")) {
            IOException refused = null;
            try (RawSocket d = new RawSocket(server.port(), 4096, "127.0.0.2", "/ws", "")) {
                // not reached
            } catch (IOException e) {
                refused = e;
            }
            assertTrue(refused != null && refused.getMessage().contains("429"), String.valueOf(refused));
            try (RawSocket other = new RawSocket(server.port(), 4096, "127.0.0.3", "/ws", "")) {
                assertTrue(other != null);
            }
        }
        bystanderCarriesOn();
    }

    @Test
    void behindATrustedProxyTheLastForwardedAddressIsTheClient() throws Exception {
        start(Map.of("MAX_CONNECTIONS_PER_ADDRESS", "1", "TRUST_PROXY", "true"));
        // The router appends the client's address last; a client's own entries come first.
        try (RawSocket ann = new RawSocket(server.port(), 4096, "127.0.0.2", "/ws", "X-Forwarded-For: 1.2.3.4, 10.0.0.1\r\n");
                RawSocket bob = new RawSocket(server.port(), 4096, "127.0.0.2", "/ws", "X-Forwarded-For: 10.0.0.2\r\n")) {
            String refused = "";
            try (RawSocket annAgain = new RawSocket(server.port(), 4096, "127.0.0.2", "/ws",
                    "X-Forwarded-For: 5.6.7.8, 10.0.0.1\r\n")) {
                // not reached
            } catch (IOException e) {
                refused = e.getMessage();
            }
            assertTrue(refused.contains("429"), "a second socket for 10.0.0.1 was accepted: " + refused);
        }
    }

    /** The status an upgrade from behind the proxy gets, with this X-Forwarded-For. */
    private int upgradeStatus(List<RawSocket> open, String forwardedFor) throws IOException {
        try {
            open.add(new RawSocket(server.port(), 4096, "127.0.0.2", "/ws", "X-Forwarded-For: " + forwardedFor + "\r\n"));
            return 101;
        } catch (IOException e) {
            java.util.regex.Matcher status = java.util.regex.Pattern.compile("upgrade refused: HTTP/1.1 (\\d+)").matcher(e.getMessage());
            if (!status.lookingAt()) throw e;
            return Integer.parseInt(status.group(1));
        }
    }

    @Test
    void oneAddressIsOneBudgetHoweverItIsSpelledAndAnIpv6Slash64IsOneAddress() throws Exception {
        start(Map.of("MAX_CONNECTIONS_PER_ADDRESS", "3", "TRUST_PROXY", "true"));
        List<RawSocket> open = new ArrayList<>();
        try {
            List<Integer> spellings = new ArrayList<>();
            for (String spelling : List.of("203.0.113.7", "::ffff:203.0.113.7", "0:0:0:0:0:ffff:cb00:7107",
                    "::FFFF:CB00:7107", "203.0.113.7 ", "[::ffff:203.0.113.7]")) {
                spellings.add(upgradeStatus(open, spelling));
            }
            assertEquals(List.of(101, 101, 101, 429, 429, 429), spellings, "six spellings of one IPv4 address");
            List<Integer> slash64 = new ArrayList<>();
            for (String address : List.of("2001:db8:1:2::1", "2001:db8:1:2::2", "2001:DB8:1:2:ffff::3",
                    "2001:db8:1:2:0:0:0:4", "2001:0db8:0001:0002::5", "2001:db8:1:2::6")) {
                slash64.add(upgradeStatus(open, address));
            }
            assertEquals(List.of(101, 101, 101, 429, 429, 429), slash64, "six addresses of one IPv6 /64");
            assertEquals(101, upgradeStatus(open, "2001:db8:1:3::1"), "the next /64 is another client");
            for (String garbage : List.of("not-an-address", "example.com", "1.2.3", "::g", "1.2.3.4:80", "")) {
                assertEquals(400, upgradeStatus(open, garbage), "X-Forwarded-For: " + garbage);
            }
            assertTrue(metrics().contains("chorus_messages_refused_total{reason=\"upgrade-400\"}"));
        } finally {
            for (RawSocket socket : open) socket.close();
        }
        bystanderCarriesOn();
    }

    @Test
    void anUntrustedForwardedForHeaderIsIgnored() throws Exception {
        start(Map.of("MAX_CONNECTIONS_PER_ADDRESS", "1", "TRUST_PROXY", "false"));
        try (RawSocket first = new RawSocket(server.port(), 4096, "127.0.0.2", "/ws", "X-Forwarded-For: 10.0.0.1\r\n")) {
            String refused = "";
            try (RawSocket forged = new RawSocket(server.port(), 4096, "127.0.0.2", "/ws", "X-Forwarded-For: 10.0.0.2\r\n")) {
                // not reached
            } catch (IOException e) {
                refused = e.getMessage();
            }
            assertTrue(refused.contains("429"), "a forged X-Forwarded-For bought a second socket: " + refused);
        }
    }

    // 4. Slow headers.

    @Test
    void aRequestWhoseHeadersDripInIsDropped() throws Exception {
        start(Map.of("HEADER_TIMEOUT", "1s"));
        try (Socket slow = new Socket("127.0.0.1", server.port())) {
            slow.setSoTimeout(5000);
            OutputStream out = slow.getOutputStream();
            long start = System.nanoTime();
            boolean dropped = false;
            byte[] head = utf8("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
            try {
                for (byte b : head) {
                    out.write(b);
                    out.flush();
                }
                for (int i = 0; i < 40 && !dropped; i++) {
                    out.write('a');
                    out.flush();
                    Thread.sleep(100);
                    dropped = slow.getInputStream().available() == 0 && !slow.isConnected();
                }
                dropped = slow.getInputStream().read() < 0;
            } catch (IOException e) {
                dropped = true;
            }
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            assertTrue(dropped, "still connected");
            assertTrue(seconds < 5, "dropped only after " + seconds + " s");
        }
        bystanderCarriesOn();
    }

    /** Reads one HTTP response (head and a Content-Length body) off a kept-alive connection. */
    private static void readResponse(java.io.InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) throw new IOException("closed before the response");
            head.append((char) b);
        }
        java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(head);
        int body = length.find() ? Integer.parseInt(length.group(1)) : 0;
        for (int i = 0; i < body; i++) in.read();
    }

    /** Whether the server closes this connection within the time (end of stream, reset, or a write refused). */
    private static boolean closedWithin(Socket socket, Duration wait, byte[] trickle) throws InterruptedException {
        long end = System.nanoTime() + wait.toNanos();
        try {
            socket.setSoTimeout(100);
            for (int i = 0; System.nanoTime() < end; i++) {
                if (trickle != null) {
                    socket.getOutputStream().write(trickle[i % trickle.length]);
                    socket.getOutputStream().flush();
                }
                try {
                    if (socket.getInputStream().read() < 0) return true;
                } catch (java.net.SocketTimeoutException stillOpen) {
                    Thread.sleep(150);
                }
            }
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** How many of the sockets the server has not closed within the time, each trickling while it is watched. */
    private static int stillOpen(List<Socket> sockets, Duration within, byte[] trickle) throws InterruptedException {
        long end = System.nanoTime() + within.toNanos();
        int open = 0;
        for (Socket socket : sockets) {
            Duration left = Duration.ofNanos(Math.max(Duration.ofMillis(200).toNanos(), end - System.nanoTime()));
            if (!closedWithin(socket, left, trickle)) open++;
        }
        return open;
    }

    /** Requests whose head is whole and whose body has only begun: each holds a thread while it is read. */
    private List<Socket> tricklingBodies(int count) throws IOException {
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Socket socket = new Socket("127.0.0.1", server.port());
            socket.getOutputStream().write(utf8("POST /check?room=lobby&name=drip HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: text/plain\r\nContent-Length: 1000\r\n\r\na"));
            sockets.add(socket);
        }
        return sockets;
    }

    @Test
    void theNextRequestOnAKeptAliveConnectionHasTheHeaderDeadlineToo() throws Exception {
        start(Map.of("HEADER_TIMEOUT", "1s"));
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                Socket socket = new Socket("127.0.0.1", server.port());
                socket.setSoTimeout(5000);
                socket.getOutputStream().write(utf8("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
                readResponse(socket.getInputStream());
                socket.getOutputStream().write(utf8("GET /health HTTP/1.1\r\nHost: x\r\n"));
                slow.add(socket);
            }
            // Each is looked at every HEADER_TIMEOUT: closed within two of them, whatever it trickles.
            assertEquals(0, stillOpen(slow, Duration.ofSeconds(4), utf8("X-Slow: a\r\n")),
                    "kept-alive connections still trickling their next request's headers");
        } finally {
            for (Socket socket : slow) socket.close();
        }
        bystanderCarriesOn();
    }

    @Test
    void aRequestWhoseBodyDripsInIsDroppedAndHoldsNoThreadForLong() throws Exception {
        // Fewer threads than trickling bodies: each body read blocks a thread until it is whole.
        start(Map.of("HEADER_TIMEOUT", "1s", "MAX_THREADS", "12"));
        List<Socket> slow = tricklingBodies(16);
        try {
            // Looked at every HEADER_TIMEOUT, like a request's head: closed within two of them.
            assertEquals(0, stillOpen(slow, Duration.ofSeconds(4), utf8("a")), "connections still trickling a request's body");
        } finally {
            for (Socket socket : slow) socket.close();
        }
        bystanderCarriesOn();
    }

    @Test
    void requestsHoldingThreadsLeaveSomeForTheSockets() throws Exception {
        // 16 bodies trickling in from one address, the header deadline far away: at most half of
        // the 12 threads may serve HTTP requests, so sockets still open and their frames are read.
        start(Map.of("MAX_THREADS", "12"));
        List<Socket> slow = tricklingBodies(16);
        try {
            Thread.sleep(500);
            bystanderCarriesOn(Duration.ofSeconds(3));
            long start = System.nanoTime();
            try (WsClient newcomer = WsClient.connect(URI.create(server.ws() + "?room=elsewhere"))) {
                assertTrue(!newcomer.isClosed(), "a newcomer could not open a socket");
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis < 3000, "a newcomer's upgrade waited " + millis + " ms for the trickling requests");
        } finally {
            for (Socket socket : slow) socket.close();
        }
        assertTrue(metrics().contains("chorus_http_requests_waiting "), "no gauge of requests waiting for a thread");
    }

    @Test
    void plainHttpConnectionsHaveACapPerAddressAndInAll() throws Exception {
        start(Map.of("MAX_HTTP_CONNECTIONS_PER_ADDRESS", "4", "MAX_HTTP_CONNECTIONS", "10"));
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) idle.add(new Socket("127.0.0.1", server.port(), java.net.InetAddress.getByName("127.0.0.3"), 0));
            Thread.sleep(500); // accepted and counted: which of five is refused would otherwise be the selector's choice
            // A fifth from one address may still upgrade (the socket caps decide); a plain request is refused.
            try (Socket fifth = new Socket("127.0.0.1", server.port(), java.net.InetAddress.getByName("127.0.0.3"), 0)) {
                fifth.getOutputStream().write("GET /health HTTP/1.1\r\nHost: chorus\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                fifth.setSoTimeout(2_000);
                assertEquals("HTTP/1.1 429", new String(fifth.getInputStream().readNBytes(12), java.nio.charset.StandardCharsets.US_ASCII));
                assertTrue(closedWithin(fifth, Duration.ofSeconds(2), null), "a fifth connection from one address was kept");
            }
            for (int i = 4; i < 9; i++) {
                idle.add(new Socket("127.0.0.1", server.port(), java.net.InetAddress.getByName("127.0.0." + (10 + i)), 0));
            }
            Thread.sleep(500);
            // Nine held, plus the bystander's socket, which upgraded and counts among the sockets instead.
            try (Socket another = new Socket("127.0.0.1", server.port(), java.net.InetAddress.getByName("127.0.0.40"), 0)) {
                assertTrue(!closedWithin(another, Duration.ofMillis(500), null), "the tenth connection in all was refused");
                Thread.sleep(300);
                // At the cap, a newcomer is served and a connection of the address holding the most gives way.
                try (Socket over = new Socket("127.0.0.1", server.port(), java.net.InetAddress.getByName("127.0.0.41"), 0)) {
                    over.getOutputStream().write("GET /health HTTP/1.1\r\nHost: chorus\r\nConnection: close\r\n\r\n"
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    over.setSoTimeout(2_000);
                    String answer = new String(over.getInputStream().readNBytes(12), java.nio.charset.StandardCharsets.US_ASCII);
                    assertEquals("HTTP/1.1 200", answer, "a newcomer at the cap was not served");
                    // The first four came at once: which of them the server saw first is its own.
                    boolean gaveWay = false;
                    for (int i = 0; i < 4 && !gaveWay; i++) gaveWay = closedWithin(idle.get(i), Duration.ofMillis(500), null);
                    assertTrue(gaveWay, "none of the longest-idle connections gave way");
                }
            }
            String m = metrics();
            assertTrue(m.contains("chorus_http_connections_refused_total{reason=\"address\"}"), "not counted by reason");
            assertTrue(m.contains("chorus_http_connections_refused_total{reason=\"evicted\"}"), "not counted by reason");
        } finally {
            for (Socket socket : idle) socket.close();
        }
        bystanderCarriesOn();
    }

    // 5. Handshakes RFC 6455 refuses.

    private String handshake(String headers) throws IOException {
        return RawSocket.exchange(server.port(), "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + "\r\n");
    }

    @Test
    void badHandshakesGetTheAnswersRfc6455Gives() throws Exception {
        start(Map.of());
        String upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
        String key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
        assertTrue(handshake(upgrade + "Sec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13\r\n").startsWith("HTTP/1.1 400"));
        assertTrue(handshake(upgrade + "Sec-WebSocket-Key: \r\nSec-WebSocket-Version: 13\r\n").startsWith("HTTP/1.1 400"));
        for (String version : List.of("8", "12")) {
            String answer = handshake(upgrade + key + "Sec-WebSocket-Version: " + version + "\r\n");
            assertTrue(answer.startsWith("HTTP/1.1 426"), answer);
            assertTrue(answer.contains("Sec-WebSocket-Version: 13"), answer);
        }
        assertTrue(handshake(key + "Sec-WebSocket-Version: 13\r\n").startsWith("HTTP/1.1 400"));
        assertTrue(handshake(upgrade + key + "Sec-WebSocket-Version: 13\r\n").startsWith("HTTP/1.1 101"));
        bystanderCarriesOn();
    }

    // 6. Origins.

    @Test
    void theOwnHostOnlyOverHttpOrHttpsAndOriginsCompareNormalised() throws Exception {
        start(Map.of("ALLOWED_ORIGINS", "https://Friend.example/"));
        String host = "127.0.0.1:" + server.port();
        assertEquals(403, WsClient.refusedStatus(server.ws(), Map.of("Origin", "javascript://" + host)));
        assertEquals(403, WsClient.refusedStatus(server.ws(), Map.of("Origin", "file://" + host)));
        for (String origin : List.of("https://friend.example", "https://FRIEND.example:443", "https://friend.example/",
                "http://" + host, "HTTP://" + host + "/")) {
            try (WsClient ok = WsClient.connect(server.ws(), Map.of("Origin", origin))) {
                assertTrue(!ok.isClosed(), origin);
            }
        }
        assertEquals(403, WsClient.refusedStatus(server.ws(), Map.of("Origin", "http://friend.example")));
        bystanderCarriesOn();
    }

    @Test
    void herokusHttpsPageReachesThePlainPortWithNoSetting() throws Exception {
        start(Map.of());
        // The router ends TLS: the page is https://app.herokuapp.com, the request arrives as HTTP.
        String answer = RawSocket.exchange(server.port(), "GET /ws HTTP/1.1\r\nHost: app.herokuapp.com\r\n"
                + "Origin: https://app.herokuapp.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
        assertTrue(answer.startsWith("HTTP/1.1 101"), answer);
    }

    // 7. Names that hide or pass for another.

    @Test
    void invisibleAndBlankNamesAreRefused() throws Exception {
        start(Map.of());
        for (String name : List.of("\u200B", "\uFEFF", "\u00A0", "\u3164", "\u2800", "ann\u200E", "a\u200Fb",
                "x\u061C", "ann\u200D", "   ")) {
            String query = "?name=" + java.net.URLEncoder.encode(name, StandardCharsets.UTF_8);
            assertEquals(400, WsClient.refusedStatus(URI.create(server.ws() + query), Map.of()), "name " + name.codePoints().boxed().toList());
        }
        try (JsonClient ann = JsonClient.connect(server, "name=ann")) {
            ann.rename("ann\u200B");
            com.fasterxml.jackson.databind.JsonNode error = ann.next("error");
            assertEquals("bad-name", error.get("code").asText());
            ann.rename("e\u0301ve"); // decomposed: shown composed
            ann.send("hi");
            assertEquals("\u00e9ve", ann.next("message").get("from").asText());
        }
        bystanderCarriesOn();
    }

    // 8. A strict chorus.v1 parser.

    @Test
    void trailingContentDuplicateKeysAndLoneSurrogatesAreRefused() throws Exception {
        start(Map.of());
        try (JsonClient c = JsonClient.connect(server, "room=strict")) {
            Map<String, String> cases = new HashMap<>();
            cases.put("{\"type\":\"send\",\"text\":\"a\"} garbage", "bad-json");
            cases.put("{\"type\":\"send\",\"text\":\"a\"}{\"type\":\"send\",\"text\":\"b\"}", "bad-json");
            cases.put("{\"type\":\"send\",\"text\":\"a\",\"text\":\"b\"}", "bad-json");
            cases.put("{\"type\":\"send\",\"text\":\"A\\ud800B\"}", "bad-message");
            for (Map.Entry<String, String> each : cases.entrySet()) {
                c.socket().send(each.getKey());
                com.fasterxml.jackson.databind.JsonNode frame = c.next();
                assertEquals("error", frame.get("type").asText(), each.getKey() + " gave " + frame);
                assertEquals(each.getValue(), frame.get("code").asText(), each.getKey());
            }
            // Within the text limit, however it is escaped: 4 096 emoji written as \\u escapes.
            String escaped = "\\ud83d\\ude00".repeat(4096);
            c.socket().send("{\"type\":\"send\",\"text\":\"" + escaped + "\"}");
            assertEquals("\uD83D\uDE00".repeat(4096), c.next("message").get("text").asText());
        }
        bystanderCarriesOn();
    }

    // 10. Invalid UTF-8 is refused at the first fragment that holds it.

    @Test
    void invalidUtf8InAnEarlyFragmentClosesAtOnce() throws Exception {
        start(Map.of());
        try (RawSocket attacker = new RawSocket(server.port(), 64 * 1024)) {
            attacker.sendFrame(TEXT, new byte[] {'o', 'k', (byte) 0xC3, (byte) 0x28}, false); // not finished
            RawSocket.Frame close = attacker.readUntilClose(); // no further fragment is ever sent
            assertEquals(1007, close.closeCode());
        }
        assertNotEquals(null, metrics());
        bystanderCarriesOn();
    }
}
