package chorus.hub;

import chorus.protocol.MessageId;

/** Joins as a socket does: its name claimed in the room first, then the membership. */
final class Joins {
    private Joins() {
    }

    static Room join(Hub hub, Member member, String room, MessageId since) {
        try {
            Claim claim = hub.claim(room, "test", member.claim().who(), member.name());
            member.rename(claim);
            return hub.join(member, claim, since);
        } catch (Claim.Taken e) {
            throw new AssertionError(e);
        }
    }
}
