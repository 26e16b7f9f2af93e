package chorus.protocol;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * What a message's {@code ref} and a client's {@code client} id may be: short tokens a page
 * generates at random. A (client, ref) pair is delivered at most once per room (docs/PROTOCOL.md).
 */
public final class Refs {
    public static final String RULE = "ref must be 1-64 letters, digits, '-' or '_'";
    public static final String CLIENT_RULE = "client must be 8-64 letters, digits, '-' or '_'";
    private static final Pattern REF = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern CLIENT = Pattern.compile("[A-Za-z0-9_-]{8,64}");

    /**
     * How long a (sender, ref) is remembered after it was sent, in both modes, announced in the
     * welcome: a resend within it is delivered at most once; one first sent before it is refused
     * ref-expired.
     */
    public static final Duration WINDOW = Duration.ofMinutes(15);

    private Refs() {
    }

    public static boolean isRef(String ref) {
        return REF.matcher(ref).matches();
    }

    public static boolean isClient(String client) {
        return CLIENT.matcher(client).matches();
    }
}
