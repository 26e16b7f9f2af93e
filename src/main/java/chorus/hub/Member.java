package chorus.hub;

/**
 * What a room needs of one member, a socket's place in one room (a socket may be in many): who
 * it is, which encoding it reads, and its socket's queue to offer frames to. The queue, the
 * socket and the writes behind it belong to the transport.
 */
public interface Member {
    /** What became of an offer; the room acts on it only after it let go of its lock. */
    enum Offer {
        /** Queued; a turn is already pending or a write is in flight. */
        QUEUED,
        /** Queued, and the member was idle: it needs a turn with the writers. */
        READY,
        /** Queued past the bound because our writers have not reached it: the sender writes it now. */
        BEHIND,
        /** Not queued: the bound is full while a write sits in the socket. The member must go. */
        TOO_SLOW,
        /** Not queued: the member is closed. */
        GONE
    }

    String session();

    /** The name it shows in its room, and who it is. */
    Claim claim();

    /** Now shows the claim's name; called under the room's lock, so it only records it. */
    void rename(Claim claim);

    default String name() {
        return claim().name();
    }

    /** The verified user id (docs/AUTH.md), or null for an anonymous member. */
    default String user() {
        return claim().user();
    }

    /** Who shows the name ({@link Claim#person}): one person may be several members. */
    default String person() {
        return claim().person();
    }

    /** The client's address, for an operator who bans it. */
    String address();

    boolean json();

    /** True once the connection closed: a member that closed before its join is never added. */
    boolean closed();

    /**
     * Queues a frame. Called under the room's lock, so it only decides: it never writes, never
     * closes, never calls back. {@code owed} frames (a joiner's welcome and history) are the
     * room's shared buffers and are not counted against the bound.
     */
    Offer offer(SharedFrame frame, boolean owed);

    /** Acts on a verdict, called with no lock held: a turn with the writers, a write now, or a close. */
    void settle(Offer verdict);

    /**
     * The room puts this member out (closed by an operator, a name a verified user takes, a newer
     * connection of the same client), with this code and reason; called with no lock held. A
     * socket in other rooms stays open in them.
     */
    void putOut(int code, String reason);

    /** Closes the whole socket, in every room it is in (an operator's order); called with no lock held. */
    void disconnect(int code, String reason);
}
