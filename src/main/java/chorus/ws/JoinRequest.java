package chorus.ws;

import chorus.protocol.MessageId;
import chorus.protocol.Names;
import chorus.protocol.Refs;
import java.util.List;
import java.util.Map;

/**
 * What an upgrade request asks for: a room, a name (null: a guest's), where to resume, which
 * protocol, which tab sends (client), which browser's guest it is (person), and the token that
 * says who the user is (null: anonymous).
 */
record JoinRequest(String room, String name, MessageId since, boolean json, String client, String person, String token) {
    static final String SUBPROTOCOL = "chorus.v1";
    /** A token travels as a subprotocol offered beside chorus.v1, never in the URL, which logs keep. */
    static final String TOKEN_PREFIX = "chorus.token.";

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
        String problem = name == null ? null : Names.chosenProblem(name);
        if (problem != null) throw new BadRequest(problem);
        if (name != null) name = Names.normalize(name);

        String sinceText = single(params, "since");
        MessageId since = sinceText == null ? null : MessageId.parse(sinceText);
        if (sinceText != null && since == null) {
            throw new BadRequest("since must be a message id such as 1764000000000-42");
        }
        // A page's lasting identity for at-most-once sending, kept across reconnects.
        String client = single(params, "client");
        if (client != null && !Refs.isClient(client)) throw new BadRequest(Refs.CLIENT_RULE);
        // A guest's lasting id, the same in every tab of a browser: one person, one name, counted once.
        String person = single(params, "person");
        if (person != null && !Refs.isClient(person)) throw new BadRequest("person must be 8-64 letters, digits, '-' or '_'");
        if (params.containsKey("token")) {
            throw new BadRequest("a token must not travel in the URL, where logs keep it: offer it as the subprotocol "
                    + TOKEN_PREFIX + "<JWT> beside " + SUBPROTOCOL);
        }
        List<String> tokens = subprotocols.stream().filter(p -> p.startsWith(TOKEN_PREFIX)).toList();
        if (tokens.size() > 1) throw new BadRequest("offer one token");
        boolean json = subprotocols.contains(SUBPROTOCOL);
        if (!tokens.isEmpty() && !json) throw new BadRequest("a token needs the subprotocol " + SUBPROTOCOL + " beside it");
        String token = tokens.isEmpty() ? null : tokens.get(0).substring(TOKEN_PREFIX.length());
        return new JoinRequest(room, name, since, json, client, person, token);
    }

    private static String single(Map<String, List<String>> params, String key) throws BadRequest {
        List<String> values = params.get(key);
        if (values == null || values.isEmpty()) return null;
        if (values.size() > 1) throw new BadRequest(key + " must be given once");
        return values.get(0);
    }
}
