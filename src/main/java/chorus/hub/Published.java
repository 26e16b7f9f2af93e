package chorus.hub;

import chorus.protocol.MessageId;

/** What became of a publish: the message's id, and whether it was a resend of one already delivered. */
public record Published(MessageId id, boolean duplicate) {
}
