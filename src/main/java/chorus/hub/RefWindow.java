package chorus.hub;

import chorus.protocol.MessageId;
import chorus.protocol.Refs;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The refs a room in memory remembers, by time: each (sender, ref) for {@link Refs#WINDOW} after it
 * was sent, however many messages come meanwhile, its bytes counted in the history budget (which
 * may take the oldest first). Whatever was forgotten early moves {@link #completeSinceMs}, so a
 * resend first sent before it is answered ref-expired, never delivered a second time. Not
 * thread-safe: its room's lock guards it.
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
        for (Iterator<Map.Entry<String, Sent>> it = refs.entrySet().iterator(); it.hasNext();) {
            Map.Entry<String, Sent> oldest = it.next();
            if (oldest.getValue().ms() > nowMs - Refs.WINDOW.toMillis()) break;
            change -= cost(oldest.getKey());
            it.remove(); // past the window: a resend of it is answered by its age alone
        }
        return change;
    }

    /** Forgets the oldest ref early (the history budget needs its bytes); returns them, 0 if none. */
    long dropOldest() {
        Iterator<Map.Entry<String, Sent>> it = refs.entrySet().iterator();
        if (!it.hasNext()) return 0;
        Map.Entry<String, Sent> oldest = it.next();
        it.remove();
        completeSinceMs = Math.max(completeSinceMs, oldest.getValue().ms() + 1);
        return cost(oldest.getKey());
    }

    /** Forgets every ref; returns their bytes. */
    long clear(long nowMs) {
        long bytes = 0;
        for (String key : refs.keySet()) bytes += cost(key);
        refs.clear();
        completeSinceMs = nowMs;
        return bytes;
    }

    boolean isEmpty() {
        return refs.isEmpty();
    }

    /** The key twice over (a String's chars), the entry, the record and the id around it. */
    private static long cost(String key) {
        return 2L * key.length() + 160;
    }
}
