package chorus.hub;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ScheduledExecutorService;

/** What every room shares: the history's epoch and size, the threads, and the meters. */
record Rooms(long epoch, int historySize, ScheduledExecutorService timer, Flusher flusher,
        Counter received, Counter delivered, Timer fanOut) {
}
