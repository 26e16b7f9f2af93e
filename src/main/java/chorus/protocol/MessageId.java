package chorus.protocol;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A message id, "{epoch}-{seq}": the epoch is when this server's history began (ms since 1970),
 * the sequence counts up from 1 within a room. Ids compare as pairs of integers, so they keep
 * increasing across a restart, and a {@code since} from an earlier epoch is recognised as such.
 */
public record MessageId(long epoch, long seq) implements Comparable<MessageId> {
    private static final Pattern FORM = Pattern.compile("(\\d{1,18})-(\\d{1,18})");

    /** The id, or null when the text is not of the form "{epoch}-{seq}". */
    public static MessageId parse(String text) {
        Matcher m = FORM.matcher(text);
        return m.matches() ? new MessageId(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))) : null;
    }

    @Override
    public int compareTo(MessageId other) {
        int byEpoch = Long.compare(epoch, other.epoch);
        return byEpoch != 0 ? byEpoch : Long.compare(seq, other.seq);
    }

    @Override
    public String toString() {
        return epoch + "-" + seq;
    }
}
