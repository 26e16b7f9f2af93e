package chorus.protocol;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;

/**
 * A chorus.v1 frame from a client (send, join, leave, rename, ping), or the error to answer it
 * with. A frame about a room names it; without one it is about the room the socket's URL named.
 */
public sealed interface Command {
    /**
     * ref: the client's own name for this message, for at-most-once delivery; null when not given.
     * age: for a resend, the milliseconds since its first send (-1: a first send).
     */
    record Send(String room, String text, String ref, long age) implements Command {
        public Send(String text, String ref) {
            this(null, text, ref, -1);
        }
    }

    /** since: where to resume in that room, as after a reconnect (null: its whole history). */
    record Join(String room, MessageId since) implements Command {
    }

    record Leave(String room) implements Command {
    }

    /** The person is typing in the room: relayed to its members, never stored. */
    record Typing(String room) implements Command {
    }

    record Rename(String name) implements Command {
    }

    record Invalid(ErrorCode code, String message) implements Command {
    }

    /**
     * Is the connection alive? Browsers do not show WebSocket pings to pages, so a page that has
     * heard nothing for a while asks in JSON; the answer is a pong.
     */
    record Ping() implements Command {
    }

    /** Strict: one JSON value per frame, no key twice (which copy would count?). */
    ObjectMapper MAPPER = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    static Command parse(String frame, int maxTextBytes) {
        JsonNode node;
        try {
            node = MAPPER.readTree(frame);
        } catch (Exception e) {
            return new Invalid(ErrorCode.BAD_JSON, "not valid JSON");
        }
        if (node == null || !node.isObject() || !node.path("type").isTextual()) {
            return new Invalid(ErrorCode.BAD_JSON, "expected a JSON object with a string \"type\"");
        }
        String type = node.get("type").asText();
        JsonNode roomNode = node.get("room");
        if (roomNode != null && (!roomNode.isTextual() || !Names.isRoom(roomNode.asText()))) {
            return new Invalid(ErrorCode.BAD_MESSAGE, Names.ROOM_RULE);
        }
        String room = roomNode == null ? null : roomNode.asText();
        switch (type) {
            case "send" -> {
                JsonNode text = node.get("text");
                Invalid bad = checkText(text, maxTextBytes);
                if (bad != null) return bad;
                JsonNode ref = node.get("ref");
                if (ref != null && (!ref.isTextual() || !Refs.isRef(ref.asText()))) {
                    return new Invalid(ErrorCode.BAD_MESSAGE, Refs.RULE);
                }
                JsonNode age = node.get("age");
                if (age != null && (!age.canConvertToLong() || !age.isIntegralNumber() || age.asLong() < 0)) {
                    return new Invalid(ErrorCode.BAD_MESSAGE, "age must be the milliseconds since this ref was first sent");
                }
                return new Send(room, text.asText(), ref == null ? null : ref.asText(), age == null ? -1 : age.asLong());
            }
            case "join", "leave" -> {
                if (room == null) return new Invalid(ErrorCode.BAD_MESSAGE, type + " needs a room");
                if (type.equals("leave")) return new Leave(room);
                JsonNode since = node.get("since");
                MessageId id = since != null && since.isTextual() ? MessageId.parse(since.asText()) : null;
                if (since != null && !since.isNull() && id == null) {
                    return new Invalid(ErrorCode.BAD_MESSAGE, "since must be a message id such as 1764000000000-42");
                }
                return new Join(room, id);
            }
            case "rename" -> {
                JsonNode name = node.get("name");
                String problem = name != null && name.isTextual() && !hasLoneSurrogate(name.asText())
                        ? Names.chosenProblem(name.asText()) : Names.RULE;
                return problem == null ? new Rename(Names.normalize(name.asText()))
                        : new Invalid(ErrorCode.BAD_NAME, problem);
            }
            case "ping" -> {
                return new Ping();
            }
            case "typing" -> {
                return new Typing(room);
            }
            default -> {
                return new Invalid(ErrorCode.UNKNOWN_TYPE, "unknown type \"" + type + "\"; expected send, join, leave, typing, rename or ping");
            }
        }
    }

    /**
     * The one rule for a message's text, on a socket and in the HTTP API: a non-empty string, no
     * lone surrogate, at most maxTextBytes of UTF-8. Null when it keeps it.
     */
    static Invalid checkText(JsonNode text, int maxTextBytes) {
        if (text == null || !text.isTextual() || text.asText().isEmpty()) {
            return new Invalid(ErrorCode.BAD_MESSAGE, "text must be a non-empty string");
        }
        if (hasLoneSurrogate(text.asText())) {
            return new Invalid(ErrorCode.BAD_MESSAGE, "text has a lone surrogate escape (\\ud800-\\udfff)");
        }
        if (text.asText().getBytes(StandardCharsets.UTF_8).length > maxTextBytes) {
            return new Invalid(ErrorCode.TOO_LONG, "text is longer than " + maxTextBytes + " bytes of UTF-8");
        }
        return null;
    }

    /** JSON escapes can name half a character ("\\ud800"), which no encoding can carry on. */
    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) i++;
            else if (Character.isSurrogate(c)) return true;
        }
        return false;
    }
}
