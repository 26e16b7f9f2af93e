package chorus.web;

import chorus.ws.ClientAddress;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.component.LifeCycle;

/**
 * Budgets for plain HTTP connections (a WebSocket, once upgraded, counts among the sockets
 * instead): how many may be open in all and from one peer address, and a deadline for the headers
 * and body of every request, the first and each next one of a kept-alive connection (slowloris: a
 * byte every few seconds keeps Jetty's idle timeout from ever firing). Past the cap in all, the
 * connection waiting for a request's head from the address holding the most connections gives way
 * to the newcomer (held connections cost their holder, not the next visitor); past the deadline, a
 * connection that began no new request is closed. A connection past its address's cap is let in
 * to say what it wants: an upgrade goes on to the socket caps (an office behind one address opens
 * many at once), anything else is answered 429 ({@link #gate()}).
 */
public final class HttpConnections implements Connection.Listener {
    private final ScheduledExecutorService timer;
    private final long millis;
    private final int max;
    private final int maxPerAddress; // 0: not applied (behind a proxy every peer is the proxy)
    private final AtomicInteger open = new AtomicInteger();
    private final Map<String, Integer> perAddress = new ConcurrentHashMap<>(); // counted inside the map's own steps
    private final Map<Connection, Watch> watched = new ConcurrentHashMap<>();
    private final Counter timeouts;
    private final Counter refusedTotal;
    private final Counter evicted;
    private final Counter refusedAddress;

    /**
     * One open connection: its address, its deadline check (cancelled when it closes or upgrades),
     * when it opened, and whether it came past its address's cap.
     */
    private record Watch(String address, ScheduledFuture<?> deadline, long openedNanos, boolean overAddress) {
    }

    public HttpConnections(ScheduledExecutorService timer, Duration deadline, int max, int maxPerAddress,
            MeterRegistry registry) {
        this.timer = timer;
        this.millis = deadline.toMillis();
        this.max = max;
        this.maxPerAddress = maxPerAddress;
        this.timeouts = Counter.builder("chorus.http.header.timeouts")
                .description("connections closed for not sending a request's headers or body in time").register(registry);
        this.refusedTotal = refused(registry, "total");
        this.refusedAddress = refused(registry, "address");
        this.evicted = refused(registry, "evicted");
        Gauge.builder("chorus.http.connections", open, AtomicInteger::get)
                .description("plain HTTP connections open (not upgraded)").register(registry);
    }

    private static Counter refused(MeterRegistry registry, String reason) {
        return Counter.builder("chorus.http.connections.refused").tag("reason", reason)
                .description("HTTP connections refused: a request answered 429 past its address's cap, or closed past the"
                        + " cap in all (the newcomer, or evicted: one waiting for a request, of the address holding most)")
                .register(registry);
    }

    /** Watches every connection of the server's connectors, which exist once it starts. */
    public void install(Server server) {
        server.addEventListener(new LifeCycle.Listener() {
            @Override
            public void lifeCycleStarting(LifeCycle event) {
                for (Connector connector : server.getConnectors()) connector.addEventListener(HttpConnections.this);
            }
        });
    }

    @Override
    public void onOpened(Connection connection) {
        // Connector listeners also hear of the WebSocket connection an upgrade puts in its place.
        if (!(connection instanceof HttpConnection http)) return;
        String address = maxPerAddress > 0 ? address(connection.getEndPoint().getRemoteSocketAddress()) : null;
        boolean overAll = open.incrementAndGet() > max;
        boolean overAddress = address != null && perAddress.merge(address, 1, Integer::sum) > maxPerAddress;
        ScheduledFuture<?> deadline = timer.scheduleWithFixedDelay(new Deadline(http), millis, millis, TimeUnit.MILLISECONDS);
        watched.put(connection, new Watch(address, deadline, System.nanoTime(), overAddress));
        if (overAll) {
            Connection longest = longestWaiting(connection);
            (longest != null ? evicted : refusedTotal).increment();
            (longest != null ? longest : connection).getEndPoint().close();
        }
    }

    /**
     * The connection waiting for a request's head (idle, or trickling one) from the address that
     * holds the most connections, the one of them open longest; or null.
     */
    private Connection longestWaiting(Connection except) {
        Connection longest = null;
        int most = 0;
        long since = Long.MAX_VALUE;
        for (Map.Entry<Connection, Watch> e : watched.entrySet()) {
            Watch watch = e.getValue();
            int held = watch.address() == null ? 0 : perAddress.getOrDefault(watch.address(), 0);
            boolean before = held > most || held == most && watch.openedNanos() < since;
            if (e.getKey() != except && before && e.getKey() instanceof HttpConnection http
                    && http.getParser().inHeaderState() && http.getEndPoint().isOpen()) {
                longest = http;
                most = held;
                since = watch.openedNanos();
            }
        }
        return longest;
    }

    /**
     * Answers 429 to a request that is not an upgrade on a connection past its address's cap; to
     * sit after the upgrade handler, so upgrades pass. On Jetty's thread for the request.
     */
    public Handler.Wrapper gate() {
        return new Handler.Wrapper() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                Watch watch = watched.get(request.getConnectionMetaData().getConnection());
                if (watch == null || !watch.overAddress()) return super.handle(request, response, callback);
                refusedAddress.increment();
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
                Response.writeError(request, response, callback, 429, "too many HTTP connections from your address");
                return true;
            }
        };
    }

    @Override
    public void onClosed(Connection connection) {
        Watch watch = watched.remove(connection);
        if (watch == null) return;
        watch.deadline().cancel(false);
        open.decrementAndGet();
        if (watch.address() != null) {
            perAddress.computeIfPresent(watch.address(), (a, n) -> n > 1 ? n - 1 : null);
        }
    }

    private static String address(SocketAddress remote) {
        if (!(remote instanceof InetSocketAddress inet) || inet.getAddress() == null) return String.valueOf(remote);
        String canonical = ClientAddress.canonical(inet.getAddress().getHostAddress());
        return canonical != null ? canonical : inet.getAddress().getHostAddress();
    }

    /**
     * Every period: a connection that began no new request since the last look and is still waiting
     * for one or reading one (its parser is at or inside a request's head or body) is closed. A body
     * read blocks a thread, so a trickled one would hold it for as long as the bytes keep coming.
     */
    private final class Deadline implements Runnable {
        private final HttpConnection connection;
        private long lastSeen; // requests begun at the last look; only on the timer thread

        Deadline(HttpConnection connection) {
            this.connection = connection;
        }

        @Override
        public void run() {
            long requests = connection.getMessagesIn();
            HttpParser parser = connection.getParser();
            boolean idle = requests == lastSeen && (parser.inHeaderState() || parser.inContentState());
            lastSeen = requests;
            if (idle && connection.getEndPoint().getConnection() == connection && connection.getEndPoint().isOpen()) {
                timeouts.increment();
                connection.getEndPoint().close();
            }
        }
    }
}
