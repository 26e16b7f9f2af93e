package chorus.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;

/** The chorus.v1 frames the server sends, each encoded once to UTF-8 JSON (docs/PROTOCOL.md). */
public final class Frames {
    private static final JsonFactory JSON = new JsonFactory();

    private Frames() {
    }

    private interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private static ByteBuffer encode(String type, Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("type", type);
            body.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // writing to memory does not fail
        }
        return ByteBuffer.wrap(out.toByteArray()).asReadOnlyBuffer();
    }

    /**
     * maxBytes: the longest text a send may carry, in bytes of UTF-8, so a page can count down to
     * it; rate and burst (the socket's) and addressRate and addressBurst, so a client paces its sends;
     * refWindow, the seconds a ref is remembered, so a client knows how long a resend is safe.
     */
    public static ByteBuffer welcome(String session, String name, String user, String room, Pace pace, int online) {
        return encode("welcome", g -> {
            g.writeStringField("session", session);
            g.writeStringField("name", name);
            if (user != null) g.writeStringField("user", user);
            g.writeStringField("room", room);
            g.writeNumberField("maxBytes", pace.maxBytes());
            g.writeNumberField("rate", pace.rate());
            g.writeNumberField("burst", pace.burst());
            g.writeNumberField("addressRate", pace.addressRate());
            g.writeNumberField("addressBurst", pace.addressBurst());
            g.writeNumberField("online", online);
            g.writeNumberField("refWindow", Refs.WINDOW.toSeconds());
        });
    }

    /** session: the sender's, as its welcome gave it (null for the API), so a page knows its own. */
    /** user: the sender's verified user id (docs/AUTH.md), or null for an anonymous sender. */
    public static ByteBuffer message(String id, String room, String from, String user, String text, long ts, String session) {
        return encode("message", g -> {
            g.writeStringField("id", id);
            g.writeStringField("room", room);
            g.writeStringField("from", from);
            if (user != null) g.writeStringField("user", user);
            g.writeStringField("text", text);
            g.writeNumberField("ts", ts);
            if (session != null) g.writeStringField("session", session);
        });
    }

    /** What became of a send with a ref: its id, also when it was a resend of one already delivered. */
    public static ByteBuffer sent(String ref, String id, boolean duplicate) {
        return encode("sent", g -> {
            g.writeStringField("ref", ref);
            g.writeStringField("id", id);
            g.writeBooleanField("duplicate", duplicate);
        });
    }

    /**
     * names: who is here, in presence order; users: for each name, its verified user id or null.
     * Both as "names" (every client reads it) and as "members", each entry naming its user.
     */
    public static ByteBuffer presence(int online, List<String> names, List<String> users) {
        return encode("presence", g -> {
            g.writeNumberField("online", online);
            g.writeArrayFieldStart("names");
            for (String name : names) g.writeString(name);
            g.writeEndArray();
            g.writeArrayFieldStart("members");
            for (int i = 0; i < names.size(); i++) {
                g.writeStartObject();
                g.writeStringField("name", names.get(i));
                if (users.get(i) != null) g.writeStringField("user", users.get(i));
                g.writeEndObject();
            }
            g.writeEndArray();
        });
    }

    private static final ByteBuffer PONG = encode("pong", g -> { });

    /** The answer to a client's ping; one shared buffer, since it never changes. */
    public static ByteBuffer pong() {
        return PONG.duplicate();
    }

    public static ByteBuffer reset(String reason, String oldest) {
        return encode("reset", g -> {
            g.writeStringField("reason", reason);
            if (oldest == null) g.writeNullField("oldest");
            else g.writeStringField("oldest", oldest);
        });
    }

    public static ByteBuffer error(ErrorCode code, String message) {
        return error(code, message, null);
    }

    /** An error about one send: its ref (when it had one) says which. */
    public static ByteBuffer error(ErrorCode code, String message, String ref) {
        return encode("error", g -> {
            g.writeStringField("code", code.wire());
            g.writeStringField("message", message);
            if (ref != null) g.writeStringField("ref", ref);
        });
    }
}
