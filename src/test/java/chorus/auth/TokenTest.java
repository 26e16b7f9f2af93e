package chorus.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.Docs;
import chorus.support.JsonClient;
import chorus.support.Jwts;
import chorus.support.RawSocket;
import chorus.support.TestServer;
import chorus.support.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tokens signed by an app's backend, against the real server with a secret and two public keys:
 * who a verified user is reaches every frame, and every hostile token is refused at the upgrade
 * with 401 and why (docs/AUTH.md).
 */
class TokenTest {
    private static TestServer server;

    @BeforeAll
    static void start() {
        server = new TestServer(Map.of("TOKEN_SECRET", Jwts.SECRET, "TOKEN_PUBLIC_KEY", Jwts.publicKeys()));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static RawSocket.Refusal refusal(String query, String token) throws IOException {
        return RawSocket.refusal(server.port(), "/ws" + query, token == null ? "Sec-WebSocket-Protocol: chorus.v1\r\n" : Jwts.offer(token));
    }

    private static void assertRefused(int status, String reason, RawSocket.Refusal refusal) {
        assertEquals(status, refusal.status(), refusal.toString());
        assertTrue(refusal.reason().contains(reason), "reason: " + refusal.reason());
    }

    @Test
    void aVerifiedUserIsNamedOnItsWelcomeItsMessagesAndInPresenceAndTheTokenIsNeverEchoed() {
        try (JsonClient ann = JsonClient.withToken(server, "room=who&name=ignored", Jwts.hs256(Jwts.user("u-17", "Ann", null)));
                JsonClient guest = JsonClient.connect(server, "room=who&name=bob")) {
            assertEquals("chorus.v1", ann.socket().subprotocol());
            assertEquals("u-17", ann.welcome().get("user").asText());
            assertEquals("Ann", ann.welcome().get("name").asText(), "a verified user shows the name its token gives");
            assertFalse(guest.welcome().has("user"));
            ann.send("hello");
            JsonNode heard = guest.next("message");
            assertEquals("u-17", heard.get("user").asText());
            assertEquals("Ann", heard.get("from").asText());
            assertEquals("u-17", ann.next("message").get("user").asText(), "her own, as everyone sees it");
            guest.send("hi");
            JsonNode fromGuest = ann.next("message");
            assertFalse(fromGuest.has("user"), "an anonymous sender has no user: " + fromGuest);
            JsonNode presence = guest.awaitPresence(p -> p.get("members").size() == 2);
            assertEquals("{\"name\":\"Ann\",\"user\":\"u-17\"}", presence.get("members").get(0).toString());
            assertEquals("{\"name\":\"bob\"}", presence.get("members").get(1).toString());
        }
    }

    @Test
    void eachKeyVerifiesTheAlgorithmItsTypePinsAndAUserCannotRenameAwayFromItsToken() {
        for (String token : List.of(Jwts.hs256(Jwts.user("u-hs")), Jwts.rs256(Jwts.user("u-rs")), Jwts.es256(Jwts.user("u-es")))) {
            try (JsonClient client = JsonClient.withToken(server, "room=keys", token)) {
                assertTrue(client.welcome().get("user").asText().startsWith("u-"), client.welcome().toString());
                client.rename("someone-else");
                assertEquals("bad-name", client.next("error").get("code").asText());
            }
        }
    }

    @Test
    void hostileTokensAreRefusedWith401AndTheirReason() throws Exception {
        JWSHeader hs = new JWSHeader(JWSAlgorithm.HS256);
        Instant now = Instant.now();
        Map<String, String> forged = new java.util.LinkedHashMap<>();
        forged.put("not signed", Jwts.unsigned(Jwts.user("admin")));
        // Key confusion: HS256 "signed" with the RSA public key, which a server trusting the
        // token's alg header would use as the HMAC secret.
        forged.put("signature does not verify", Jwts.sign(hs, Jwts.user("admin"), Jwts.secretSigner(Jwts.RSA.toPublicKey().getEncoded())));
        forged.put("signature does not verify ", Jwts.tampered(Jwts.hs256(Jwts.user("bob")), Jwts.user("admin")));
        forged.put("expired", Jwts.hs256(Jwts.user("u").expirationTime(Date.from(now.minusSeconds(60)))));
        forged.put("not valid yet", Jwts.hs256(Jwts.user("u").notBeforeTime(Date.from(now.plusSeconds(60)))));
        forged.put("issued in the future", Jwts.hs256(Jwts.user("u").issueTime(Date.from(now.plusSeconds(60)))));
        forged.put("no exp", Jwts.hs256(Jwts.user("u").expirationTime(null)));
        forged.put("sub must be", Jwts.hs256(Jwts.user(null)));
        forged.put("unknown key id", Jwts.sign(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("elsewhere").build(), Jwts.user("u"),
                Jwts.secretSigner(Jwts.SECRET.getBytes())));
        forged.put("larger than 4096 bytes", Jwts.hs256(Jwts.user("u").claim("pad", "x".repeat(5000))));
        forged.put("not a JWT", "garbage");
        forged.put("rooms must be", Jwts.hs256(Jwts.user("u").claim("rooms", List.of("no spaces allowed"))));
        for (Map.Entry<String, String> token : forged.entrySet()) {
            assertRefused(401, token.getKey().strip(), refusal("?room=main", token.getValue()));
        }
        assertTrue(server.get("/metrics").contains("reason=\"upgrade-401\""));
    }

    @Test
    void theRoomsClaimDecidesWhereAUserMayGoAndPrivateRoomsNeedIt() throws Exception {
        String team = Jwts.hs256(Jwts.user("u-t", "tess", List.of("private-team", "team-*")));
        try (JsonClient a = JsonClient.withToken(server, "room=private-team", team);
                JsonClient b = JsonClient.withToken(server, "room=team-red", team)) {
            assertEquals("private-team", a.welcome().get("room").asText());
        }
        assertRefused(403, "does not name room private-other", refusal("?room=private-other", team));
        assertRefused(403, "does not name room main", refusal("?room=main", team));
        assertRefused(401, "private", refusal("?room=private-team", null));
        String anyPublic = Jwts.hs256(Jwts.user("u-p"));
        assertRefused(403, "does not name room private-team", refusal("?room=private-team", anyPublic));
        try (JsonClient c = JsonClient.withToken(server, "room=lobby", anyPublic)) {
            assertEquals("u-p", c.welcome().get("user").asText());
        }
    }

    @Test
    void aTokenTravelsOnlyAsASubprotocolBesideChorusV1() throws Exception {
        String token = Jwts.hs256(Jwts.user("u"));
        assertRefused(400, "must not travel in the URL", RawSocket.refusal(server.port(), "/ws?token=" + token, ""));
        assertRefused(400, "beside it", RawSocket.refusal(server.port(), "/ws", "Sec-WebSocket-Protocol: chorus.token." + token + "\r\n"));
    }

    @Test
    void theNodeExampleInTheDocsMintsATokenThisServerTakes() throws Exception {
        // Run as the docs say, saved as mint.mjs where the tests' npm packages (jose among them) are installed.
        File mint = new File("src/test/js/mint.mjs");
        java.nio.file.Files.writeString(mint.toPath(), Docs.example("AUTH.md", "mint:node"));
        mint.deleteOnExit();
        ProcessBuilder run = new ProcessBuilder("node", "mint.mjs").directory(new File("src/test/js")).redirectErrorStream(true);
        run.environment().put("TOKEN_SECRET", Jwts.SECRET);
        Process node = run.start();
        node.getOutputStream().close();
        String token = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, node.waitFor(), token);
        try (JsonClient ann = JsonClient.withToken(server, "room=private-team", token)) {
            assertEquals("u-17", ann.welcome().get("user").asText());
            assertEquals("Ann", ann.welcome().get("name").asText());
        }
    }

    @Test
    void aSocketIsClosedWith4003AtItsTokensExpiry() {
        String soon = Jwts.hs256(Jwts.user("u-x").expirationTime(Date.from(Instant.now().plusSeconds(2))));
        try (JsonClient client = JsonClient.withToken(server, "room=expiry", soon)) {
            WsClient.Close close = client.socket().awaitClose();
            assertEquals(new WsClient.Close(4003, "token expired"), close);
        }
    }

    @Test
    void withRequireTokenAnonymousClientsAreRefusedEverywhere() throws Exception {
        try (TestServer strict = new TestServer(Map.of("TOKEN_SECRET", Jwts.SECRET, "REQUIRE_TOKEN", "true"))) {
            RawSocket.Refusal anonymous = RawSocket.refusal(strict.port(), "/ws?room=main", "");
            assertEquals(new RawSocket.Refusal(401, "a token is required here"), anonymous);
            try (JsonClient ok = JsonClient.withToken(strict, "room=main", Jwts.hs256(Jwts.user("u")))) {
                assertEquals("u", ok.welcome().get("user").asText());
            }
        }
    }

    @Test
    void withoutKeysEveryoneIsAnonymousAsBeforeAndATokenIsRefused() throws Exception {
        try (TestServer demo = new TestServer(); JsonClient guest = JsonClient.connect(demo, "room=private-x&name=ann")) {
            assertFalse(guest.welcome().has("user"));
            RawSocket.Refusal token = RawSocket.refusal(demo.port(), "/ws", Jwts.offer(Jwts.hs256(Jwts.user("u"))));
            assertEquals(401, token.status());
            assertTrue(token.reason().contains("verifies no tokens"), token.reason());
        }
    }

    /**
     * A strict reading of a token: base64url without padding, the subprotocol exactly
     * {@code chorus.token.} and the JWT, an expiry within the horizon (each of these was accepted).
     */
    @Test
    void aTokenIsReadStrictly() throws Exception {
        String token = Jwts.hs256(Jwts.user("u-strict"));
        assertRefused(401, "base64url", refusal("?room=strict", token + "=="));
        assertRefused(401, "base64url", RawSocket.refusal(server.port(), "/ws?room=strict",
                "Sec-WebSocket-Protocol: chorus.v1, chorus.token. " + token + "\r\n"));
        Instant now = Instant.now();
        String forever = Jwts.hs256(Jwts.user("u-forever").expirationTime(new Date(9_223_372_036_854_775L * 1000)));
        assertRefused(401, "exp", refusal("?room=strict", forever));
        String nextYear = Jwts.hs256(Jwts.user("u-year").expirationTime(Date.from(now.plusSeconds(366L * 24 * 3600))));
        assertRefused(401, "exp", refusal("?room=strict", nextYear));
        try (JsonClient ok = JsonClient.withToken(server, "room=strict", token)) {
            assertEquals("u-strict", ok.welcome().get("user").asText());
        }
    }
}
