package chorus.webhooks;

/**
 * One event for the app's backend: its id (the same on every retry, so receivers deduplicate),
 * its type, the key deliveries are ordered by (its room, or its person), and its body, encoded
 * once: {@code {"type","timestamp","data"}}.
 */
public record Event(String id, String type, String key, byte[] body) {
    /** What it holds in the queue, counted against WEBHOOK_QUEUE_BYTES. */
    long bytes() {
        return body.length + 2L * (id.length() + type.length() + key.length()) + 64;
    }
}
