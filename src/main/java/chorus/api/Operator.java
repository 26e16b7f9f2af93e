package chorus.api;

import chorus.hub.Backend;
import chorus.hub.CloseCodes;
import chorus.hub.Hub;
import chorus.hub.Member;
import chorus.hub.Order;
import chorus.ws.Upgrade;
import java.util.HashSet;
import java.util.Set;

/** Carries out operators' orders on this instance, for the members that are here. */
public final class Operator {
    private final Hub hub;
    private final Upgrade upgrade;
    private final Backend backend;

    public Operator(Hub hub, Upgrade upgrade, Backend backend) {
        this.hub = hub;
        this.upgrade = upgrade;
        this.backend = backend;
    }

    /** Carries out an order here; answers how many sockets here it reached. */
    public int carryOut(Order order) {
        switch (order.kind()) {
            case CLOSE_ROOM -> {
                return hub.closeRoom(order.target(), CloseCodes.ROOM_CLOSED, CloseCodes.ROOM_CLOSED_REASON);
            }
            case DISCONNECT -> {
                Member member = hub.member(order.target());
                if (member == null) return 0; // on another instance, which carries it out there
                member.disconnect(CloseCodes.DISCONNECTED, CloseCodes.DISCONNECTED_REASON);
                if (order.seconds() > 0) backend.order(Order.ban(member.address(), order.seconds()));
                return 1;
            }
            case DISCONNECT_USER -> {
                // Banned first, so a reconnect racing the close is refused.
                if (order.seconds() > 0) upgrade.banUser(order.target(), order.seconds());
                Set<String> closed = new HashSet<>(); // sessions: a socket is a member of each of its rooms
                for (Member member : hub.members()) {
                    if (order.target().equals(member.user()) && closed.add(member.session())) {
                        member.disconnect(CloseCodes.DISCONNECTED, CloseCodes.DISCONNECTED_REASON);
                    }
                }
                return closed.size();
            }
            case BAN -> {
                upgrade.ban(order.target(), order.seconds());
                return 0;
            }
            default -> throw new IllegalArgumentException(order.kind().name());
        }
    }
}
