package chorus.protocol;

import java.text.Normalizer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * What a room name and a display name may be. The page mirrors the name rule in chorus.js
 * ({@code nameProblem}); keep the two in step.
 */
public final class Names {
    public static final String MAIN_ROOM = "main";
    public static final String ROOM_RULE = "room must be 1-64 letters, digits, '-', '_' or '.'";
    public static final String RULE = "name must be 1-32 characters with at least one visible one, "
            + "and no control, formatting or invisible characters";
    private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private Names() {
    }

    public static boolean isRoom(String room) {
        return ROOM.matcher(room).matches();
    }

    /** The name as it will be shown: trimmed and in Unicode's composed form (NFC). */
    public static String normalize(String name) {
        return Normalizer.normalize(name.strip(), Normalizer.Form.NFC);
    }

    /** Why the (normalized) name is refused, or null when it is fine. */
    public static String problem(String name) {
        String n = normalize(name);
        int length = n.codePointCount(0, n.length());
        if (length < 1 || length > 32) return RULE;
        boolean visible = false;
        for (int i = 0; i < n.length(); ) {
            int c = n.codePointAt(i);
            i += Character.charCount(c);
            if (invisible(c)) return RULE;
            if (!Character.isWhitespace(c) && !Character.isSpaceChar(c)) visible = true;
        }
        return visible ? null : RULE;
    }

    /**
     * Control characters, line breaks, lone surrogates, formatting characters (zero-width
     * spaces and joiners, bidi marks and controls, the byte-order mark: Unicode category Cf) and
     * the letters that render as blank (Hangul fillers, the Braille blank): each lets a name
     * hide or pass for another.
     */
    private static boolean invisible(int c) {
        int type = Character.getType(c);
        return Character.isISOControl(c) || type == Character.FORMAT || type == Character.SURROGATE
                || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR
                || type == Character.UNASSIGNED || type == Character.PRIVATE_USE
                || c == 0x115F || c == 0x1160 || c == 0x3164 || c == 0xFFA0 || c == 0x2800 || c == 0x034F
                || (c >= 0x180B && c <= 0x180F);
    }

    /** A name for someone who gave none: four digits, eight once four keep meeting names already taken. */
    public static String guest(int attempt) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return "guest-" + (attempt < 10 ? 1000 + random.nextInt(9000) : 10_000_000 + random.nextInt(90_000_000));
    }
}
