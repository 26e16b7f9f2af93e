package chorus.ws;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pings every socket each interval and drops those not heard from within the idle timeout.
 *
 * <p>The interval must stay well under the 55 s after which Heroku's router closes a quiet
 * socket. Jetty's own idle timeout cannot find dead peers: our pings count as activity.
 */
public final class Keepalive {
    private static final Logger LOG = LoggerFactory.getLogger(Keepalive.class);
    private final Sockets sockets;
    private final Duration interval;
    private final long idleNanos;
    private final ScheduledExecutorService timer;

    public Keepalive(Sockets sockets, ScheduledExecutorService timer, Duration interval, Duration idleTimeout) {
        this.sockets = sockets;
        this.timer = timer;
        this.interval = interval;
        this.idleNanos = idleTimeout.toNanos();
    }

    public void start() {
        long ms = interval.toMillis();
        timer.scheduleAtFixedRate(this::sweep, ms, ms, TimeUnit.MILLISECONDS);
    }

    private void sweep() {
        try {
            long now = System.nanoTime();
            for (Connection connection : sockets.open()) {
                if (now - connection.lastHeardNanos() > idleNanos) connection.abort(); // Jetty reports the close
                else connection.ping();
            }
        } catch (RuntimeException e) { // a thrown sweep would silently end the schedule
            LOG.warn("keepalive sweep failed", e);
        }
    }
}
