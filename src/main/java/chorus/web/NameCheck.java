package chorus.web;

import chorus.auth.Identity;
import chorus.hub.Claim;
import chorus.hub.Hub;
import chorus.protocol.Names;
import chorus.protocol.Refs;
import io.javalin.http.Context;

/**
 * GET /name?room=R&name=N&client=C: 200 when that page could join the room under that name now,
 * 409 with the reason the upgrade would give when another person there shows one alike. A
 * browser cannot read a refused upgrade's status, so the page asks here when a socket failed to
 * open. Private rooms are not answered: their names are their members' business.
 */
public final class NameCheck {
    private final Hub hub;

    public NameCheck(Hub hub) {
        this.hub = hub;
    }

    public void handle(Context ctx) {
        String room = ctx.queryParam("room");
        String name = ctx.queryParam("name");
        String client = ctx.queryParam("client");
        ctx.contentType("text/plain; charset=utf-8").header("Cache-Control", "no-store");
        if (room == null || !Names.isRoom(room)) {
            ctx.status(400).result(Names.ROOM_RULE);
        } else if (name == null || Names.problem(name) != null) {
            ctx.status(400).result(Names.RULE);
        } else if (client != null && !Refs.isClient(client)) {
            ctx.status(400).result(Refs.CLIENT_RULE);
        } else if (room.startsWith(Identity.PRIVATE_PREFIX)) {
            ctx.status(403).result("names in private rooms are not told");
        } else if (hub.nameFree(room, Claim.person(null, client, null), Names.normalize(name))) {
            ctx.status(200).result("free");
        } else {
            ctx.status(409).result(new Claim.Taken(Names.normalize(name)).getMessage());
        }
    }
}
