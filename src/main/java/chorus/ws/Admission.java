package chorus.ws;

import chorus.auth.Identity;
import chorus.auth.TokenRefused;
import chorus.hub.Hub;

/**
 * Whether a socket may enter a room, asked for the URL's room at the upgrade and for each room a
 * join frame names: a private room only with a token naming it, and a room not here yet only
 * within MAX_ROOMS and its address's budget of new rooms.
 */
final class Admission {
    private final Hub hub;
    private final boolean verifies; // without keys every client is anonymous and no room is private

    Admission(Hub hub, boolean verifies) {
        this.hub = hub;
        this.verifies = verifies;
    }

    /** Refuses a room the client's token (null: none) does not let it into. */
    void mayEnter(Identity identity, String room) throws TokenRefused {
        if (!verifies) return;
        if (identity == null && room.startsWith(Identity.PRIVATE_PREFIX)) {
            throw new TokenRefused(401, "room " + room + " is private: join with a token that names it");
        }
        if (identity != null && !identity.mayJoin(room)) throw new TokenRefused(403, "your token does not name room " + room);
    }

    /**
     * A room that is not here yet is made only within MAX_ROOMS (the longest-empty room kept for
     * its history gives way first) and within its address's budget of new rooms.
     */
    void roomFor(String room, Addresses.Entry address) throws Sockets.Refused {
        if (hub.has(room)) return;
        if (!hub.spaceFor(room)) throw new Sockets.Refused(503, "too many rooms");
        if (address.newRooms.take() != TokenBucket.Verdict.ACCEPT) {
            throw new Sockets.Refused(429, "too many new rooms from your address");
        }
    }
}
