package chorus.webhooks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/** Makes the events of docs/WEBHOOKS.md, each encoded once; those WEBHOOK_EVENTS leaves out are never made. */
public final class Events {
    public static final Set<String> TYPES = Set.of("message.created", "room.occupied", "room.vacated", "member.joined", "member.left",
            "user.online", "user.offline", "room.closed", "session.disconnected", "user.disconnected");
    private static final JsonFactory JSON = new JsonFactory();
    private final Set<String> wanted;

    public Events(Set<String> wanted) {
        this.wanted = Set.copyOf(wanted);
    }

    public boolean wants(String type) {
        return wanted.contains(type);
    }

    /** The event, or null when it is not wanted; data's values are strings, numbers, booleans or null (left out). */
    public Event make(String type, String key, Map<String, Object> data) {
        return make(type, key, data, Instant.now());
    }

    /** The change as an event that happens now, or null when it is not wanted. */
    public Event make(Change change) {
        return make(change.type(), change.key(), change.data(), Instant.now());
    }

    /** The event as it happens at a time (a departure made before its grace is over), or null when it is not wanted. */
    public Event make(String type, String key, Map<String, Object> data, Instant at) {
        if (!wanted.contains(type)) return null;
        ByteArrayOutputStream out = new ByteArrayOutputStream(160);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("type", type);
            g.writeStringField("timestamp", at.toString());
            g.writeObjectFieldStart("data");
            for (Map.Entry<String, Object> field : data.entrySet()) {
                Object value = field.getValue();
                if (value == null) continue;
                g.writeFieldName(field.getKey());
                if (value instanceof Number n) g.writeNumber(n.longValue());
                else if (value instanceof Boolean b) g.writeBoolean(b);
                else g.writeString(value.toString());
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // writing to memory does not fail
        }
        return new Event(newId(), type, key, out.toByteArray(), null);
    }

    /** Alternating names and values, in order. */
    public static Map<String, Object> data(Object... pairs) {
        Map<String, Object> data = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) data.put((String) pairs[i], pairs[i + 1]);
        return data;
    }

    /** msg_ and 26 base-32 characters: the time first, so ids sort roughly by when they were made. */
    private static String newId() {
        StringBuilder id = new StringBuilder("msg_").append(Long.toString(System.currentTimeMillis(), 32));
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (id.length() < 30) id.append(Character.forDigit(random.nextInt(32), 32));
        return id.toString();
    }
}
