package chorus.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.JsonClient;
import chorus.support.TestServer;
import chorus.support.WsClient;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpTest {
    private final TestServer server = new TestServer();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(server.http(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void pageAndAssetsCarrySecurityHeaders() throws Exception {
        for (String path : new String[] {"/", "/chorus.js", "/chorus.css"}) {
            HttpResponse<String> response = get(path);
            assertEquals(200, response.statusCode(), path);
            String csp = response.headers().firstValue("Content-Security-Policy").orElseThrow();
            assertTrue(csp.contains("script-src 'self'"), csp);
            assertTrue(csp.contains("style-src 'self'"), csp);
            assertTrue(csp.contains("frame-ancestors 'none'"), csp);
            assertTrue(csp.contains("connect-src 'self' ws://127.0.0.1:" + server.port()), csp);
            assertEquals("nosniff", response.headers().firstValue("X-Content-Type-Options").orElseThrow());
            assertEquals("no-referrer", response.headers().firstValue("Referrer-Policy").orElseThrow());
        }
        assertTrue(get("/").body().contains("<script type=\"module\" src=\"/chorus.js\""));
    }

    /** The whole raw response (head and body) to a request written as is. */
    private String exchange(String request) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.shutdownOutput();
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void refusalsAtTheSocketsDoorArePlainTextSayingWhy() throws Exception {
        HttpResponse<String> notAnUpgrade = get("/ws");
        assertEquals(400, notAnUpgrade.statusCode());
        assertTrue(notAnUpgrade.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        assertFalse(notAnUpgrade.body().contains("<"), notAnUpgrade.body());
        assertTrue(notAnUpgrade.body().strip().length() > 5, notAnUpgrade.body());
        String badRoom = exchange("GET /ws?room=%00 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nConnection: close\r\n\r\n");
        assertTrue(badRoom.startsWith("HTTP/1.1 400"), badRoom);
        assertTrue(badRoom.toLowerCase(java.util.Locale.ROOT).contains("content-type: text/plain"), badRoom);
        String body = badRoom.substring(badRoom.indexOf("\r\n\r\n") + 4);
        assertFalse(body.contains("<"), body);
        assertTrue(body.contains("room"), body);
    }

    @Test
    void metricsCountConnectionsMessagesRefusalsAndTheJvm() throws Exception {
        try (JsonClient a = JsonClient.connect(server, "name=a"); JsonClient b = JsonClient.connect(server, "name=b")) {
            a.send("hello");
            b.next("message");
            a.next("message");
            a.socket().send("{oops");
            a.next("error");
            String body = get("/metrics").body();
            for (String line : new String[] {"chorus_connections 2.0", "chorus_messages_received_total 1.0",
                    "chorus_messages_delivered_total 2.0", "chorus_messages_refused_total{reason=\"bad-json\"} 1.0",
                    "chorus_slow_clients_dropped_total 0.0", "chorus_outbound_queue_bytes ",
                    "jetty_threads_config_max 16.0", "jetty_threads_busy "}) {
                assertTrue(body.lines().anyMatch(l -> l.startsWith(line)), "no " + line + " in /metrics");
            }
            assertTrue(body.contains("chorus_broadcast_latency_seconds_bucket{le="), "no broadcast latency histogram");
            assertTrue(body.contains("jvm_memory_used_bytes{"), "no JVM memory");
            assertTrue(body.contains("jvm_gc_"), "no GC");
        }
    }

    @Test
    void healthReportsStatusConnectionsAndUptime() throws Exception {
        try (WsClient client = WsClient.connect(server.ws())) {
            server.awaitConnections(1);
            HttpResponse<String> response = get("/health");
            assertEquals(200, response.statusCode());
            assertTrue(response.headers().firstValue("Content-Type").orElseThrow().startsWith("application/json"));
            assertTrue(response.body().matches("\\{\"status\":\"ok\",\"connections\":1,\"uptimeSeconds\":\\d+}"),
                    response.body());
        }
    }
}
