package chorus.protocol;

/** The machine-readable codes of chorus.v1 error frames; after any of them the socket stays open. */
public enum ErrorCode {
    BAD_JSON("bad-json"),
    UNKNOWN_TYPE("unknown-type"),
    BAD_MESSAGE("bad-message"),
    TOO_LONG("too-long"),
    BAD_NAME("bad-name"),
    NAME_TAKEN("name-taken"),
    RATE_LIMITED("rate-limited"),
    UNAVAILABLE("unavailable"),
    UNKNOWN("unknown"),
    REF_EXPIRED("ref-expired"),
    /** A frame about a room this socket is not in. */
    NOT_JOINED("not-joined"),
    ALREADY_JOINED("already-joined"),
    /** MAX_ROOMS_PER_CONNECTION reached: leave one first. */
    TOO_MANY_ROOMS("too-many-rooms"),
    /** The token does not let this user into the room (a private room it does not name). */
    FORBIDDEN("forbidden"),
    /** The app's publish hook did not accept the message (its reason is the error's message); nobody else saw it. */
    REJECTED("rejected");

    private final String wire;

    ErrorCode(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }
}
