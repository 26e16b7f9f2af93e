package chorus.hub;

/**
 * A message before it is ordered: who says it (the name shown, the verified user id or null for
 * an anonymous sender, and the session, null for the API), the text, and, for at-most-once delivery, the sender's lasting identity and its ref
 * (both null when the sender gave no ref).
 */
public record Draft(String from, String user, String session, String text, String sender, String ref, long age) {
    /** A first send: age, the milliseconds since a resent ref was first sent, is -1. */
    public Draft(String from, String user, String session, String text, String sender, String ref) {
        this(from, user, session, text, sender, ref, -1);
    }

    /**
     * Whether a resend's ref may have been forgotten: it was first sent before {@code completeSinceMs}
     * (server time), from when the refs that decide a resend are all still known.
     */
    public boolean mayBeForgotten(long nowMs, long completeSinceMs) {
        return ref != null && age >= 0 && nowMs - age < completeSinceMs;
    }

    /** The key a (sender, ref) pair is remembered by in a room, or null. */
    public String dedupeKey() {
        return ref == null ? null : sender + "/" + ref;
    }
}
