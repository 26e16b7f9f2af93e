package chorus.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.JsonClient;
import chorus.support.Jwts;
import chorus.support.RawSocket;
import chorus.support.TestServer;
import chorus.support.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** In a room, nobody may show a name another person there shows, by case, width or look-alike letters. */
class NamesTest {
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = new TestServer(Map.of("TOKEN_SECRET", Jwts.SECRET));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String query(String room, String name) {
        return "/ws?room=" + room + "&name=" + URLEncoder.encode(name, StandardCharsets.UTF_8);
    }

    @Test
    void aNameAnotherPersonShowsIsRefusedWith409InEveryDisguise() throws Exception {
        try (JsonClient ann = JsonClient.connect(server, "room=twins&name=ann")) {
            // ANN, a Cyrillic а, a small capital ᴀ, full width, mathematical bold, a trailing
            // space and an ideographic one.
            for (String name : List.of("ann", "ANN", "Ann", "\u0430nn", "\u1d00nn", "\uff41\uff4e\uff4e",
                    "\ud835\udc1a\ud835\udc27\ud835\udc27", "ann ", "ann\u3000")) {
                RawSocket.Refusal refusal = RawSocket.refusal(server.port(), query("twins", name), "");
                assertEquals(409, refusal.status(), name + ": " + refusal);
                assertTrue(refusal.reason().contains("is taken in this room"), refusal.reason());
            }
            try (JsonClient annie = JsonClient.connect(server, "room=twins&name=annie");
                    JsonClient elsewhere = JsonClient.connect(server, "room=other&name=ann")) {
                assertEquals("annie", annie.welcome().get("name").asText());
                assertEquals("ann", elsewhere.welcome().get("name").asText(), "names are per room");
            }
            assertTrue(server.get("/metrics").contains("reason=\"upgrade-409\""));
        }
    }

    @Test
    void aRenameToANameTakenIsRefusedWithNameTakenAndChangesNothing() {
        try (JsonClient ann = JsonClient.connect(server, "room=renames&name=ann");
                JsonClient bob = JsonClient.connect(server, "room=renames&name=bob")) {
            bob.rename("\u0410NN");
            JsonNode error = bob.next("error");
            assertEquals("name-taken", error.get("code").asText());
            bob.rename("robert");
            ann.awaitPresence(p -> p.get("names").toString().equals("[\"ann\",\"robert\"]"));
            try (JsonClient again = JsonClient.connect(server, "room=renames&name=bob")) {
                assertEquals("bob", again.welcome().get("name").asText(), "a name given up is free again");
            }
        }
    }

    @Test
    void aClientReconnectingKeepsItsNameAndItsOlderSessionIsClosed() {
        try (JsonClient first = JsonClient.connect(server, "room=back&name=cleo&client=page-cleo-000001")) {
            try (JsonClient second = JsonClient.connect(server, "room=back&name=cleo&client=page-cleo-000001")) {
                assertEquals("cleo", second.welcome().get("name").asText());
                assertEquals(new WsClient.Close(4005, "replaced by a newer connection of this client"), first.socket().awaitClose());
            }
        }
    }

    @Test
    void oneUserInTwoTabsKeepsItsNameAndNoAnonymousPersonMayShowIt() throws Exception {
        String dana = Jwts.hs256(Jwts.user("u-dana", "dana", null));
        try (JsonClient squatter = JsonClient.connect(server, "room=verified&name=Dana")) {
            try (JsonClient tab1 = JsonClient.withToken(server, "room=verified", dana);
                    JsonClient tab2 = JsonClient.withToken(server, "room=verified", dana)) {
                assertEquals(new WsClient.Close(4009, "name taken by a verified user"), squatter.socket().awaitClose());
                assertEquals("dana", tab2.welcome().get("name").asText());
                assertFalse(tab1.socket().isClosed(), "a user's own tabs do not push each other out");
                RawSocket.Refusal anonymous = RawSocket.refusal(server.port(), query("verified", "DANA"), "");
                assertEquals(409, anonymous.status(), anonymous.toString());
                String other = Jwts.hs256(Jwts.user("u-other", "dana", null));
                assertEquals(101, RawSocket.refusal(server.port(), "/ws?room=verified", Jwts.offer(other)).status(),
                        "another verified user may show it too: told apart by user");
            }
        }
    }

    @Test
    void guestsGetNamesNoOtherGuestShows() {
        Set<String> names = new HashSet<>();
        List<JsonClient> guests = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                JsonClient guest = JsonClient.connect(server, "room=guests");
                guests.add(guest);
                assertTrue(names.add(guest.welcome().get("name").asText()), "two guests named " + guest.welcome());
            }
        } finally {
            guests.forEach(JsonClient::close);
        }
    }

    /**
     * Names that imitate the server or someone's generated name are refused for everyone, in any
     * disguise: in the query (400), as a rename (bad-name), and in a token (401). A returning guest
     * needs no such name: its client id brings its generated name back.
     */
    @Test
    void namesThatImitateTheServerOrAGuestAreRefusedForEveryone() throws Exception {
        for (String name : List.of("system", "Chorus", "SERVER", "ｓｙｓｔｅｍ", "guest-1234", "Guest-12345678", "guеst-1234", "guést-4321")) {
            RawSocket.Refusal refusal = RawSocket.refusal(server.port(), query("imitate", name), "");
            assertEquals(400, refusal.status(), name + ": " + refusal);
        }
        try (JsonClient ann = JsonClient.connect(server, "room=imitate&name=ann")) {
            ann.rename("Server");
            assertEquals("bad-name", ann.next("error").get("code").asText());
        }
        RawSocket.Refusal token = RawSocket.refusal(server.port(), "/ws?room=imitate",
                Jwts.offer(Jwts.hs256(Jwts.user("u-sys", "System", null))));
        assertEquals(401, token.status(), token.toString());
        String first;
        try (JsonClient guest = JsonClient.connect(server, "room=imitate&client=c-returning-guest-1")) {
            first = guest.welcome().get("name").asText();
        }
        Thread.sleep(200); // the server sees the first socket go before the second claims the name
        try (JsonClient again = JsonClient.connect(server, "room=imitate&client=c-returning-guest-1")) {
            assertEquals(first, again.welcome().get("name").asText(), "a returning guest's name");
        }
    }
}
