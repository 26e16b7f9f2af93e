package chorus.webhooks;

import java.util.List;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Where events wait for delivery: in this process ({@link Queue}), or in Redis for every instance
 * (chorus.redis.SharedOutbox). The deliverer takes the heads of lines, a line per room or person
 * whose events go one at a time and in order, and says how each try ended.
 */
public interface Outbox {
    /** The head of a line, handed out for delivery: its attempt (0 the first). */
    record Delivery(String key, Event event, int attempt) {
    }

    /** Called once by the deliverer, before anything else: wake asks it to take what may now be due, on thread. */
    void start(ScheduledExecutorService thread, Runnable wake);

    /** Queues an event; never waits. Any thread. */
    void add(Event event);

    /** Heads that may go now, marked in flight, while fewer than max are. */
    List<Delivery> take(long now, int max);

    /** When the next head not in flight may go (ms), or Long.MAX_VALUE when none waits. */
    long nextDue();

    /** The delivery was taken (a 2xx) or given up; it told the receiver of this many events dropped. */
    void done(Delivery delivery, long reported);

    /** The delivery failed: its event is tried again from this time (ms). */
    void failed(Delivery delivery, long retryAt);

    /** Events dropped past the bound that no delivery taken has told of yet. */
    long unreported();

    long dropped();

    long size();

    long bytes();

    /** Where events wait and who delivers them, for GET /api/webhooks. */
    String mode();

    /** The server is stopping; on the deliverer's thread, before it stops. */
    void stop();
}
