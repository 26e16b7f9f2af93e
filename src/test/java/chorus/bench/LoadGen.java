package chorus.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;

/**
 * Chorus's load generator: S subscribers on one URL, P of them also publishing, at a total
 * message rate for a duration. Reports deliveries per second, latency percentiles (HdrHistogram)
 * and messages lost. Optionally adds stalled sockets that never read.
 *
 * <pre>bin/bench load --url ws://127.0.0.1:7070/ws --subscribers 1000 --rate 50 --duration 10s</pre>
 */
public final class LoadGen {
    public record Options(URI url, int subscribers, int publishers, double rate, Duration duration,
            Duration warmup, int size, int stalled, String subprotocol) {
    }

    public record Result(long sent, long expected, long delivered, long lost, int subscribersClosed,
            double deliveriesPerSecond, double p50Ms, double p99Ms, double p999Ms, double maxMs) {
        public Map<String, Object> toMap() {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("sent", sent);
            map.put("expectedDeliveries", expected);
            map.put("delivered", delivered);
            map.put("lost", lost);
            map.put("subscribersClosed", subscribersClosed);
            map.put("deliveriesPerSecond", Math.round(deliveriesPerSecond));
            map.put("p50Ms", p50Ms);
            map.put("p99Ms", p99Ms);
            map.put("p999Ms", p999Ms);
            map.put("maxMs", maxMs);
            return map;
        }
    }

    private LoadGen() {
    }

    public static Result run(Options o) throws Exception {
        Recorder latency = new Recorder(3);
        LongAdder delivered = new LongAdder();
        LongAdder closed = new LongAdder();
        QueuedThreadPool pool = new QueuedThreadPool(8, 2);
        pool.setName("loadgen");
        HttpClient http = new HttpClient();
        http.setExecutor(pool);
        http.setMaxConnectionsPerDestination(o.subscribers() + 16);
        WebSocketClient client = new WebSocketClient(http);
        client.setIdleTimeout(Duration.ofMinutes(10));
        client.setMaxTextMessageSize(1 << 20);
        client.start();
        List<Socket> stalled = new ArrayList<>();
        try {
            List<Subscriber> subscribers = connect(client, o, latency, delivered, closed);
            for (int i = 0; i < o.stalled(); i++) stalled.add(stall(o.url()));

            if (!o.warmup().isZero()) {
                publish(subscribers, o, o.warmup());
                Thread.sleep(500);
            }
            latency.reset();
            delivered.reset();
            long start = System.nanoTime();
            long sent = publish(subscribers, o, o.duration());
            long expected = sent * o.subscribers();
            long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (delivered.sum() < expected - closed.sum() * sent && System.nanoTime() < drainUntil) {
                Thread.sleep(10);
            }
            double seconds = Math.max(o.duration().toNanos(), System.nanoTime() - start - 10_000_000L) / 1e9;
            Histogram h = latency.getIntervalHistogram();
            long got = delivered.sum();
            return new Result(sent, expected, got, expected - got, (int) closed.sum(),
                    got / seconds, h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                    h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0);
        } finally {
            for (Socket s : stalled) s.close();
            client.stop();
        }
    }

    private static List<Subscriber> connect(WebSocketClient client, Options o, Recorder latency,
            LongAdder delivered, LongAdder closed) throws Exception {
        List<Subscriber> subscribers = new ArrayList<>();
        for (int batch = 0; batch < o.subscribers(); batch += 200) {
            List<CompletableFuture<Session>> pending = new ArrayList<>();
            for (int i = batch; i < Math.min(o.subscribers(), batch + 200); i++) {
                Subscriber s = new Subscriber(latency, delivered, closed);
                subscribers.add(s);
                ClientUpgradeRequest request = new ClientUpgradeRequest();
                if (o.subprotocol() != null) request.setSubProtocols(o.subprotocol());
                pending.add(client.connect(s, o.url(), request));
            }
            for (CompletableFuture<Session> f : pending) f.get(30, TimeUnit.SECONDS);
        }
        Thread.sleep(300); // let the server finish registering the last sockets
        return subscribers;
    }

    /** Sends at the total rate, round-robin over the publishers; returns how many it sent. */
    private static long publish(List<Subscriber> subscribers, Options o, Duration duration) {
        long interval = (long) (1e9 / o.rate());
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long n = 0;
        for (long due = start; due < end; due = start + n * interval) {
            long wait = due - System.nanoTime();
            if (wait > 0) LockSupport.parkNanos(wait);
            Session publisher = subscribers.get((int) (n % o.publishers())).session;
            String message = Subscriber.message(due, o.size());
            publisher.sendText(o.subprotocol() == null ? message : "{\"type\":\"send\",\"text\":\"" + message + "\"}",
                    Callback.NOOP);
            n++;
        }
        return n;
    }

    /** A socket that completes the handshake and never reads again. */
    private static Socket stall(URI url) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(new java.net.InetSocketAddress(url.getHost(), url.getPort()));
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + url.getPath() + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Args.parse(args);
        double rate = Double.parseDouble(a.getOrDefault("rate", "50"));
        int subscribers = Integer.parseInt(a.getOrDefault("subscribers", "1000"));
        // Ten messages a second per publisher keeps each under the server's default rate limit.
        int publishers = Integer.parseInt(a.getOrDefault("publishers",
                String.valueOf(Math.min(subscribers, (int) Math.ceil(rate / 10)))));
        Options o = new Options(URI.create(a.getOrDefault("url", "ws://127.0.0.1:7070/ws")), subscribers, publishers,
                rate, Args.duration(a.getOrDefault("duration", "10s")), Args.duration(a.getOrDefault("warmup", "2s")),
                Integer.parseInt(a.getOrDefault("size", "64")), Integer.parseInt(a.getOrDefault("stalled", "0")),
                a.get("subprotocol"));
        Result r = run(o);
        System.out.printf("subscribers %d (publishers %d, stalled %d), %.0f msg/s for %s, %d-byte messages%n",
                o.subscribers(), o.publishers(), o.stalled(), o.rate(), o.duration(), o.size());
        System.out.printf("sent %d  delivered %d of %d  lost %d  subscribers closed %d%n",
                r.sent(), r.delivered(), r.expected(), r.lost(), r.subscribersClosed());
        System.out.printf("deliveries/s %.0f  latency ms p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f%n",
                r.deliveriesPerSecond(), r.p50Ms(), r.p99Ms(), r.p999Ms(), r.maxMs());
        if (a.containsKey("json")) {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(Path.of(a.get("json")).toFile(), r.toMap());
        }
    }
}
