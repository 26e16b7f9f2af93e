package chorus.protocol;

import java.text.Normalizer;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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
    public static final String IMITATION_RULE = "that name is kept for the server and its guests (system, server, Chorus, "
            + "guest- and digits, and their look-alikes); choose another";
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

    /** Why a name a person chose (in the query, a rename or a token) is refused, or null. */
    public static String chosenProblem(String name) {
        String problem = problem(name);
        return problem != null ? problem : Imitations.of(normalize(name)) ? IMITATION_RULE : null;
    }

    /**
     * Names that would pass for the server's own or for a generated guest name, by the look-alike
     * keys: worked out on first use (ICU's tables load lazily), for every chosen name after.
     */
    private static final class Imitations {
        private static final List<String> SERVER = List.of("system", "server", "chorus");
        private static final Set<String> SERVER_KEYS = new HashSet<>();
        private static final List<String> GUEST_PREFIXES = Lookalikes.keys("guest-");
        private static final Set<Integer> DIGITS = new HashSet<>(); // what digits become in a key (1 becomes l)

        static {
            for (String name : SERVER) SERVER_KEYS.addAll(Lookalikes.keys(name));
            for (char d = '0'; d <= '9'; d++) {
                for (String key : Lookalikes.keys(String.valueOf(d))) key.chars().forEach(DIGITS::add);
            }
        }

        static boolean of(String name) {
            for (String key : Lookalikes.keys(name)) {
                if (SERVER_KEYS.contains(key)) return true;
                for (String prefix : GUEST_PREFIXES) {
                    if (key.length() > prefix.length() && key.startsWith(prefix)
                            && key.substring(prefix.length()).chars().allMatch(DIGITS::contains)) {
                        return true;
                    }
                }
            }
            return false;
        }
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

    /**
     * A name for a person who gave none: four digits, the same for the same person (a returning
     * page's client id brings its name back, so it never sends one: nobody may choose such a name),
     * eight random ones once four keep meeting names already taken.
     */
    public static String guest(String person, int attempt) {
        if (attempt < 10) return "guest-" + (1000 + Math.floorMod((person + "#" + attempt).hashCode(), 9000));
        return "guest-" + (10_000_000 + ThreadLocalRandom.current().nextInt(90_000_000));
    }
}
