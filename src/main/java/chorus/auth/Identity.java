package chorus.auth;

import java.time.Instant;
import java.util.List;

/**
 * Who a verified token says a user is: the app's own user id ({@code sub}), the name to show,
 * the rooms it may join (null: every room not named {@code private-...}) and when it expires.
 */
public record Identity(String user, String name, List<String> rooms, Instant expires) {
    public static final String PRIVATE_PREFIX = "private-";

    /** Whether this token lets its user into the room: an exact name, or a prefix ending in '*'. */
    public boolean mayJoin(String room) {
        if (rooms == null) return !room.startsWith(PRIVATE_PREFIX);
        for (String granted : rooms) {
            if (granted.endsWith("*") ? room.startsWith(granted.substring(0, granted.length() - 1)) : room.equals(granted)) {
                return true;
            }
        }
        return false;
    }
}
