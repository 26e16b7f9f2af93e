package chorus.hub;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.LinkedHashSet;

/**
 * Empty rooms, kept for their history until a limit makes one give way: each listed once under
 * the client address that made it, in the order they went empty (a room that empties again moves
 * to the back), so the limit counts rooms, not the times they emptied. The one that gives way is
 * the longest-empty room of the address with the most empty rooms: whoever makes the pressure
 * loses its own rooms first, and a quiet bystander's room goes last.
 */
final class EmptyRooms {
    @GuardedBy("this") private final Map<String, LinkedHashSet<Room>> byMaker = new HashMap<>();
    @GuardedBy("this") private final Map<Room, Long> emptiedAt = new HashMap<>(); // by a count, to order rooms of different makers
    @GuardedBy("this") private long count;

    synchronized void add(Room room) {
        LinkedHashSet<Room> made = byMaker.computeIfAbsent(room.maker(), m -> new LinkedHashSet<>());
        made.remove(room);
        made.add(room);
        emptiedAt.put(room, ++count);
    }

    /**
     * Past {@code keep} listed: the longest-empty room of the address with the most (of those with
     * as many, the one empty longest), taken off the list; else null.
     */
    synchronized Room pollBeyond(int keep) {
        if (emptiedAt.size() <= keep) return null;
        LinkedHashSet<Room> most = null;
        for (LinkedHashSet<Room> made : byMaker.values()) {
            if (most == null || made.size() > most.size()
                    || made.size() == most.size() && emptiedAt.get(made.iterator().next()) < emptiedAt.get(most.iterator().next())) {
                most = made;
            }
        }
        Iterator<Room> oldest = most.iterator();
        Room room = oldest.next();
        oldest.remove();
        emptiedAt.remove(room);
        if (most.isEmpty()) byMaker.remove(room.maker());
        return room;
    }
}
