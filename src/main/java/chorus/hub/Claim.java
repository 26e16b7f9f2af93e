package chorus.hub;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A name one person ({@link Person}) holds in a room, from the join until it leaves or is
 * renamed, and the look-alike keys it is known by. Let go of once, however many paths (a close
 * racing a join, a failed upgrade) try.
 */
public final class Claim {
    /** Thrown when another person in the room shows a name alike. */
    public static final class Taken extends Exception {
        public Taken(String name) {
            super(takenReason(name), null, false, false);
        }
    }

    public static String takenReason(String name) {
        return "the name " + name + " is taken in this room; choose another";
    }

    private final Room room;
    private final Person who;
    private final String name;
    private final List<String> keys;
    private final AtomicBoolean held = new AtomicBoolean(true);

    public Claim(Room room, Person who, String name, List<String> keys) {
        this.room = room;
        this.who = who;
        this.name = name;
        this.keys = List.copyOf(keys);
    }

    public Room room() {
        return room;
    }

    public Person who() {
        return who;
    }

    public String person() {
        return who.key();
    }

    public String user() {
        return who.user();
    }

    /** The tab (client id) holding it, or null. */
    public String tab() {
        return who.tab();
    }

    public String name() {
        return name;
    }

    List<String> keys() {
        return keys;
    }

    /** True the first time only: whoever gets it gives the name back. */
    boolean letGo() {
        return held.compareAndSet(true, false);
    }
}
