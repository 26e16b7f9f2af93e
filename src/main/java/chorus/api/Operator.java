package chorus.api;

import chorus.hub.Backend;
import chorus.hub.Hub;
import chorus.hub.Member;
import chorus.hub.Order;
import chorus.ws.Upgrade;

/** Carries out operators' orders on this instance, for the members that are here. */
public final class Operator {
    /** Close codes a page shows as such and does not reconnect from at once. */
    public static final int ROOM_CLOSED = 4001;
    public static final int DISCONNECTED = 4002;

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
            case CLOSE_ROOM -> hub.closeRoom(order.target(), ROOM_CLOSED, "room closed");
            case DISCONNECT -> {
                Member member = hub.member(order.target());
                if (member == null) return; // on another instance, which carries it out there
                member.close(DISCONNECTED, "disconnected by an operator");
                if (order.seconds() > 0) backend.order(Order.ban(member.address(), order.seconds()));
            }
            case BAN -> upgrade.ban(order.target(), order.seconds());
        }
    }
}
