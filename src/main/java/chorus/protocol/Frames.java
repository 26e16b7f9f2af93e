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
    public static ByteBuffer sent(String room, String ref, String id, boolean duplicate) {
        return encode("sent", g -> {
            g.writeStringField("room", room);
            g.writeStringField("ref", ref);
            g.writeStringField("id", id);
            g.writeBooleanField("duplicate", duplicate);
        });
    }

    /**
     * The whole list, a member's first: who is here, in presence order, one entry per person and
     * name, as "names" and as "members" (each naming its verified user, if any).
     */
    public static ByteBuffer presence(String room, int online, List<Shown> shown) {
        return encode("presence", g -> {
            g.writeStringField("room", room);
            g.writeNumberField("online", online);
            g.writeArrayFieldStart("names");
            for (Shown s : shown) g.writeString(s.name());
            g.writeEndArray();
            members(g, "members", shown);
        });
    }

    /** What changed since the last presence frame: who came and who went (a rename is both). */
    public static ByteBuffer presenceChange(String room, int online, List<Shown> joined, List<Shown> left) {
        return encode("presence", g -> {
            g.writeStringField("room", room);
            g.writeNumberField("online", online);
            members(g, "joined", joined);
            members(g, "left", left);
        });
    }

    /** A room too big to list: how many people are in it. */
    public static ByteBuffer presenceCount(String room, int online) {
        return encode("presence", g -> {
            g.writeStringField("room", room);
            g.writeNumberField("online", online);
        });
    }

    private static void members(JsonGenerator g, String field, List<Shown> shown) throws IOException {
        g.writeArrayFieldStart(field);
        for (Shown s : shown) {
            g.writeStartObject();
            g.writeStringField("name", s.name());
            if (s.user() != null) g.writeStringField("user", s.user());
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /** Someone in the room is typing: ephemeral, never stored or replayed; a page shows it for a few seconds. */
    public static ByteBuffer typing(String room, String name, String user, String session) {
        return encode("typing", g -> {
            g.writeStringField("room", room);
            g.writeStringField("name", name);
            if (user != null) g.writeStringField("user", user);
            g.writeStringField("session", session);
        });
    }

    /** The server is going (a deploy): come back after this many milliseconds, each socket its own share of a window. */
    public static ByteBuffer goodbye(long reconnectInMs) {
        return encode("goodbye", g -> g.writeNumberField("reconnectIn", reconnectInMs));
    }

    private static final ByteBuffer PONG = encode("pong", g -> { });

    /** The answer to a client's ping; one shared buffer, since it never changes. */
    public static ByteBuffer pong() {
        return PONG.duplicate();
    }

    public static ByteBuffer reset(String room, String reason, String oldest) {
        return encode("reset", g -> {
            g.writeStringField("room", room);
            g.writeStringField("reason", reason);
            if (oldest == null) g.writeNullField("oldest");
            else g.writeStringField("oldest", oldest);
        });
    }

    /** An error; room (when it is about one) and ref (about one send) say which. */
    public static ByteBuffer error(ErrorCode code, String message, String room, String ref) {
        return encode("error", g -> {
            g.writeStringField("code", code.wire());
            g.writeStringField("message", message);
            if (room != null) g.writeStringField("room", room);
            if (ref != null) g.writeStringField("ref", ref);
        });
    }

    /** This socket is no longer in the room: it asked (code null), or the room put it out (why in code and reason). */
    public static ByteBuffer left(String room, Integer code, String reason) {
        return encode("left", g -> {
            g.writeStringField("room", room);
            if (code != null) {
                g.writeNumberField("code", code);
                g.writeStringField("reason", reason);
            }
        });
    }
}
