package chorus.hub;

import chorus.protocol.Pace;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every room shares: the backend, the history's size, the limits welcomes announce, the timer, the member count, the
 * queue of rooms that went empty, and the meters. Rooms only add to these; none calls back.
 */
record Rooms(Backend backend, int historySize, Pace pace, HistoryBudget budget, ScheduledExecutorService timer, AtomicInteger members,
        EmptyRooms emptied, Counter delivered, Counter slowDropped, Timer fanOut, Activity activity) {
}
