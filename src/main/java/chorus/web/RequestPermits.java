package chorus.web;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.function.ToDoubleFunction;
import org.eclipse.jetty.server.handler.QoSHandler;

/**
 * Plain HTTP requests may hold at most half of Jetty's threads at once (a request holds one while
 * its body is read, however slowly it comes): the other half stays for upgrades and for the
 * frames of open sockets. A request over the limit waits without a thread, in a bounded queue,
 * for a bounded time; past either it is answered 503.
 */
public final class RequestPermits {
    private RequestPermits() {
    }

    public static QoSHandler handler(int threads, int maxWaiting, Duration maxWait, MeterRegistry registry) {
        QoSHandler permits = new QoSHandler();
        permits.setMaxRequestCount(Math.max(1, threads / 2));
        permits.setMaxSuspendedRequestCount(maxWaiting);
        permits.setMaxSuspend(maxWait);
        Gauge.builder("chorus.http.requests.waiting", permits, QoSHandler::getSuspendedRequestCount)
                .description("HTTP requests waiting for a thread").register(registry);
        refused(registry, "queue-full", permits, QoSHandler::getTotalExceededRequestCount);
        refused(registry, "waited-too-long", permits, QoSHandler::getTotalExpiredRequestCount);
        return permits;
    }

    private static void refused(MeterRegistry registry, String reason, QoSHandler permits,
            ToDoubleFunction<QoSHandler> count) {
        FunctionCounter.builder("chorus.http.requests.refused", permits, count).tag("reason", reason)
                .description("HTTP requests answered 503 while waiting for a thread").register(registry);
    }
}
