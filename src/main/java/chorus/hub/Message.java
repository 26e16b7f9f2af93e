package chorus.hub;

import chorus.protocol.Frames;
import chorus.protocol.MessageId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** One chat message, encoded once for each mode: bare text for plain clients, JSON for chorus.v1. */
public record Message(MessageId id, ByteBuffer plain, ByteBuffer json) {
    public static Message of(MessageId id, String room, String from, String text, long ts) {
        return new Message(id, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)).asReadOnlyBuffer(),
                Frames.message(id.toString(), room, from, text, ts));
    }

    /** What keeping it costs: both encodings and the objects around them. */
    long cost() {
        return plain.capacity() + json.capacity() + 200;
    }

    ByteBuffer encodedFor(Member member) {
        return member.json() ? json : plain;
    }
}
