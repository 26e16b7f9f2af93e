package chorus.ws;

import org.eclipse.jetty.util.Utf8StringBuilder;
import org.eclipse.jetty.websocket.core.Frame;

/**
 * Puts one text message together from its frames, refusing it as early as possible: invalid
 * UTF-8 at the first fragment that holds it, and a message too large, in too many fragments or
 * unfinished for too long as soon as that is so. Nothing is kept between messages.
 */
final class TextAssembler {
    enum Outcome { MORE, COMPLETE, REFUSED, TOO_LARGE, INVALID_UTF8, TOO_MANY_FRAGMENTS, TOO_SLOW }

    private final int maxFragments;
    private final long maxNanos;
    private long maxBytes;
    private Utf8StringBuilder text; // only while a message is open
    private int fragments;
    private long bytes;
    private long startedNanos;
    private boolean refused;
    private String complete;

    TextAssembler(long maxBytes, int maxFragments, long maxNanos) {
        this.maxBytes = maxBytes;
        this.maxFragments = maxFragments;
        this.maxNanos = maxNanos;
    }

    void maxBytes(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Adds a TEXT or CONTINUATION frame; {@code refused}: its sender was over its budget. */
    Outcome add(Frame frame, boolean refused) {
        if (text == null) {
            text = new Utf8StringBuilder();
            fragments = 0;
            bytes = 0;
            startedNanos = System.nanoTime();
            this.refused = false;
        }
        fragments++;
        bytes += frame.getPayloadLength();
        Outcome outcome = check();
        if (outcome != null) {
            text = null;
            return outcome;
        }
        // A refused message is still read whole (within the same bounds), so its refusal can name
        // its ref; a sender that keeps on is closed after a burst of refusals anyway.
        this.refused |= refused;
        if (frame.hasPayload()) text.append(frame.getPayload());
        if (text.hasCodingErrors()) {
            text = null;
            return Outcome.INVALID_UTF8;
        }
        if (!frame.isFin()) return Outcome.MORE;
        Utf8StringBuilder whole = text;
        text = null;
        if (!whole.isComplete()) return Outcome.INVALID_UTF8; // ends inside a character
        complete = whole.toCompleteString();
        return this.refused ? Outcome.REFUSED : Outcome.COMPLETE;
    }

    private Outcome check() {
        if (bytes > maxBytes) return Outcome.TOO_LARGE;
        if (fragments > maxFragments) return Outcome.TOO_MANY_FRAGMENTS;
        if (System.nanoTime() - startedNanos > maxNanos) return Outcome.TOO_SLOW;
        return null;
    }

    /** The message the last COMPLETE (or REFUSED) finished. */
    String take() {
        String message = complete;
        complete = null;
        return message;
    }
}
