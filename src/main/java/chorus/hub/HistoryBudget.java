package chorus.hub;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One bound on the bytes every room's history keeps, charged for each encoding actually held, and
 * counted for the client address that made each room. Past it, the rooms of the address holding
 * the most go first (least recently active first, oldest messages first), down to nine tenths of
 * the bound, so shedding is rare and falls on whoever made the pressure. Shedding runs with no lock held and takes one room's lock
 * at a time; a room that lost messages answers an older {@code since} with a reset.
 */
final class HistoryBudget {
    private final long limit;
    private final AtomicLong held = new AtomicLong();
    private final Set<Room> rooms = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> byMaker = new ConcurrentHashMap<>(); // changed only inside the map's own steps
    private final ReentrantLock shedding = new ReentrantLock(); // taken with no room's lock held
    private final Counter evicted;

    HistoryBudget(long limit, MeterRegistry registry) {
        this.limit = limit;
        Gauge.builder("chorus.history.bytes", held, AtomicLong::get).description("bytes of history held, all rooms")
                .register(registry);
        this.evicted = Counter.builder("chorus.history.evicted.bytes")
                .description("bytes of history dropped to stay within HISTORY_BYTES").register(registry);
    }

    void charge(Room room, long bytes) {
        held.addAndGet(bytes);
        byMaker.merge(room.maker(), bytes, Long::sum);
        rooms.add(room);
    }

    void release(Room room, long bytes, boolean empty) {
        held.addAndGet(-bytes);
        byMaker.computeIfPresent(room.maker(), (m, b) -> b - bytes > 0 ? b - bytes : null);
        if (empty) rooms.remove(room);
    }

    void evicted(long bytes) {
        evicted.increment(bytes);
    }

    /**
     * Called with no lock held, after a room kept something. One thread sheds at a time; the
     * others wait for it while the bound is exceeded (they hold no room's lock, so it never waits
     * for them): the bound is overshot at most by the messages being kept at that very moment, one
     * per sender. Before, a sender that found another shedding went on at once, and a fast one
     * could add several more messages during one shedding pass (HistoryBudgetLincheckTest).
     */
    void enforce() {
        while (held.get() > limit) {
            shedding.lock();
            try {
                if (held.get() <= limit) return; // the one before us shed it
                long target = limit / 10 * 9;
                // Sorted by a snapshot: senders move a room's activity while we sort, and a key
                // that changes mid-sort breaks the sort's contract (TimSort throws).
                List<Activity> oldestFirst = new ArrayList<>(rooms.size());
                for (Room room : rooms) oldestFirst.add(new Activity(room, byMaker.getOrDefault(room.maker(), 0L), room.lastActiveNanos()));
                oldestFirst.sort(Comparator.comparingLong(Activity::makerBytes).reversed().thenComparingLong(Activity::nanos));
                for (Activity activity : oldestFirst) {
                    long excess = held.get() - target;
                    if (excess <= 0) break;
                    activity.room().shed(excess);
                }
            } finally {
                shedding.unlock();
            }
        }
    }

    private record Activity(Room room, long makerBytes, long nanos) {
    }

    long held() {
        return held.get();
    }
}
