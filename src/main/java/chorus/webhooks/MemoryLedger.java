package chorus.webhooks;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** The ledger of one instance, which is the only one: a departure waits its grace on the timer, and an arrival inside it cancels it. */
public final class MemoryLedger implements Ledger {
    private final Events events;
    private final Webhooks webhooks;
    private final ScheduledExecutorService timer;
    @GuardedBy("this") private final Map<String, ScheduledFuture<?>> leaving = new HashMap<>();

    public MemoryLedger(Events events, Webhooks webhooks, ScheduledExecutorService timer) {
        this.events = events;
        this.webhooks = webhooks;
        this.timer = timer;
    }

    @Override
    public synchronized void hold(String what, Change arrival, Change departure, Duration grace) {
        ScheduledFuture<?> departing = leaving.remove(what);
        if (departing != null) departing.cancel(false); // back within the grace: it never left
        else webhooks.emit(events.make(arrival));
    }

    @Override
    public synchronized void release(String what, Change departure, Duration grace) {
        if (grace.isZero()) {
            webhooks.emit(events.make(departure));
            return;
        }
        leaving.put(what, timer.schedule(() -> departed(what, departure), grace.toMillis(), TimeUnit.MILLISECONDS));
    }

    private synchronized void departed(String what, Change departure) {
        if (leaving.remove(what) != null) webhooks.emit(events.make(departure));
    }
}
