package chorus.webhooks;

import java.util.Map;

/** An event not yet made: its type, the line it goes in (a room, a person), and its data. Made when it happens. */
public record Change(String type, String key, Map<String, Object> data) {
}
