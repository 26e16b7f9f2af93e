package chorus.hub;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** Rooms in the order they went empty, counted in O(1) (a room may be listed more than once). */
final class EmptyRooms {
    private final ConcurrentLinkedQueue<Room> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();

    void add(Room room) {
        queue.add(room);
        size.incrementAndGet();
    }

    /** The room that went empty longest ago, if more than {@code keep} are listed; else null. */
    Room pollBeyond(int keep) {
        if (size.get() <= keep) return null;
        Room oldest = queue.poll();
        if (oldest != null) size.decrementAndGet();
        return oldest;
    }
}
