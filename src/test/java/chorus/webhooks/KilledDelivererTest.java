package chorus.webhooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.support.ApiClient;
import chorus.support.JsonClient;
import chorus.support.ProcfileServer;
import chorus.support.Receiver;
import chorus.support.RedisServer;
import chorus.support.TestServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The instance that delivers webhooks, in a process of its own, SIGKILLed with events in its hands: another instance delivers them (#31). */
class KilledDelivererTest {

    @Test
    void anInstanceKilledWithEventsPendingHasThemDeliveredByAnother() throws Exception {
        try (Receiver receiver = new Receiver(); RedisServer redis = new RedisServer()) {
            receiver.answer(r -> Receiver.Answer.status(500)); // the events stay pending in the deliverer's hands
            Map<String, String> env = Map.of("REDIS_URL", redis.url(), "WEBHOOK_URL", receiver.url(), "WEBHOOK_SECRET", WebhooksTest.SECRET,
                    "WEBHOOK_EVENTS", "message.created", "API_TOKEN", ApiClient.TOKEN);
            try (ProcfileServer jar = ProcfileServer.fromClasses(env)) {
                awaitQueue(jar.port(), "this instance delivers"); // the first instance up takes the lease
                try (TestServer other = new TestServer(env); JsonClient ann = JsonClient.connect(other, "room=kill&name=ann")) {
                    List<String> sent = new ArrayList<>();
                    for (int i = 0; i < 10; i++) {
                        ann.send("m" + i);
                        sent.add("m" + i);
                    }
                    ann.messages(10);
                    receiver.await("message.created", 1, java.time.Duration.ofSeconds(10)); // the jar read them and is trying
                    long killed = System.nanoTime();
                    jar.process().destroyForcibly(); // SIGKILL: no shutdown hook, the lease and the read events left behind
                    receiver.answer(r -> Receiver.Answer.status(204));
                    long end = killed + TimeUnit.SECONDS.toNanos(30);
                    Set<String> taken = new LinkedHashSet<>();
                    while (taken.size() < sent.size() && System.nanoTime() < end) {
                        Thread.sleep(100);
                        taken.clear();
                        receiver.taken.forEach(r -> taken.add(r.json().get("data").get("text").asText()));
                    }
                    assertEquals(sent, List.copyOf(taken), "every event, in order, after the deliverer died");
                    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killed);
                    System.out.printf("the other instance delivered the dead one's %d pending events %d s after the SIGKILL%n", sent.size(), seconds);
                    assertTrue(ApiClient.call(other, "GET", "/api/webhooks", null, ApiClient.TOKEN).body().contains("this instance delivers"));
                }
            }
        }
    }

    private static void awaitQueue(int port, String fragment) throws Exception {
        String body = "";
        for (int i = 0; i < 100 && !body.contains(fragment); i++) {
            Thread.sleep(50);
            body = TestServer.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/webhooks"))
                    .header("Authorization", "Bearer " + ApiClient.TOKEN).build(), HttpResponse.BodyHandlers.ofString()).body();
        }
        assertTrue(body.contains(fragment), body);
    }
}
