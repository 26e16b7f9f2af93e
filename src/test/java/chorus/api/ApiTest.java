package chorus.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static chorus.support.ApiClient.TOKEN;
import static chorus.support.ApiClient.call;

import chorus.support.JsonClient;
import chorus.support.Jwts;
import chorus.support.RawSocket;
import chorus.support.TestServer;
import chorus.support.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The HTTP API against the real server, with real sockets in the rooms it acts on. */
class ApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private TestServer server;

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    private void start(Map<String, String> env) {
        server = new TestServer(env);
    }

    private HttpResponse<String> api(String method, String path, String body) throws Exception {
        return call(server, method, path, body, TOKEN);
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    @Test
    void withoutApiTokenThereIsNoApi() throws Exception {
        start(Map.of());
        assertEquals(404, call(server, "GET", "/api/rooms", null, null).statusCode());
        assertEquals(404, call(server, "GET", "/api/rooms", null, TOKEN).statusCode());
        assertEquals(200, call(server, "GET", "/metrics", null, null).statusCode(), "metrics open without tokens");
    }

    @Test
    void everyRouteNeedsTheTokenAndAttemptsAreCounted() throws Exception {
        start(Map.of("API_TOKEN", TOKEN));
        List<String[]> routes = List.of(new String[] {"POST", "/api/rooms/r/messages", "{\"text\":\"hi\"}"},
                new String[] {"GET", "/api/rooms", null}, new String[] {"GET", "/api/rooms/r", null},
                new String[] {"GET", "/api/rooms/r/messages", null}, new String[] {"DELETE", "/api/rooms/r", null},
                new String[] {"DELETE", "/api/users/abc", null});
        for (String[] route : routes) {
            HttpResponse<String> none = call(server, route[0], route[1], route[2], null);
            assertEquals(401, none.statusCode(), route[0] + " " + route[1]);
            assertEquals("Bearer", none.headers().firstValue("WWW-Authenticate").orElse(""));
            assertEquals(403, call(server, route[0], route[1], route[2], "wrong-token-0123456789").statusCode());
            int ok = call(server, route[0], route[1], route[2], TOKEN).statusCode();
            assertTrue(ok >= 200 && ok < 300, route[0] + " " + route[1] + " gave " + ok);
        }
        String metrics = call(server, "GET", "/metrics", null, TOKEN).body();
        assertTrue(metrics.contains("chorus_auth_attempts_total{outcome=\"missing\",scope=\"api\"} 6.0"), metrics);
        assertTrue(metrics.contains("chorus_auth_attempts_total{outcome=\"wrong\",scope=\"api\"} 6.0"));
    }

    @Test
    void metricsNeedTheirTokenWhenOneIsSet() throws Exception {
        start(Map.of("METRICS_TOKEN", "metrics-token-0123456789"));
        assertEquals(401, call(server, "GET", "/metrics", null, null).statusCode());
        assertEquals(403, call(server, "GET", "/metrics", null, TOKEN).statusCode());
        HttpResponse<String> scraped = call(server, "GET", "/metrics", null, "metrics-token-0123456789");
        assertEquals(200, scraped.statusCode());
        assertTrue(scraped.body().contains("chorus_connections"));
        assertEquals(200, call(server, "GET", "/health", null, null).statusCode(), "health stays open");
    }

    @Test
    void aPublishedMessageReachesBothModesInOrderWithItsIdAndStaysInHistory() throws Exception {
        start(Map.of("API_TOKEN", TOKEN));
        try (JsonClient ann = JsonClient.connect(server, "room=news&name=ann");
                WsClient plain = WsClient.connect(URI.create(server.ws() + "?room=news"))) {
            server.awaitConnections(2);
            ann.send("before");
            JsonNode before = ann.next("message"); // ordered before the API's message is sent
            HttpResponse<String> created = api("POST", "/api/rooms/news/messages", "{\"text\":\"from the backend\",\"from\":\"bot\"}");
            assertEquals(201, created.statusCode(), created.body());
            String id = json(created).get("id").asText();
            JsonNode api = ann.next("message");
            ann.send("after");
            JsonNode after = ann.next("message");
            assertEquals("before", before.get("text").asText());
            assertEquals(id, api.get("id").asText());
            assertEquals("from the backend", api.get("text").asText());
            assertEquals("bot", api.get("from").asText());
            assertEquals("after", after.get("text").asText());
            assertEquals(List.of("before", "from the backend", "after"), plain.next(3));

            JsonNode history = json(api("GET", "/api/rooms/news/messages?since=" + before.get("id").asText(), null));
            assertEquals(2, history.get("messages").size());
            assertEquals(id, history.get("messages").get(0).get("id").asText());
            assertTrue(history.get("reset").isNull());
            try (JsonClient late = JsonClient.connect(server, "room=news&since=" + before.get("id").asText())) {
                assertEquals(id, late.next("message").get("id").asText(), "resume includes the API's message");
            }
            JsonNode limited = json(api("GET", "/api/rooms/news/messages?limit=1", null));
            assertEquals("before", limited.get("messages").get(0).get("text").asText());
            assertEquals(1, limited.get("messages").size());
        }
    }

    @Test
    void errorsNameTheField() throws Exception {
        start(Map.of("API_TOKEN", TOKEN, "MAX_MESSAGE_BYTES", "10"));
        Map<String, String[]> cases = Map.of(
                "/api/rooms/news/messages|{}", new String[] {"400", "text"},
                "/api/rooms/news/messages|{\"text\":\"01234567890\"}", new String[] {"400", "text"},
                "/api/rooms/news/messages|{\"text\":\"hi\",\"from\":\"\\u200b\"}", new String[] {"400", "from"},
                "/api/rooms/bad%20room/messages|{\"text\":\"hi\"}", new String[] {"400", "room"},
                "/api/rooms/news/messages|not json", new String[] {"400", "body"});
        for (Map.Entry<String, String[]> c : cases.entrySet()) {
            String[] pathBody = c.getKey().split("\\|", 2);
            HttpResponse<String> r = api("POST", pathBody[0], pathBody[1]);
            assertEquals(Integer.parseInt(c.getValue()[0]), r.statusCode(), c.getKey());
            assertEquals(c.getValue()[1], json(r).get("field").asText(), c.getKey() + " " + r.body());
        }
        assertEquals("limit", json(api("GET", "/api/rooms/news/messages?limit=0", null)).get("field").asText());
        assertEquals("since", json(api("GET", "/api/rooms/news/messages?since=yesterday", null)).get("field").asText());
        assertEquals("ban", json(api("DELETE", "/api/sessions/abc?ban=-1", null)).get("field").asText());
    }

    /** A request with any Content-Type (null: none) and body. */
    private HttpResponse<String> post(String path, String contentType, String body) throws Exception {
        java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(server.http(path))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).header("Authorization", "Bearer " + TOKEN);
        if (contentType != null) request.header("Content-Type", contentType);
        return chorus.support.TestServer.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theApiParsesBodiesAsStrictlyAsTheSocketAndSaysWhatIsWrong() throws Exception {
        start(Map.of("API_TOKEN", TOKEN));
        String path = "/api/rooms/strict/messages";
        assertEquals(400, call(server, "POST", path, "{\"text\":\"a\",\"text\":\"b\"}", TOKEN).statusCode(), "duplicate key");
        assertEquals(400, call(server, "POST", path, "{\"text\":\"x\"}]]]", TOKEN).statusCode(), "trailing content");
        assertEquals(400, call(server, "POST", path, "{\"text\":\"\\ud800\"}", TOKEN).statusCode(), "lone surrogate");
        assertEquals(415, post(path, "text/plain", "{\"text\":\"x\"}").statusCode(), "not JSON");
        assertEquals(415, post(path, null, "{\"text\":\"x\"}").statusCode(), "no Content-Type");
        assertEquals(201, post(path, "application/json; charset=utf-8", "{\"text\":\"x\"}").statusCode());
        HttpResponse<String> huge = post(path, "application/json", "{\"text\":\"" + "x".repeat(2 << 20) + "\"}");
        assertEquals(413, huge.statusCode(), huge.body());
        for (String ban : List.of("%2B5", "05", "5&ban=6", "-0", "1e3")) {
            assertEquals(400, call(server, "DELETE", "/api/sessions/abc?ban=" + ban, null, TOKEN).statusCode(), "ban=" + ban);
        }
    }

    @Test
    void roomsAndARoomsMembersAreListed() throws Exception {
        start(Map.of("API_TOKEN", TOKEN));
        try (JsonClient ann = JsonClient.connect(server, "room=a&name=ann");
                JsonClient bob = JsonClient.connect(server, "room=a&name=bob");
                JsonClient cat = JsonClient.connect(server, "room=b&name=cat")) {
            server.awaitConnections(3);
            ann.send("one");
            ann.next("message");
            JsonNode rooms = json(api("GET", "/api/rooms", null)).get("rooms");
            assertEquals("[{\"room\":\"a\",\"members\":2},{\"room\":\"b\",\"members\":1}]", JSON.writeValueAsString(rooms));
            JsonNode a = json(api("GET", "/api/rooms/a", null));
            assertEquals(2, a.get("members").size());
            assertEquals(1, a.get("messages").asInt());
            assertTrue(a.get("members").findValuesAsText("session").contains(ann.welcome().get("session").asText()));
            assertTrue(a.get("members").findValuesAsText("name").containsAll(List.of("ann", "bob")));
        }
    }

    @Test
    void closingARoomClosesItsMembersWith4001AndDeletesItsHistory() throws Exception {
        start(Map.of("API_TOKEN", TOKEN));
        try (JsonClient ann = JsonClient.connect(server, "room=doomed&name=ann");
                WsClient plain = WsClient.connect(URI.create(server.ws() + "?room=doomed"));
                JsonClient other = JsonClient.connect(server, "room=elsewhere")) {
            server.awaitConnections(3);
            ann.send("soon gone");
            ann.next("message");
            assertEquals(204, api("DELETE", "/api/rooms/doomed", null).statusCode());
            for (WsClient.Close close : List.of(ann.socket().awaitClose(), plain.awaitClose())) {
                assertEquals(4001, close.code());
                assertEquals("room closed", close.reason());
            }
            assertTrue(!other.socket().isClosed(), "a member of another room was closed");
            JsonNode history = json(api("GET", "/api/rooms/doomed/messages", null));
            assertEquals(0, history.get("messages").size(), "history survived: " + history);
        }
    }

    @Test
    void disconnectingASessionClosesItWith4002AndCanRefuseItsAddressAWhile() throws Exception {
        start(Map.of("API_TOKEN", TOKEN));
        try (JsonClient spammer = JsonClient.connect(server, "room=r&name=spam");
                JsonClient bystander = JsonClient.connect(server, "room=r&name=ok")) {
            String session = spammer.welcome().get("session").asText();
            assertEquals(202, api("DELETE", "/api/sessions/" + session + "?ban=2", null).statusCode());
            WsClient.Close close = spammer.socket().awaitClose();
            assertEquals(4002, close.code());
            assertEquals("disconnected by an operator", close.reason());
            assertTrue(!bystander.socket().isClosed());
            assertEquals(403, WsClient.refusedStatus(server.ws(), Map.of()), "the banned address got back in");
            Thread.sleep(2200);
            try (WsClient back = WsClient.connect(server.ws())) {
                assertTrue(!back.isClosed(), "the ban did not end");
            }
        }
    }

    @Test
    void newestNAnswersTheLastMessagesAndASessionThatDoesNotExistIs404() throws Exception {
        start(Map.of("API_TOKEN", TOKEN));
        try (JsonClient ann = JsonClient.connect(server, "room=latest&name=ann")) {
            for (int i = 1; i <= 5; i++) ann.send("m" + i);
            ann.messages(5);
            JsonNode newest = json(api("GET", "/api/rooms/latest/messages?newest=2", null));
            assertEquals(List.of("m4", "m5"), newest.get("messages").findValuesAsText("text"), newest.toString());
            assertEquals("m1", json(api("GET", "/api/rooms/latest/messages?limit=1", null)).get("messages").get(0).get("text").asText());
            assertEquals(400, api("GET", "/api/rooms/latest/messages?newest=2&limit=3", null).statusCode());
            HttpResponse<String> nobody = api("DELETE", "/api/sessions/nosuchsession", null);
            assertEquals(404, nobody.statusCode(), nobody.body());
        }
    }

    @Test
    void anOperatorDisconnectsAPersonInEveryTabAndRefusesItsTokensAWhile() throws Exception {
        start(Map.of("API_TOKEN", TOKEN, "TOKEN_SECRET", Jwts.SECRET));
        String eve = Jwts.hs256(Jwts.user("u-eve", "eve", null));
        try (JsonClient tab1 = JsonClient.withToken(server, "room=r1", eve);
                JsonClient tab2 = JsonClient.withToken(server, "room=r2", eve);
                JsonClient bystander = JsonClient.connect(server, "room=r1&name=ok")) {
            JsonNode summary = json(api("GET", "/api/rooms/r1", null));
            assertTrue(summary.get("members").toString().contains("\"user\":\"u-eve\""), summary.toString());
            HttpResponse<String> closed = api("DELETE", "/api/users/u-eve?ban=2", null);
            assertEquals(202, closed.statusCode(), closed.body());
            assertEquals(2, json(closed).get("sessions").asInt());
            assertEquals(4002, tab1.socket().awaitClose().code());
            assertEquals(4002, tab2.socket().awaitClose().code());
            assertTrue(!bystander.socket().isClosed());
            RawSocket.Refusal back = RawSocket.refusal(server.port(), "/ws?room=r1", Jwts.offer(eve));
            assertEquals(403, back.status(), back.toString());
            Thread.sleep(2200);
            try (JsonClient later = JsonClient.withToken(server, "room=r1", eve)) {
                assertEquals("u-eve", later.welcome().get("user").asText(), "the ban did not end");
            }
        }
    }
}
