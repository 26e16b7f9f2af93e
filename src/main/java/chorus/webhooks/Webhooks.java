package chorus.webhooks;

import chorus.tasks.TaskFailures;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.LoggerFactory;

/**
 * Delivers events to WEBHOOK_URL, signed as Standard Webhooks says: at least once (the same
 * webhook-id on every try), in order per room (or person), retried on anything but a 2xx with
 * growing delays for about a day ({@link #RETRY_MS}, a fifth of each random), stopped for good by a
 * 410. Never in chat's way: emitting only queues, within WEBHOOK_QUEUE_BYTES, in the {@link Outbox}
 * (in memory, or shared in Redis); the requests go out from this class's own thread and the HTTP
 * client's, a few at a time.
 */
public final class Webhooks {
    /** After each failed try of an event, the wait before the next; after the last, it is given up. About 25 hours in all. */
    static final long[] RETRY_MS = {1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 120_000, 300_000, 600_000, 1_800_000,
            3_600_000, 7_200_000, 14_400_000, 28_800_000, 28_800_000};
    private static final int MAX_IN_FLIGHT = 8;

    private final URI url;
    private final Signer signer;
    private final Duration timeout;
    private final Outbox queue;
    private final HttpClient http;
    private final ScheduledExecutorService thread;
    private final Counter delivered;
    private final Counter failed;
    private final Counter givenUp;
    private final Timer latency;
    private volatile boolean gone; // the receiver answered 410: no more deliveries until a restart
    private final AtomicReference<ScheduledFuture<?>> wake = new AtomicReference<>();
    private final AtomicReference<Outcome> lastSuccess = new AtomicReference<>();
    private final AtomicReference<Outcome> lastFailure = new AtomicReference<>();

    /** How a try ended: when, and its HTTP status or what failed. */
    private record Outcome(Instant at, String result) {
    }

    public Webhooks(URI url, Signer signer, Outbox outbox, Duration timeout, TaskFailures tasks, MeterRegistry registry) {
        this.url = url;
        this.signer = signer;
        this.timeout = timeout;
        this.queue = outbox;
        // HTTP/1.1: an http:// request offering the h2c upgrade is dropped by servers that take no upgrades (Node's).
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
        this.thread = tasks.thread("chorus-webhooks", "webhooks");
        this.delivered = Counter.builder("chorus.webhook.deliveries").tag("outcome", "delivered")
                .description("webhook deliveries the receiver took (2xx)").register(registry);
        this.failed = Counter.builder("chorus.webhook.deliveries").tag("outcome", "failed")
                .description("webhook tries that failed and will be tried again (a retry each)").register(registry);
        this.givenUp = Counter.builder("chorus.webhook.given.up").description("webhook events given up after their last retry")
                .register(registry);
        this.latency = Timer.builder("chorus.webhook.latency").description("a webhook request's round trip").register(registry);
        Gauge.builder("chorus.webhook.queue.bytes", queue, Outbox::bytes).description("bytes of events waiting (WEBHOOK_QUEUE_BYTES bounds it)")
                .register(registry);
        Gauge.builder("chorus.webhook.queue.events", queue, Outbox::size).description("events waiting for delivery").register(registry);
        Gauge.builder("chorus.webhook.dropped", queue, Outbox::dropped).description("events dropped, oldest first, past WEBHOOK_QUEUE_BYTES")
                .register(registry);
        queue.start(thread, this::wakeUp);
    }

    /** Queues an event (null: one not wanted) for delivery; never waits. Any thread. */
    public void emit(Event event) {
        if (event == null || gone) return;
        queue.add(event);
        wakeUp();
    }

    /** The pump runs on the webhooks' thread; once it stopped (the server is going), what waits stays unsent. */
    private void wakeUp() {
        try {
            thread.execute(this::pump);
        } catch (RejectedExecutionException stopping) {
            // what waits in memory is lost with the process, what waits in Redis another instance delivers
        }
    }

    /** On the webhooks' thread: every head that may go now goes; then a wake-up for the next one due. */
    private void pump() {
        if (gone) return;
        long now = System.currentTimeMillis();
        for (Outbox.Delivery delivery : queue.take(now, MAX_IN_FLIGHT)) send(delivery);
        long next = queue.nextDue();
        if (next != Long.MAX_VALUE && next > now) {
            ScheduledFuture<?> previous = wake.getAndSet(thread.schedule(this::pump, next - now, TimeUnit.MILLISECONDS));
            if (previous != null) previous.cancel(false);
        }
    }

    private void send(Outbox.Delivery delivery) {
        Event event = delivery.event();
        long dropped = queue.unreported();
        HttpRequest.Builder request = signer.request(url, timeout, event);
        // Events dropped past the bound are said on the next delivery, until one is taken.
        if (dropped > 0) request.header("chorus-dropped", Long.toString(dropped));
        long start = System.nanoTime();
        http.sendAsync(request.build(), HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
            latency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            int status = failure == null ? response.statusCode() : 0;
            if (status >= 200 && status < 300) {
                delivered.increment();
                queue.done(delivery, dropped);
                lastSuccess.set(new Outcome(Instant.now(), Integer.toString(status)));
            } else if (status == 410) {
                gone = true; // the receiver says this endpoint is gone: nothing more is sent
                lastFailure.set(new Outcome(Instant.now(), "410: endpoint disabled"));
            } else {
                String result = failure == null ? Integer.toString(status) : failure.getClass().getSimpleName();
                lastFailure.set(new Outcome(Instant.now(), result));
                if (delivery.attempt() >= RETRY_MS.length) {
                    givenUp.increment();
                    queue.done(delivery, 0);
                } else {
                    failed.increment();
                    long wait = RETRY_MS[delivery.attempt()];
                    queue.failed(delivery, System.currentTimeMillis() + wait - ThreadLocalRandom.current().nextLong(wait / 5 + 1));
                }
            }
            wakeUp();
        });
    }

    /** What GET /api/webhooks shows. */
    public Map<String, Object> status() {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("url", url.toString());
        status.put("enabled", !gone);
        status.put("queue", queue.mode());
        status.put("queued", queue.size());
        status.put("queuedBytes", queue.bytes());
        status.put("dropped", queue.dropped());
        status.put("givenUp", (long) givenUp.count());
        status.put("lastSuccess", outcome(lastSuccess.get()));
        status.put("lastFailure", outcome(lastFailure.get()));
        long next = queue.nextDue();
        status.put("nextTry", next == Long.MAX_VALUE ? null : Instant.ofEpochMilli(Math.max(next, System.currentTimeMillis())).toString());
        return status;
    }

    private static Map<String, Object> outcome(Outcome outcome) {
        if (outcome == null) return null;
        Map<String, Object> shown = new LinkedHashMap<>();
        shown.put("at", outcome.at().toString());
        shown.put("result", outcome.result());
        return shown;
    }

    public void stop() {
        try {
            thread.submit(queue::stop).get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            LoggerFactory.getLogger(Webhooks.class).debug("the outbox did not stop in time: {}", e.toString());
        }
        thread.shutdownNow();
    }
}
