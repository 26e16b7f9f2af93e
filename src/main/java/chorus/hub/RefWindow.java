package chorus.hub;

import chorus.protocol.MessageId;
import chorus.protocol.Refs;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The refs a room in memory remembers, by time: each (sender, ref) for {@link Refs#WINDOW} after it
 * was sent, however many messages come meanwhile, its bytes counted in the history budget (which
 * may take the oldest first). Whatever is forgotten, past the window or early, moves {@link
 * #completeSinceMs}, so a resend first sent before it is answered ref-expired, never delivered a
 * second time. Not thread-safe: its room's lock guards it.
 */
final class RefWindow {
    private record Sent(MessageId id, long ms) {
    }

    private final LinkedHashMap<String, Sent> refs = new LinkedHashMap<>(); // oldest first
    private long completeSinceMs;

    RefWindow(long nowMs) {
        this.completeSinceMs = nowMs;
    }

    MessageId get(String key) {
        Sent sent = refs.get(key);
        return sent == null ? null : sent.id();
    }

    /** Whether a resend first sent {@code age} ms ago may have been forgotten (-1: a first send). */
    boolean mayBeForgotten(Draft draft, long nowMs) {
        return draft.mayBeForgotten(nowMs, completeSinceMs);
    }

    /** Remembers a ref and forgets those past the window; returns the bytes this added (maybe negative). */
    long put(String key, MessageId id, long nowMs) {
        long change = cost(key);
        refs.put(key, new Sent(id, nowMs));
        while (!refs.isEmpty() && oldest().getValue().ms() <= nowMs - Refs.WINDOW.toMillis()) change -= forget(oldest());
        return change;
    }

    /** Forgets the oldest ref early (the history budget needs its bytes); returns them, 0 if none. */
    long dropOldest() {
        return refs.isEmpty() ? 0 : forget(oldest());
    }

    private Map.Entry<String, Sent> oldest() {
        return refs.entrySet().iterator().next();
    }

    /** Forgets a ref, the oldest: a resend first sent before it is refused from now on; returns its bytes. */
    private long forget(Map.Entry<String, Sent> oldest) {
        refs.remove(oldest.getKey());
        completeSinceMs = Math.max(completeSinceMs, oldest.getValue().ms() + 1);
        return cost(oldest.getKey());
    }

    /** Forgets every ref (their bytes are released with the room's history). */
    void clear(long nowMs) {
        refs.clear();
        completeSinceMs = nowMs;
    }

    boolean isEmpty() {
        return refs.isEmpty();
    }

    /** The key twice over (a String's chars), the entry, the record and the id around it. */
    private static long cost(String key) {
        return 2L * key.length() + 160;
    }
}
