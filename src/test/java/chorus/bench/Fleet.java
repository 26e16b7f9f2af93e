package chorus.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * S subscribers on one URL (or spread over several), some of which also publish. A run sends at
 * a total rate, with latency counted from when each message was due (no coordinated omission)
 * and only messages due inside the measured window counted. Two reader threads, each with a
 * selector, read every socket: the generator stays cheap next to the servers it measures.
 */
final class Fleet implements AutoCloseable {
    private static final int READERS = 2;

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

    private final List<Subscriber> subscribers = new ArrayList<>();
    private final String subprotocol;
    private final Recorder latency = new Recorder(3);
    private final LongAdder delivered = new LongAdder();
    private final Selector[] selectors = new Selector[READERS];
    private final Thread[] readers = new Thread[READERS];
    private volatile long countFrom = Long.MAX_VALUE; // messages due before this are warm-up
    private volatile boolean running = true;

    private Fleet(String subprotocol) {
        this.subprotocol = subprotocol;
    }

    static Fleet connect(URI url, int count, String subprotocol) throws Exception {
        return connect(List.of(url), count, subprotocol);
    }

    /** Subscribers spread round-robin over the URLs (instances sharing one backend). */
    static Fleet connect(List<URI> urls, int count, String subprotocol) throws Exception {
        Fleet fleet = new Fleet(subprotocol);
        ExecutorService dialers = Executors.newFixedThreadPool(32);
        List<CompletableFuture<Subscriber>> pending = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            URI url = urls.get(i % urls.size());
            pending.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return Subscriber.connect(url, subprotocol);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, dialers));
        }
        try {
            for (CompletableFuture<Subscriber> f : pending) fleet.subscribers.add(f.get(30, TimeUnit.SECONDS));
        } finally {
            dialers.shutdownNow();
        }
        for (int r = 0; r < READERS; r++) fleet.selectors[r] = Selector.open();
        for (int i = 0; i < fleet.subscribers.size(); i++) {
            Subscriber s = fleet.subscribers.get(i);
            s.channel.register(fleet.selectors[i % READERS], SelectionKey.OP_READ, s);
        }
        for (int r = 0; r < READERS; r++) {
            Selector selector = fleet.selectors[r];
            fleet.readers[r] = new Thread(() -> fleet.read(selector), "fleet-reader-" + r);
            fleet.readers[r].setDaemon(true);
            fleet.readers[r].start();
        }
        Thread.sleep(300); // let the server finish registering the last sockets
        return fleet;
    }

    private void read(Selector selector) {
        Subscriber.Sink sink = (due, now) -> {
            if (due < countFrom) return;
            latency.recordValue(Math.max(0, (now - due) / 1000));
            delivered.increment();
        };
        try {
            while (running) {
                selector.select(100);
                for (SelectionKey key : selector.selectedKeys()) {
                    Subscriber s = (Subscriber) key.attachment();
                    try {
                        s.readable(sink);
                    } catch (IOException e) {
                        s.closed = true;
                    }
                    if (s.closed) key.cancel();
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private int closedCount() {
        int n = 0;
        for (Subscriber s : subscribers) if (s.closed) n++;
        return n;
    }

    /** Warms up, then measures one window at the given total rate (messages per second). */
    Result run(double rate, int publishers, Duration warmup, Duration window, int size) throws InterruptedException {
        return run(rate, publishers, warmup, window, size, subscribers.size());
    }

    /** The same, where each message reaches only its audience (the members of its room). */
    Result run(double rate, int publishers, Duration warmup, Duration window, int size, int audience)
            throws InterruptedException {
        if (!warmup.isZero()) publish(rate, publishers, System.nanoTime(), warmup, size);
        Thread.sleep(200);
        long start = System.nanoTime();
        countFrom = start;
        latency.reset();
        delivered.reset();
        long sent = publish(rate, publishers, start, window, size);
        long expected = sent * Math.min(audience, subscribers.size() - closedCount());
        long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (delivered.sum() < expected && System.nanoTime() < drainUntil) Thread.sleep(10);
        Histogram h = latency.getIntervalHistogram();
        long got = delivered.sum();
        double seconds = window.toNanos() / 1e9;
        return new Result(rate, sent, sent * audience, got, closedCount(), got / seconds,
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
            Subscriber publisher = subscribers.get((int) (n % publishers));
            String text = Subscriber.send(Subscriber.message(due, size), subprotocol);
            if (!publisher.closed) {
                try {
                    publisher.send(0x1, text.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    publisher.closed = true;
                }
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
        running = false;
        for (Thread reader : readers) if (reader != null) reader.join(1000);
        for (Selector selector : selectors) if (selector != null) selector.close();
        for (Subscriber s : subscribers) s.channel.close();
    }
}
