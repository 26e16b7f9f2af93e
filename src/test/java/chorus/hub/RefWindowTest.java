package chorus.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.protocol.MessageId;
import org.junit.jupiter.api.Test;

/** A room's refs in memory, by time, on a clock the test sets. */
class RefWindowTest {
    private static final long MINUTE = 60_000;

    private static Draft resend(String ref, long age) {
        return new Draft("ann", null, "s", "text", "client-ann-1", ref, age);
    }

    /**
     * A ref that went past the window is forgotten, and a resend of it is refused, never taken for
     * a first send: the room is older than the window here, so its creation alone did not say so
     * (it was delivered a second time).
     */
    @Test
    void aResendOfARefPastTheWindowIsRefusedInARoomOlderThanTheWindow() {
        RefWindow refs = new RefWindow(0);
        refs.put("client-ann-1/r1", new MessageId(1, 1), 20 * MINUTE);
        refs.put("client-ann-1/r2", new MessageId(1, 2), 36 * MINUTE); // r1 is past the 15 minutes now
        assertNull(refs.get("client-ann-1/r1"));
        assertTrue(refs.mayBeForgotten(resend("r1", 16 * MINUTE), 36 * MINUTE), "r1, sent 16 minutes ago, forgotten");
        assertEquals(new MessageId(1, 2), refs.get("client-ann-1/r2"));
        assertFalse(refs.mayBeForgotten(resend("r3", MINUTE), 36 * MINUTE), "one sent since is still vouched for");
    }

    @Test
    void refsGivenUpEarlyAreRefusedToo() {
        RefWindow refs = new RefWindow(0);
        refs.put("client-ann-1/r1", new MessageId(1, 1), MINUTE);
        refs.put("client-ann-1/r2", new MessageId(1, 2), 2 * MINUTE);
        assertTrue(refs.dropOldest() > 0);
        assertTrue(refs.mayBeForgotten(resend("r1", 2 * MINUTE), 3 * MINUTE));
        assertEquals(new MessageId(1, 2), refs.get("client-ann-1/r2"));
    }
}
