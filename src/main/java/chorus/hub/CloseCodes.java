package chorus.hub;

/** The close codes and reasons Chorus sends; README lists them for client authors. */
public final class CloseCodes {
    public static final int GOING_AWAY = 1001;
    public static final String RESTARTING = "server restarting";

    public static final int UNSUPPORTED = 1003;
    public static final String BINARY_REASON = "binary messages are not supported; send text";

    public static final int POLICY = 1008;
    public static final int TOO_SLOW = POLICY;
    public static final String TOO_SLOW_REASON = "too slow";
    public static final String RATE_REASON = "rate limit exceeded";
    public static final String FRAGMENTS_REASON = "message in too many fragments";
    public static final String MESSAGE_TIMEOUT_REASON = "message not finished in time";

    public static final int ROOM_CLOSED = 4001;
    public static final String ROOM_CLOSED_REASON = "room closed";
    public static final int DISCONNECTED = 4002;
    public static final String DISCONNECTED_REASON = "disconnected by an operator";
    public static final int TOKEN_EXPIRED = 4003;
    public static final String TOKEN_EXPIRED_REASON = "token expired";
    public static final int REPLACED = 4005;
    public static final String REPLACED_REASON = "replaced by a newer connection of this client";
    public static final int NAME_TAKEN = 4009;
    public static final String NAME_TAKEN_REASON = "name taken by a verified user";

    public static final int TRY_AGAIN = 1013;
    public static final String UNAVAILABLE_REASON = "storage unavailable; not sent, try again";
    public static final String UNKNOWN_REASON = "storage timed out; the message may have been delivered";

    private CloseCodes() {
    }

    /** Closes that need no log line: the peer left or we said goodbye. */
    public static boolean isExpected(int code) {
        return code == 1000 || code == GOING_AWAY || code == 1005 || code == POLICY;
    }
}
