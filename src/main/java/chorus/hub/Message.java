package chorus.hub;

import chorus.protocol.Frames;
import chorus.protocol.MessageId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One chat message, encoded once for each mode: bare text for plain clients, JSON for chorus.v1;
 * with the (sender, ref) key it was sent under, if any, so a resend finds it while it is kept.
 */
public record Message(MessageId id, SharedFrame plain, SharedFrame json, String dedupeKey, long ts) {
    /** ts: when the instance that took it sent it on (ms since 1970). */
    public static Message of(MessageId id, String room, Draft draft, long ts) {
        return new Message(id, SharedFrame.broadcast(ByteBuffer.wrap(draft.text().getBytes(StandardCharsets.UTF_8))),
                SharedFrame.broadcast(Frames.message(id.toString(), room, draft.from(), draft.user(), draft.text(), ts, draft.session())),
                draft.dedupeKey(), ts);
    }

    /** What keeping it costs: both encodings and the objects around them. */
    long cost() {
        return plain.size() + json.size() + 200;
    }

    SharedFrame encodedFor(Member member) {
        return member.json() ? json : plain;
    }
}
