package chorus.api;

import chorus.hub.Backend;
import chorus.hub.CloseCodes;
import chorus.hub.Hub;
import chorus.hub.Member;
import chorus.hub.Order;
import chorus.ws.Upgrade;

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

    public void carryOut(Order order) {
        switch (order.kind()) {
            case CLOSE_ROOM -> hub.closeRoom(order.target(), CloseCodes.ROOM_CLOSED, CloseCodes.ROOM_CLOSED_REASON);
            case DISCONNECT -> {
                Member member = hub.member(order.target());
                if (member == null) return; // on another instance, which carries it out there
                member.close(CloseCodes.DISCONNECTED, CloseCodes.DISCONNECTED_REASON);
                if (order.seconds() > 0) backend.order(Order.ban(member.address(), order.seconds()));
            }
            case BAN -> upgrade.ban(order.target(), order.seconds());
        }
    }
}
