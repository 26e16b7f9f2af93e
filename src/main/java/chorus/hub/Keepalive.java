package chorus.hub;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pings every client each interval and drops those not heard from within the idle timeout.
 *
 * <p>The interval must stay well under the 55 s after which Heroku's router closes a quiet
 * socket. Jetty's own idle timeout cannot find dead peers: our pings count as activity.
 */
public final class Keepalive {
    private static final Logger LOG = LoggerFactory.getLogger(Keepalive.class);
    private final Hub hub;
    private final Duration interval;
    private final long idleNanos;
    private final ScheduledExecutorService timer;

    public Keepalive(Hub hub, ScheduledExecutorService timer, Duration interval, Duration idleTimeout) {
        this.hub = hub;
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
            pingOrDrop();
        } catch (RuntimeException e) { // a thrown sweep would silently end the schedule
            LOG.warn("keepalive sweep failed", e);
        }
    }

    private void pingOrDrop() {
        long now = System.nanoTime();
        for (Client client : hub.clients()) {
            if (now - client.lastHeardNanos() > idleNanos) {
                hub.leave(client);
                client.abort();
            } else {
                client.ping();
            }
        }
    }
}
