package chorus.hub;

import chorus.protocol.MessageId;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where messages get their order and ids, and how they reach every instance's rooms. The
 * in-memory backend serves one process; the Redis backend spans many with the same behaviour.
 * No method is called under a room's lock, and none may call into a room while holding a lock
 * of its own that a room's caller could need.
 */
public interface Backend {
    /** Where a new room's ids begin: a since below it is from before this room's history. */
    MessageId origin();

    /** Orders a message and has it delivered to the room everywhere; failure reaches onFailure. */
    void publish(Room room, String from, String text, Consumer<Throwable> onFailure);

    /** A room came into use here: load what it already holds into {@link Room#load}, then follow it. */
    void follow(Room room);

    /** A room is forgotten on this instance. */
    void unfollow(Room room);

    /** This instance's members of a room changed to these names. */
    void presence(Room room, List<String> localNames);

    /** False while the backend cannot take messages (Redis unreachable). */
    boolean available();

    void stop();
}
