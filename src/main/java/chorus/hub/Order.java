package chorus.hub;

/**
 * An operator's command that every instance carries out for its own members: close a room,
 * disconnect a session or every session of a user, or refuse an address for a while.
 */
public record Order(Kind kind, String target, long seconds) {
    public enum Kind { CLOSE_ROOM, DISCONNECT, DISCONNECT_USER, BAN }

    public static Order closeRoom(String room) {
        return new Order(Kind.CLOSE_ROOM, room, 0);
    }

    /** Disconnects a session; with seconds above 0 its address is refused that long after. */
    public static Order disconnect(String session, long banSeconds) {
        return new Order(Kind.DISCONNECT, session, banSeconds);
    }

    /** Closes every session of a verified user; with seconds above 0 its tokens are refused that long. */
    public static Order disconnectUser(String user, long banSeconds) {
        return new Order(Kind.DISCONNECT_USER, user, banSeconds);
    }

    public static Order ban(String address, long seconds) {
        return new Order(Kind.BAN, address, seconds);
    }
}
