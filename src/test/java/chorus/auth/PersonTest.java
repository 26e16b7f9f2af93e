package chorus.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import chorus.support.JsonClient;
import chorus.support.Jwts;
import chorus.support.RawSocket;
import chorus.support.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The person is the key, not the name (#30, items 1 to 4 as the issue tells them). */
class PersonTest {
    private final TestServer server = new TestServer(Map.of("TOKEN_SECRET", Jwts.SECRET));
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) c.close();
        server.close();
    }

    private JsonClient verified(String query, String sub, String name, List<String> rooms) {
        JsonClient client = JsonClient.withToken(server, query, Jwts.hs256(Jwts.user(sub, name, rooms)));
        open.add(client);
        return client;
    }

    private JsonClient anonymous(String query) {
        JsonClient client = JsonClient.connect(server, query);
        open.add(client);
        return client;
    }

    private static String members(JsonNode presence) {
        return presence.get("members").toString();
    }

    @Test
    void twoVerifiedUsersWhoShareADisplayNameBothJoinAndAreToldApartByUser() {
        JsonClient first = verified("room=private-team", "u-17", "Ann", List.of("private-team"));
        JsonClient second = verified("room=private-team", "u-99", "Ann", List.of("private-team"));
        assertEquals("Ann", second.welcome().get("name").asText());
        JsonNode presence = first.awaitPresence(p -> p.get("members").size() == 2);
        assertEquals("[{\"name\":\"Ann\",\"user\":\"u-17\"},{\"name\":\"Ann\",\"user\":\"u-99\"}]", members(presence));
    }

    @Test
    void aVerifiedLookAlikeDoesNotLockOutTheVerifiedName() {
        JsonClient squatter = verified("room=look", "u-cyr", "\u0410nn", null); // Cyrillic А
        JsonClient ann = verified("room=look", "u-17", "Ann", null);
        assertEquals("Ann", ann.welcome().get("name").asText());
        squatter.awaitPresence(p -> p.get("members").size() == 2);
    }

    @Test
    void theSamePersonInASecondTabKeepsItsNameAndCountsOnce() throws Exception {
        JsonClient first = anonymous("room=tabs&person=browser-0001&client=tab-one-0001");
        first.rename("Zoe");
        first.awaitPresence(p -> p.get("names").toString().equals("[\"Zoe\"]"));
        JsonClient second = anonymous("room=tabs&name=Zoe&person=browser-0001&client=tab-two-0002");
        assertEquals("Zoe", second.welcome().get("name").asText());
        assertEquals(1, second.welcome().get("online").asInt(), "one person");
        JsonNode presence = second.awaitPresence(p -> p.get("names").size() == 1);
        assertEquals(1, presence.get("online").asInt());
        // Another person still may not show it.
        assertEquals(409, RawSocket.refusal(server.port(), "/ws?room=tabs&name=Zoe&person=browser-0002",
                "Sec-WebSocket-Protocol: chorus.v1\r\n").status());
    }

    @Test
    void aDisplacedAnonymousMemberNeverTakesTheUserAwayFromTheVerifiedOne() {
        JsonClient impostor = anonymous("room=imp&name=Ann&person=impostor-01");
        JsonClient watcher = anonymous("room=imp&name=watcher");
        JsonClient ann = verified("room=imp", "u-17", "Ann", null);
        assertEquals(4009, impostor.socket().awaitClose().code());
        JsonClient again = anonymous("room=imp&person=impostor-01"); // the page rejoins as a guest
        assertFalse(again.welcome().get("name").asText().equals("Ann"));
        JsonNode presence = watcher.awaitPresence(p -> p.get("members").size() == 3);
        assertEquals("{\"name\":\"Ann\",\"user\":\"u-17\"}", presence.get("members").get(0).toString(), members(presence));
        ann.send("still verified");
        assertEquals("u-17", watcher.next("message").get("user").asText());
    }
}
