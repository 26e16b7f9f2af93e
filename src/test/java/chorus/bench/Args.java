package chorus.bench;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** "--name value" pairs, and durations written as 500ms, 10s or 2m. */
final class Args {
    private Args() {
    }

    static Map<String, String> parse(String[] args) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                throw new IllegalArgumentException("expected --name value pairs, got: " + String.join(" ", args));
            }
            map.put(args[i].substring(2), args[++i]);
        }
        return map;
    }

    static Duration duration(String text) {
        if (text.endsWith("ms")) return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2)));
        if (text.endsWith("s")) return Duration.ofMillis((long) (Double.parseDouble(text.substring(0, text.length() - 1)) * 1000));
        if (text.endsWith("m")) return Duration.ofMinutes(Long.parseLong(text.substring(0, text.length() - 1)));
        throw new IllegalArgumentException("durations look like 500ms, 10s or 2m, got " + text);
    }
}
