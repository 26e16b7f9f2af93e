package chorus.webhooks;

import chorus.protocol.MessageId;

/**
 * One event for the app's backend: its id (the same on every retry, so receivers deduplicate),
 * its type, the key deliveries are ordered by (its room, or its person), its body, encoded once:
 * {@code {"type","timestamp","data"}}; and for a message, its id in the room (null for other
 * events), which puts it in order in its line whichever instance queued it first.
 */
public record Event(String id, String type, String key, byte[] body, MessageId order) {
    /** What it holds in the queue, counted against WEBHOOK_QUEUE_BYTES. */
    public long bytes() {
        return body.length + 2L * (id.length() + type.length() + key.length()) + 64;
    }

    /** The same event, in its room's order. */
    public Event inOrder(MessageId message) {
        return new Event(id, type, key, body, message);
    }
}
