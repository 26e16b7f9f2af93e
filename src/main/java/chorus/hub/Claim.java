package chorus.hub;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A name one person holds in a room, from the upgrade until its socket closes or it is renamed,
 * and the look-alike keys it is known by. A person is {@code user:<sub>} (verified),
 * {@code client:<id>} (a page's lasting id) or {@code session:<id>}: the same user in two tabs, or
 * a client reconnecting, is one person and keeps its name. Let go of once, however many paths
 * (a close racing a join, a failed upgrade) try.
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
    private final String person;
    private final String user;
    private final String name;
    private final List<String> keys;
    private final AtomicBoolean held = new AtomicBoolean(true);

    public Claim(Room room, String person, String user, String name, List<String> keys) {
        this.room = room;
        this.person = person;
        this.user = user;
        this.name = name;
        this.keys = List.copyOf(keys);
    }

    public static String person(String user, String client, String session) {
        return user != null ? "user:" + user : client != null ? "client:" + client : "session:" + session;
    }

    public Room room() {
        return room;
    }

    public String person() {
        return person;
    }

    public String user() {
        return user;
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
