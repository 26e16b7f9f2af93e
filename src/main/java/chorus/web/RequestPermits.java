package chorus.web;

import chorus.ws.ClientAddress;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.QoSHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Requests with a body (a body read holds a thread however slowly it comes) may hold at most half
 * of Jetty's threads at once: the other half stays for upgrades and the frames of open sockets. A
 * request over the limit waits without a thread, in a bounded queue, for a bounded time; past
 * either it is answered 503. One client address may hold at most a quarter of these permits: past
 * its share it is answered 429 at once, so trickled bodies from one address never make others
 * wait. Requests without a body (/health, the page and its files, /metrics) take no permit: they
 * are answered from memory at once, and never wait behind anyone's body.
 */
public final class RequestPermits extends Handler.Wrapper {
    private final int share;
    private final boolean trustProxy;
    private final Map<String, Integer> held = new ConcurrentHashMap<>(); // changed only inside the map's own steps
    private final Counter overShare;

    private RequestPermits(int share, boolean trustProxy, Counter overShare) {
        this.share = share;
        this.trustProxy = trustProxy;
        this.overShare = overShare;
    }

    /** The permits, in front of whatever is set as the innermost handler (Javalin's servlet context). */
    public static Handler.Wrapper handler(int threads, int maxWaiting, Duration maxWait, boolean trustProxy,
            MeterRegistry registry) {
        int permits = Math.max(1, threads / 2);
        QoSHandler queue = new QoSHandler();
        queue.include(RequestPermits::hasBody);
        queue.setMaxRequestCount(permits);
        queue.setMaxSuspendedRequestCount(maxWaiting);
        queue.setMaxSuspend(maxWait);
        Gauge.builder("chorus.http.requests.waiting", queue, QoSHandler::getSuspendedRequestCount)
                .description("HTTP requests waiting for a thread").register(registry);
        refused(registry, "queue-full", queue, QoSHandler::getTotalExceededRequestCount);
        refused(registry, "waited-too-long", queue, QoSHandler::getTotalExpiredRequestCount);
        Counter overShare = Counter.builder("chorus.http.requests.refused").tag("reason", "address-share")
                .description("HTTP requests refused: 503 while waiting for a thread, or 429 past an address's share")
                .register(registry);
        RequestPermits shares = new RequestPermits(Math.max(1, permits / 4), trustProxy, overShare);
        shares.setHandler(queue);
        return shares;
    }

    private static void refused(MeterRegistry registry, String reason, QoSHandler permits,
            ToDoubleFunction<QoSHandler> count) {
        FunctionCounter.builder("chorus.http.requests.refused", permits, count).tag("reason", reason)
                .description("HTTP requests refused: 503 while waiting for a thread, or 429 past an address's share")
                .register(registry);
    }

    static boolean hasBody(Request request) {
        return request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    }

    /** On Jetty's thread for the request: takes the address's share, given back when the request completes. */
    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!hasBody(request)) return super.handle(request, response, callback);
        String named = ClientAddress.of(request.getHeaders().getValuesList("X-Forwarded-For"), Request.getRemoteAddr(request),
                trustProxy);
        String address = named != null ? named : "not an address"; // refused later, with its reason
        boolean[] over = {false};
        held.compute(address, (a, n) -> {
            int now = n == null ? 0 : n;
            if (now >= share) over[0] = true;
            return over[0] ? n : now + 1;
        });
        if (over[0]) {
            overShare.increment();
            Response.writeError(request, response, callback, 429, "too many requests with a body from your address at once");
            return true;
        }
        Request.addCompletionListener(request, failure -> held.computeIfPresent(address, (a, n) -> n > 1 ? n - 1 : null));
        return super.handle(request, response, callback);
    }
}
