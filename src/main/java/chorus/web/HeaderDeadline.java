package chorus.web;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.AbstractMetaDataConnection;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.component.LifeCycle;

/**
 * Closes a connection whose first request has not arrived within the deadline (slowloris: one
 * header byte every few seconds keeps Jetty's idle timeout from ever firing, and holds a file
 * descriptor for good). A connection upgraded to a WebSocket is no longer ours to judge here.
 */
public final class HeaderDeadline implements Connection.Listener {
    private final ScheduledExecutorService timer;
    private final long millis;
    private final Counter dropped;
    // Cancelled when the connection closes or is upgraded, so no task keeps an HTTP connection
    // (its parser and buffers) alive for the whole deadline after its socket became a WebSocket.
    private final Map<Connection, ScheduledFuture<?>> pending = new ConcurrentHashMap<>();

    private HeaderDeadline(ScheduledExecutorService timer, Duration deadline, MeterRegistry registry) {
        this.timer = timer;
        this.millis = deadline.toMillis();
        this.dropped = Counter.builder("chorus.http.header.timeouts")
                .description("connections closed for not sending a request's headers in time").register(registry);
    }

    /** Watches every connection of the server's connectors, which exist once it starts. */
    public static void install(Server server, ScheduledExecutorService timer, Duration deadline, MeterRegistry registry) {
        HeaderDeadline listener = new HeaderDeadline(timer, deadline, registry);
        server.addEventListener(new LifeCycle.Listener() {
            @Override
            public void lifeCycleStarting(LifeCycle event) {
                for (Connector connector : server.getConnectors()) connector.addEventListener(listener);
            }
        });
    }

    @Override
    public void onOpened(Connection connection) {
        // Connector listeners also hear of the WebSocket connection an upgrade puts in its place.
        if (!(connection instanceof AbstractMetaDataConnection)) return;
        pending.put(connection, timer.schedule(() -> {
            pending.remove(connection);
            if (connection.getMessagesIn() == 0 && connection.getEndPoint().getConnection() == connection
                    && connection.getEndPoint().isOpen()) {
                dropped.increment();
                connection.getEndPoint().close();
            }
        }, millis, TimeUnit.MILLISECONDS));
    }

    @Override
    public void onClosed(Connection connection) {
        ScheduledFuture<?> deadline = pending.remove(connection);
        if (deadline != null) deadline.cancel(false);
    }
}
