package chorus.bench;

import chorus.support.RawSocket;
import chorus.support.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bystander chats while five attacks run at once: <pre>bin/bench attack [--duration 300s] [--heap 256m]</pre>
 * Chorus is started as the Procfile starts it, with its default limits and a small heap. From
 * their own loopback addresses: 30 request bodies trickled a byte every 2 s (reopened as they are
 * closed), a flood of upgrades with invalid tokens, 50 addresses bringing new rooms into being,
 * 20 readers that never read in a room a sender floods with 16 KB messages, and 100 sockets joining
 * and leaving one room (a presence storm). The bystander, on 127.0.0.1, sends a message a second
 * and times its own echo; at the end a newcomer reads the room's history, which must hold the
 * bystander's last messages in order.
 */
public final class AttackBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TEXT = 0x1;

    private AttackBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Args.parse(args);
        Duration duration = Args.duration(a.getOrDefault("duration", "300s"));
        String heap = a.getOrDefault("heap", "256m");
        String command = a.getOrDefault("server", Files.readString(Path.of("Procfile")).strip().replaceFirst("^web: ", ""));
        try (ServerProcess server = ServerProcess.start(command, Map.of("JAVA_OPTS", "-Xmx" + heap))) {
            long end = System.nanoTime() + duration.toNanos();
            AtomicLong attacks = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 30; i++) threads.add(loop("slow-body-" + i, end, attacks, () -> slowBody(server.port, end)));
            threads.add(loop("invalid-tokens", end, attacks, () -> invalidToken(server.port)));
            for (int i = 1; i <= 50; i++) {
                String from = "127.0.2." + i;
                AtomicLong n = new AtomicLong();
                threads.add(loop("rooms-" + i, end, attacks, () -> newRoom(server.port, from, n.incrementAndGet())));
            }
            threads.add(loop("slow-readers", end, attacks, () -> slowReaders(server.port, end)));
            for (int i = 0; i < 100; i++) {
                String name = "storm" + i;
                threads.add(loop("presence-" + i, end, attacks, () -> joinAndLeave(server.port, name)));
            }
            threads.forEach(Thread::start);
            Bystander bystander = new Bystander(server.port);
            long sent = 0;
            while (System.nanoTime() < end) {
                bystander.send(++sent);
                Thread.sleep(1000);
            }
            Thread.sleep(2000);
            for (Thread t : threads) t.join(15_000);
            bystander.report(sent, attacks.get());
            System.out.printf("server RSS at the end: %.0f MB%n", server.rssBytes() / 1e6);
            bystander.checkHistory(server.port, sent);
        }
    }

    private interface Attack {
        void run() throws Exception;
    }

    /** Runs the attack again and again until the end; its failures (refusals, closes) are what it is for. */
    private static Thread loop(String name, long end, AtomicLong attacks, Attack attack) {
        Thread t = new Thread(() -> {
            while (System.nanoTime() < end) {
                try {
                    attack.run();
                } catch (Exception refused) {
                    sleep(20);
                }
                attacks.incrementAndGet();
            }
        }, name);
        t.setDaemon(true);
        return t;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Socket from(String address, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(address, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        s.setSoTimeout(5000);
        return s;
    }

    /** A POST /check whose 4 000-byte body comes a byte every 2 s, until the server closes it. */
    private static void slowBody(int port, long end) throws Exception {
        try (Socket s = from("127.0.0.5", port)) {
            OutputStream out = s.getOutputStream();
            out.write("POST /check?room=lobby HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 4000 && System.nanoTime() < end; i++) {
                out.write('x');
                out.flush();
                Thread.sleep(2000);
            }
        }
    }

    private static void invalidToken(int port) throws Exception {
        RawSocket.refusal(port, "127.0.0.6", "/ws?room=lobby",
                "Sec-WebSocket-Protocol: chorus.v1, chorus.token.eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bm90LWEtc2lnbmF0dXJl\r\n");
    }

    private static void newRoom(int port, String from, long n) throws Exception {
        try (RawSocket s = new RawSocket(port, 65536, from, "/ws?room=made-" + from.replace('.', '-') + "-" + n,
                "Sec-WebSocket-Protocol: chorus.v1\r\n")) {
            s.readFrame();
        }
    }

    /** 20 readers that never read, in a room one sender floods with 16 KB messages at its rate limit. */
    private static void slowReaders(int port, long end) throws Exception {
        List<RawSocket> stalled = new ArrayList<>();
        try (RawSocket sender = new RawSocket(port, 1 << 20, "127.0.0.8", "/ws?room=flooded", "")) {
            for (int i = 0; i < 20; i++) stalled.add(new RawSocket(port, 4096, "127.0.0.8", "/ws?room=flooded", ""));
            byte[] text = "f".repeat(16 * 1024).getBytes(StandardCharsets.US_ASCII);
            Thread drain = new Thread(() -> {
                try {
                    while (true) sender.readFrame();
                } catch (IOException closed) {
                    // the sender's own echo, read until it ends
                }
            });
            drain.setDaemon(true);
            drain.start();
            while (System.nanoTime() < end) {
                sender.sendFrame(TEXT, text);
                Thread.sleep(55); // under the default 20 a second
            }
        } finally {
            for (RawSocket s : stalled) s.close();
        }
    }

    private static void joinAndLeave(int port, String name) throws Exception {
        try (RawSocket s = new RawSocket(port, 65536, "127.0.0.9", "/ws?room=busy&name=" + name, "Sec-WebSocket-Protocol: chorus.v1\r\n")) {
            s.readFrame();
        }
        Thread.sleep(50);
    }

    /** The innocent one: a message a second, each timed from its send to its own echo. */
    private static final class Bystander implements WebSocket.Listener {
        private final WebSocket socket;
        private final Map<Long, Long> sentAt = new ConcurrentHashMap<>();
        private final List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        private final StringBuilder partial = new StringBuilder();

        Bystander(int port) {
            socket = HttpClient.newHttpClient().newWebSocketBuilder().subprotocols("chorus.v1")
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws?room=bystander&name=bystander"), this).join();
        }

        void send(long n) {
            sentAt.put(n, System.nanoTime());
            socket.sendText("{\"type\":\"send\",\"text\":\"bystander " + n + "\",\"ref\":\"r" + n + "\"}", true);
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    JsonNode frame = JSON.readTree(partial.toString());
                    if ("message".equals(frame.path("type").asText()) && frame.path("text").asText().startsWith("bystander ")) {
                        Long at = sentAt.remove(Long.parseLong(frame.path("text").asText().substring(10)));
                        if (at != null) latencies.add(System.nanoTime() - at);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        void report(long sent, long attacks) {
            List<Long> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            long late = sorted.stream().filter(l -> l > TimeUnit.SECONDS.toNanos(1)).count();
            System.out.printf("attacks made: %d%n", attacks);
            System.out.printf("bystander: %d sent, %d echoed, %d missing, %d later than 1 s%n", sent, sorted.size(),
                    sent - sorted.size(), late);
            if (!sorted.isEmpty()) {
                System.out.printf("bystander latency: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", ms(sorted, 0.5), ms(sorted, 0.99),
                        sorted.get(sorted.size() - 1) / 1e6);
            }
        }

        private static double ms(List<Long> sorted, double q) {
            return sorted.get(Math.min(sorted.size() - 1, (int) (q * sorted.size()))) / 1e6;
        }

        /** A newcomer's history: the bystander's last messages (as many as the history keeps), in order. */
        void checkHistory(int port, long sent) throws Exception {
            WsClient reader = WsClient.connect(URI.create("ws://127.0.0.1:" + port + "/ws?room=bystander"), Map.of(), "chorus.v1");
            List<Long> history = new ArrayList<>();
            String frame;
            while ((frame = reader.poll(Duration.ofSeconds(2))) != null) {
                JsonNode node = JSON.readTree(frame);
                if ("message".equals(node.path("type").asText())) history.add(Long.parseLong(node.path("text").asText().substring(10)));
            }
            reader.close();
            boolean inOrder = !history.isEmpty() && history.get(history.size() - 1) == sent;
            for (int i = 1; i < history.size(); i++) inOrder &= history.get(i) == history.get(i - 1) + 1;
            System.out.printf("history: %d messages, %s%n", history.size(),
                    inOrder ? "the bystander's last ones, in order" : "NOT the bystander's last ones in order: " + history);
        }
    }
}
