package chorus.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.Relay;
import chorus.support.RedisServer;
import chorus.support.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Recipe 4 of #29: exactly-once through a long stall, with the project's own client library. 60
 * clients on three instances sharing a real redis-server, four rooms at 50 messages a second each;
 * the second instance's connections freeze for 20 s (what a long GC pause looks like from outside:
 * what clients sent was published, its answers never came, reconnecting fails) and then come back.
 * Every message is heard exactly once. When the ref window was a count (the last 100-200 refs), the
 * resends after the stall found their refs rotated out and were delivered a second time.
 */
class StallTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void libraryClientsOnAnInstanceFrozenFor20SecondsDoubleNothing() throws Exception {
        try (RedisServer redis = new RedisServer()) {
            Map<String, String> env = new HashMap<>(Map.of("REDIS_URL", redis.url(), "RATE_LIMIT_PER_ADDRESS", "10000",
                    "RATE_LIMIT_PER_SECOND", "200", "RATE_LIMIT_BURST", "400"));
            List<TestServer> instances = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) instances.add(new TestServer(env));
                try (Relay relay = new Relay(instances.get(1).port())) {
                    String frozen = "ws://127.0.0.1:" + relay.port() + "/ws";
                    ProcessBuilder run = new ProcessBuilder("node", "--experimental-websocket", "--no-warnings", "stall.mjs")
                            .directory(new File("src/test/js")).redirectErrorStream(true);
                    run.environment().putAll(Map.of("CHORUS_WS_LIST", instances.get(0).ws() + "," + frozen + "," + instances.get(2).ws(),
                            "ROOMS", "4", "PER_ROOM", "15", "RATE", "50", "SEND_MS", "23000"));
                    Process node = run.start();
                    node.getOutputStream().close();
                    try (BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
                        StringBuilder printed = new StringBuilder();
                        String line;
                        while ((line = out.readLine()) != null && !line.equals("ready")) printed.append(line).append('\n');
                        assertEquals("ready", line, printed.toString());
                        Thread.sleep(2_000);
                        relay.refuse(true); // the instance stops: nothing it says arrives, nobody gets in
                        relay.deaf(true);
                        Thread.sleep(20_000);
                        relay.cutAll(); // and comes back
                        relay.deaf(false);
                        relay.refuse(false);
                        JsonNode rooms = null;
                        while ((line = out.readLine()) != null) {
                            if (line.startsWith("[")) rooms = JSON.readTree(line);
                            else printed.append(line).append('\n');
                        }
                        assertTrue(node.waitFor(10, TimeUnit.SECONDS));
                        assertTrue(rooms != null, "no result: " + printed);
                        int total = 0;
                        for (JsonNode room : rooms) {
                            Map<String, Integer> times = new HashMap<>();
                            room.get("heard").forEach(text -> times.merge(text.asText(), 1, Integer::sum));
                            List<String> doubled = times.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
                            List<String> missing = new ArrayList<>();
                            room.get("sent").forEach(text -> {
                                if (!times.containsKey(text.asText())) missing.add(text.asText());
                            });
                            assertEquals(List.of(), doubled, "delivered twice in " + room.get("room"));
                            assertEquals(List.of(), missing, "never delivered in " + room.get("room"));
                            total += room.get("sent").size();
                        }
                        assertTrue(total > 4_000, "too little traffic to prove anything: " + total);
                    } finally {
                        node.destroyForcibly();
                    }
                }
            } finally {
                for (TestServer s : instances) s.close();
            }
        }
    }
}
