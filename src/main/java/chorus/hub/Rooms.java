package chorus.hub;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ScheduledExecutorService;

/** What every room shares: the backend, the history's size, the threads, and the meters. */
record Rooms(Backend backend, int historySize, ScheduledExecutorService timer, Flusher flusher,
        Counter delivered, Timer fanOut) {
}
