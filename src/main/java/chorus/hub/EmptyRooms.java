package chorus.hub;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.Iterator;
import java.util.LinkedHashSet;

/**
 * Rooms in the order they last went empty, each listed once (a room that empties again moves to
 * the back), so the limit counts rooms, not the times they emptied.
 */
final class EmptyRooms {
    @GuardedBy("this") private final LinkedHashSet<Room> rooms = new LinkedHashSet<>();

    synchronized void add(Room room) {
        rooms.remove(room);
        rooms.add(room);
    }

    /** The room that went empty longest ago, if more than {@code keep} are listed; else null. */
    synchronized Room pollBeyond(int keep) {
        if (rooms.size() <= keep) return null;
        Iterator<Room> oldest = rooms.iterator();
        Room room = oldest.next();
        oldest.remove();
        return room;
    }
}
