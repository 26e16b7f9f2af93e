package chorus.hub;

import chorus.protocol.Shown;
import chorus.protocol.MessageId;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.ToIntFunction;

/**
 * Where messages get their order and ids, and how they and operators' orders reach every
 * instance. The in-memory backend serves one process; the Redis backend spans many with the same
 * behaviour. No method is called under a room's lock, and none calls into a room while holding
 * a lock of its own.
 */
public interface Backend {
    /** Where a new room's ids begin: a since below it is from before this room's history. */
    MessageId origin();

    /**
     * Orders a message and has it delivered to the room everywhere, at most once per (sender,
     * ref); completes with its id. A failure is {@link OutcomeUnknown} when the message may
     * still be delivered (a timeout), and any other exception when it certainly was not.
     */
    CompletionStage<Published> publish(Room room, Draft draft);

    /** The backend could not tell whether the message was taken: a resend with the same ref is safe. */
    final class OutcomeUnknown extends RuntimeException {
        public OutcomeUnknown(Throwable cause) {
            super(cause);
        }
    }

    /**
     * A resend whose ref may have been forgotten: first sent before the refs that decide it were
     * all known (outside the window, or before the room's history began again). Not delivered:
     * whether the first send was cannot be told, so the sender must decide.
     */
    final class RefExpired extends RuntimeException {
        public RefExpired() {
            super("ref expired", null, false, false);
        }
    }

    /** A room came into use here: load what it already holds into {@link Room#load}, then follow it. */
    void follow(Room room);

    /**
     * A client resumes from an offset of the room's epoch that the room never reached here: the
     * store went back in time (lost writes), so that epoch must end before its offsets are given
     * again to other messages.
     */
    void ahead(Room room, MessageId since);

    /** A room is forgotten on this instance. */
    void unfollow(Room room);

    /** This instance's members of a room changed to these names. */
    void presence(Room room, List<Shown> localNames);

    /** Relays an ephemeral frame (someone typing) to the room's members everywhere, this instance's included; never stored. */
    void ephemeral(Room room, ByteBuffer frame);

    /** Deletes a room's stored history (not this instance's copy, which the room drops itself). */
    CompletionStage<Void> deleteHistory(String room);

    /** Rooms with members on other instances, and how many. */
    CompletionStage<Map<String, Integer>> remoteRooms();

    /**
     * Sends an order to every instance, this one included, where {@link #onOrder}'s handler runs
     * it; completes with how many sockets it reached in all, as the instances report it.
     */
    CompletionStage<Integer> order(Order order);

    /** Who carries out orders on this instance, saying how many sockets each reached; set once, before the server starts. */
    void onOrder(ToIntFunction<Order> handler);

    /** Why the backend cannot take messages now (unreachable, timeout, out-of-memory), or null. */
    String problem();

    void stop();
}
