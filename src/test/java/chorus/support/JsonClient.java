package chorus.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** A chorus.v1 client: JSON frames in and out, with presence kept aside from the message stream. */
public final class JsonClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final WsClient socket;
    private final JsonNode welcome;
    private JsonNode lastPresence;
    private final java.util.ArrayDeque<JsonNode> setAside = new java.util.ArrayDeque<>(); // seen while awaiting presence

    private JsonClient(WsClient socket) {
        this.socket = socket;
        assertEquals("chorus.v1", socket.subprotocol());
        this.welcome = nextRaw();
        assertEquals("welcome", welcome.get("type").asText(), "first frame");
    }

    public static JsonClient connect(TestServer server, String query) {
        return connect(server, query, Map.of());
    }

    /** With these request headers (X-Forwarded-For, to act as another address behind a trusted proxy). */
    public static JsonClient connect(TestServer server, String query, Map<String, String> headers) {
        URI uri = URI.create(server.ws() + (query.isEmpty() ? "" : "?" + query));
        return new JsonClient(WsClient.connect(uri, headers, "chorus.v1"));
    }

    /** As a verified user: the token offered as a second subprotocol, beside chorus.v1. */
    public static JsonClient withToken(TestServer server, String query, String token) {
        URI uri = URI.create(server.ws() + (query.isEmpty() ? "" : "?" + query));
        return new JsonClient(WsClient.connect(uri, Map.of(), "chorus.v1", "chorus.token." + token));
    }

    public JsonNode welcome() {
        return welcome;
    }

    public WsClient socket() {
        return socket;
    }

    public void send(String text) {
        ObjectNode frame = JSON.createObjectNode().put("type", "send").put("text", text);
        socket.send(frame.toString());
    }

    /** Sends to one of the socket's rooms, with a ref when it is not null. */
    public void send(String room, String text, String ref) {
        ObjectNode frame = JSON.createObjectNode().put("type", "send").put("room", room).put("text", text);
        if (ref != null) frame.put("ref", ref);
        socket.send(frame.toString());
    }

    /** Joins one more room on this socket, resuming after since (null: its whole history). */
    public void join(String room, String since) {
        ObjectNode frame = JSON.createObjectNode().put("type", "join").put("room", room);
        if (since != null) frame.put("since", since);
        socket.send(frame.toString());
    }

    public void leave(String room) {
        socket.send(JSON.createObjectNode().put("type", "leave").put("room", room).toString());
    }

    public void rename(String name) {
        socket.send(JSON.createObjectNode().put("type", "rename").put("name", name).toString());
    }

    private JsonNode nextRaw() {
        try {
            return JSON.readTree(socket.next());
        } catch (Exception e) {
            throw new AssertionError("server sent something other than JSON", e);
        }
    }

    /**
     * The next frame that is not presence or typing (presence is remembered for {@link
     * #awaitPresence}; typing, ephemeral, is read only by {@code next("typing")}).
     */
    public JsonNode next() {
        return next(false);
    }

    private JsonNode next(boolean typing) {
        for (java.util.Iterator<JsonNode> it = setAside.iterator(); it.hasNext(); ) {
            JsonNode frame = it.next();
            if (typing == frame.get("type").asText().equals("typing")) {
                it.remove();
                return frame;
            }
        }
        while (true) {
            JsonNode frame = nextRaw();
            String type = frame.get("type").asText();
            if (type.equals("presence")) lastPresence = apply(frame);
            else if (type.equals("typing") == typing) return frame;
        }
    }

    private final Map<String, List<JsonNode>> listed = new java.util.HashMap<>(); // per room, as the frames so far say

    /**
     * Presence as a whole list, whichever form the frame took (the list, what changed, or a count
     * alone), so tests ask "who is here" as a page would.
     */
    private JsonNode apply(JsonNode frame) {
        String room = frame.path("room").asText();
        List<JsonNode> members = listed.computeIfAbsent(room, r -> new ArrayList<>());
        if (frame.has("members")) {
            members.clear();
            frame.get("members").forEach(members::add);
        } else if (frame.has("joined")) {
            frame.get("left").forEach(gone -> members.remove(gone));
            frame.get("joined").forEach(members::add);
            members.sort(java.util.Comparator.comparing((JsonNode m) -> m.get("name").asText(), String.CASE_INSENSITIVE_ORDER)
                    .thenComparing(m -> m.get("name").asText()));
        } else {
            members.clear();
        }
        ObjectNode whole = JSON.createObjectNode().put("type", "presence").put("room", room).put("online", frame.get("online").asInt());
        var names = whole.putArray("names");
        var listedMembers = whole.putArray("members");
        members.forEach(m -> names.add(m.get("name").asText()));
        members.forEach(listedMembers::add);
        whole.put("form", frame.has("members") ? "list" : frame.has("joined") ? "change" : "count");
        return whole;
    }

    /** The next frame, asserting its type. */
    public JsonNode next(String type) {
        JsonNode frame = next(type.equals("typing"));
        assertEquals(type, frame.get("type").asText(), "frame " + frame);
        return frame;
    }

    public List<JsonNode> messages(int count) {
        List<JsonNode> messages = new ArrayList<>();
        for (int i = 0; i < count; i++) messages.add(next("message"));
        return messages;
    }

    /** Asserts that nothing but presence arrives within the given time. */
    public void assertNoMessage(Duration wait) throws InterruptedException {
        long end = System.nanoTime() + wait.toNanos();
        String frame;
        while ((frame = socket.poll(Duration.ofNanos(Math.max(1, end - System.nanoTime())))) != null) {
            assertTrue(frame.contains("\"type\":\"presence\""), "unexpected frame " + frame);
        }
    }

    /** Waits up to 10 s for a presence frame that satisfies the condition (presence may be coalesced). */
    public JsonNode awaitPresence(Predicate<JsonNode> condition) {
        return awaitPresence(condition, Duration.ofSeconds(10));
    }

    public JsonNode awaitPresence(Predicate<JsonNode> condition, Duration wait) {
        if (lastPresence != null && condition.test(lastPresence)) return lastPresence;
        long end = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < end) {
            String raw;
            try {
                raw = socket.poll(Duration.ofNanos(Math.max(1, end - System.nanoTime())));
                if (raw == null) break;
                JsonNode frame = JSON.readTree(raw);
                if (frame.get("type").asText().equals("presence")) {
                    lastPresence = apply(frame);
                    if (condition.test(lastPresence)) return lastPresence;
                } else {
                    setAside.add(frame); // for next(): waiting for presence loses no message
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no such presence within " + wait + "; last was " + lastPresence);
    }

    @Override
    public void close() {
        socket.close();
    }
}
