package chorus.bench;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * S subscribers on one URL, some of which also publish. A run sends at a total rate, with
 * latency counted from when each message was due (no coordinated omission) and only messages
 * due inside the measured window counted.
 */
final class Fleet implements AutoCloseable {
    /** One measured run. */
    record Result(double rate, long sent, long expected, long delivered, int subscribersClosed,
            double deliveriesPerSecond, double p50Ms, double p99Ms, double p999Ms, double maxMs) {
        long lost() {
            return expected - delivered;
        }

        double deliveredShare() {
            return expected == 0 ? 1 : (double) delivered / expected;
        }
    }

    private final WebSocketClient client;
    private final List<Subscriber> subscribers = new ArrayList<>();
    private final String subprotocol;
    private final Recorder latency = new Recorder(3);
    private final LongAdder delivered = new LongAdder();
    private final LongAdder closed = new LongAdder();

    private Fleet(WebSocketClient client, String subprotocol) {
        this.client = client;
        this.subprotocol = subprotocol;
    }

    static Fleet connect(URI url, int count, String subprotocol) throws Exception {
        return connect(List.of(url), count, subprotocol);
    }

    /** Subscribers spread round-robin over the URLs (instances sharing one backend). */
    static Fleet connect(List<URI> urls, int count, String subprotocol) throws Exception {
        QueuedThreadPool pool = new QueuedThreadPool(8, 2);
        pool.setName("fleet");
        HttpClient http = new HttpClient();
        http.setExecutor(pool);
        http.setMaxConnectionsPerDestination(count + 16);
        WebSocketClient client = new WebSocketClient(http);
        client.setIdleTimeout(Duration.ofMinutes(10));
        client.setMaxTextMessageSize(1 << 20);
        client.start();
        Fleet fleet = new Fleet(client, subprotocol);
        for (int batch = 0; batch < count; batch += 200) {
            List<CompletableFuture<Session>> pending = new ArrayList<>();
            for (int i = batch; i < Math.min(count, batch + 200); i++) {
                Subscriber s = new Subscriber(fleet.latency, fleet.delivered, fleet.closed);
                fleet.subscribers.add(s);
                ClientUpgradeRequest request = new ClientUpgradeRequest();
                if (subprotocol != null) request.setSubProtocols(subprotocol);
                pending.add(client.connect(s, urls.get(i % urls.size()), request));
            }
            for (CompletableFuture<Session> f : pending) f.get(30, TimeUnit.SECONDS);
        }
        Thread.sleep(300); // let the server finish registering the last sockets
        return fleet;
    }

    /** Warms up, then measures one window at the given total rate (messages per second). */
    Result run(double rate, int publishers, Duration warmup, Duration window, int size) throws InterruptedException {
        if (!warmup.isZero()) publish(rate, publishers, System.nanoTime(), warmup, size);
        Thread.sleep(200);
        long start = System.nanoTime();
        Subscriber.countFrom = start; // messages due before this were warm-up
        latency.reset();
        delivered.reset();
        long sent = publish(rate, publishers, start, window, size);
        long expected = sent * (subscribers.size() - closed.sum());
        long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (delivered.sum() < expected && System.nanoTime() < drainUntil) Thread.sleep(10);
        Histogram h = latency.getIntervalHistogram();
        long got = delivered.sum();
        double seconds = window.toNanos() / 1e9;
        return new Result(rate, sent, sent * subscribers.size(), got, (int) closed.sum(), got / seconds,
                h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
                h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0);
    }

    /** Sends at the total rate, round-robin over the publishers, from start for the duration. */
    private long publish(double rate, int publishers, long start, Duration duration, int size) {
        long interval = (long) (1e9 / rate);
        long end = start + duration.toNanos();
        long n = 0;
        for (long due = start; due < end; due = start + n * interval) {
            long wait = due - System.nanoTime();
            if (wait > 0) LockSupport.parkNanos(wait);
            Session publisher = subscribers.get((int) (n % publishers)).session;
            String message = Subscriber.message(due, size);
            if (publisher != null && publisher.isOpen()) {
                publisher.sendText(subprotocol == null ? message : "{\"type\":\"send\",\"text\":\"" + message + "\"}",
                        Callback.NOOP);
            }
            n++;
        }
        return n;
    }

    int size() {
        return subscribers.size();
    }

    @Override
    public void close() throws Exception {
        client.stop();
    }
}
