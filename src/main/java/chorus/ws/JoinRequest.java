package chorus.ws;

import chorus.protocol.MessageId;
import chorus.protocol.Names;
import chorus.protocol.Refs;
import java.util.List;
import java.util.Map;

/** What an upgrade request asks for: a room, a name, where to resume, which protocol, and who sends. */
record JoinRequest(String room, String name, MessageId since, boolean json, String client) {
    static final String SUBPROTOCOL = "chorus.v1";

    /** Thrown for a malformed query parameter; the message is the HTTP 400 reason. */
    static final class BadRequest extends Exception {
        BadRequest(String message) {
            super(message);
        }
    }

    static JoinRequest from(Map<String, List<String>> params, List<String> subprotocols) throws BadRequest {
        String room = single(params, "room");
        if (room == null) room = Names.MAIN_ROOM;
        else if (!Names.isRoom(room)) throw new BadRequest(Names.ROOM_RULE);

        String name = single(params, "name");
        if (name == null) name = Names.guest();
        else if (Names.problem(name) != null) throw new BadRequest(Names.RULE);
        else name = Names.normalize(name);

        String sinceText = single(params, "since");
        MessageId since = sinceText == null ? null : MessageId.parse(sinceText);
        if (sinceText != null && since == null) {
            throw new BadRequest("since must be a message id such as 1764000000000-42");
        }
        // A page's lasting identity for at-most-once sending, kept across reconnects.
        String client = single(params, "client");
        if (client != null && !Refs.isClient(client)) throw new BadRequest(Refs.CLIENT_RULE);
        return new JoinRequest(room, name, since, subprotocols.contains(SUBPROTOCOL), client);
    }

    private static String single(Map<String, List<String>> params, String key) throws BadRequest {
        List<String> values = params.get(key);
        if (values == null || values.isEmpty()) return null;
        if (values.size() > 1) throw new BadRequest(key + " must be given once");
        return values.get(0);
    }
}
