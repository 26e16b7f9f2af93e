package chorus.protocol;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The look-alike keys, for ASCII names (which skip the Latin-ASCII step) and for the rest. */
class LookalikesTest {
    @Test
    void asciiNamesPassForTheirConfusablesAndCases() {
        assertTrue(Lookalikes.alike("mary", "rnary"));
        assertTrue(Lookalikes.alike("Ann", "ANN"));
        assertTrue(Lookalikes.alike("bill", "biII"));
        assertFalse(Lookalikes.alike("ann", "anne"));
        assertFalse(Lookalikes.alike("guest-1234", "guest-1235"));
    }

    @Test
    void otherNamesMeetTheirAsciiTwins() {
        assertTrue(Lookalikes.alike("José", "jose"));
        assertTrue(Lookalikes.alike("ａｎｎ", "ann"));
        assertTrue(Lookalikes.alike("ᴀnn", "Ann"));
        assertTrue(Lookalikes.alike("\u0430nn", "ann")); // Cyrillic а
        assertFalse(Lookalikes.alike("José", "Jane"));
    }
}
