package chorus.hub;

/**
 * A message before it is ordered: who says it (the name shown, the verified user id or null for
 * an anonymous sender, and the session, null for the API), the text, and, for at-most-once delivery, the sender's lasting identity and its ref
 * (both null when the sender gave no ref).
 */
public record Draft(String from, String user, String session, String text, String sender, String ref) {
    /** The key a (sender, ref) pair is remembered by in a room, or null. */
    public String dedupeKey() {
        return ref == null ? null : sender + "/" + ref;
    }
}
