package chorus.protocol;

import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/** What a room name and a display name may be. */
public final class Names {
    public static final String MAIN_ROOM = "main";
    public static final String ROOM_RULE = "room must be 1-64 letters, digits, '-', '_' or '.'";
    public static final String RULE = "name must be 1-32 characters after trimming, without control characters";
    private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private Names() {
    }

    public static boolean isRoom(String room) {
        return ROOM.matcher(room).matches();
    }

    /** Why the name is refused, or null when it is fine. */
    public static String problem(String name) {
        String trimmed = name.strip();
        int length = trimmed.codePointCount(0, trimmed.length());
        if (length < 1 || length > 32) return RULE;
        // Control characters, line breaks, and the bidi controls that let a name disguise itself.
        boolean control = trimmed.codePoints().anyMatch(c -> Character.isISOControl(c)
                || Character.getType(c) == Character.LINE_SEPARATOR
                || Character.getType(c) == Character.PARAGRAPH_SEPARATOR
                || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069));
        return control ? RULE : null;
    }

    public static String guest() {
        return "guest-" + (1000 + ThreadLocalRandom.current().nextInt(9000));
    }
}
