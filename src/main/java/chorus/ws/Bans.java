package chorus.ws;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Who operators refuse for a while (addresses, users): few, and each ban expires. */
final class Bans {
    private final Map<String, Long> until = new ConcurrentHashMap<>();

    void ban(String who, long seconds) {
        until.put(who, System.nanoTime() + seconds * 1_000_000_000L);
    }

    boolean banned(String who) {
        Long end = until.get(who);
        return end != null && end - System.nanoTime() > 0;
    }

    /** Forgets the bans that ran out. */
    void sweep() {
        until.values().removeIf(end -> end - System.nanoTime() <= 0);
    }
}
