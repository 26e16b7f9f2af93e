package chorus.protocol;

import com.ibm.icu.text.Normalizer2;
import com.ibm.icu.text.SpoofChecker;
import com.ibm.icu.text.Transliterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When two names would pass for each other: the same after NFKC case folding (ANN, ａｎｎ, 𝐚𝐧𝐧),
 * by UTS #39's confusable skeleton (а in Cyrillic, rn for m), or once Latin look-alikes and
 * accents are taken to ASCII (ᴀnn, Jösé). Two names pass for each other when they share a key.
 */
public final class Lookalikes {
    private static final int CACHE = 10_000;
    private static final Normalizer2 FOLD = Normalizer2.getNFKCCasefoldInstance();
    private static final SpoofChecker SKELETON = new SpoofChecker.Builder().build();
    private static final Transliterator ASCII = Transliterator.getInstance("Latin-ASCII");
    // A room's presence brings the same names again and again; working them out is the costly part.
    private static final Map<String, List<String>> KNOWN = new ConcurrentHashMap<>();

    private Lookalikes() {
    }

    /** The keys a name is known by: as written (confusables such as Il / ll), and with case and accents set aside. */
    public static List<String> keys(String name) {
        List<String> keys = KNOWN.get(name);
        if (keys != null) return keys;
        String asWritten = FOLD.normalize(SKELETON.getSkeleton(name));
        String lower = FOLD.normalize(name);
        // Latin-ASCII changes only what is not ASCII, and is the costly step (guests' names are ASCII).
        String ascii = lower.chars().allMatch(c -> c < 0x80) ? lower : FOLD.normalize(ASCII.transliterate(lower));
        String folded = FOLD.normalize(SKELETON.getSkeleton(ascii));
        keys = asWritten.equals(folded) ? List.of(asWritten) : List.of(asWritten, folded);
        if (KNOWN.size() >= CACHE) KNOWN.clear(); // a bound, not an eviction policy: a miss only costs time
        KNOWN.put(name, keys);
        return keys;
    }

    /** Whether the two names pass for each other. */
    public static boolean alike(String a, String b) {
        List<String> keys = keys(b);
        return keys(a).stream().anyMatch(keys::contains);
    }
}
