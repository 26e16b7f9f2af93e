package chorus.webhooks;

import static chorus.webhooks.Events.data;

import chorus.hub.Draft;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * PUBLISH_HOOK_URL, asked before a message is taken: a signed POST of a message.publishing event;
 * the backend answers {"action":"allow"}, {"action":"reject","reason":…} or {"action":"allow",
 * "text":…} (an empty 2xx allows). No answer within PUBLISH_HOOK_TIMEOUT, a status other than 2xx
 * or an answer that is none of these is a failure, and PUBLISH_HOOK_ON_FAILURE decides. Nothing
 * waits for it but the message: it runs on the HTTP client's threads.
 */
public final class PublishHook {
    /** What became of the ask: allowed (with its text, perhaps replaced), or rejected with a reason for the sender. */
    public record Verdict(boolean allowed, String text, String reason) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI url;
    private final Signer signer;
    private final Duration timeout;
    private final boolean allowOnFailure;
    private final int maxTextBytes;
    private final Events events = new Events(Set.of("message.publishing"));
    private final HttpClient http;
    private final Timer latency;
    private final Counter failures;

    public PublishHook(URI url, Signer signer, Duration timeout, boolean allowOnFailure, int maxTextBytes, MeterRegistry registry) {
        this.url = url;
        this.signer = signer;
        this.timeout = timeout;
        this.allowOnFailure = allowOnFailure;
        this.maxTextBytes = maxTextBytes;
        // HTTP/1.1: an http:// request offering the h2c upgrade is dropped by servers that take no upgrades (Node's).
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
        this.latency = Timer.builder("chorus.publish.hook.latency").description("the publish hook's round trip")
                .publishPercentileHistogram().register(registry);
        this.failures = Counter.builder("chorus.publish.hook.failures")
                .description("publish hook calls that timed out, failed or answered nonsense (PUBLISH_HOOK_ON_FAILURE decided)")
                .register(registry);
    }

    public CompletableFuture<Verdict> check(String room, Draft draft, String client) {
        Event event = events.make("message.publishing", room, data("room", room, "text", draft.text(), "from", draft.from(),
                "user", draft.user(), "session", draft.session(), "client", client, "ref", draft.ref()));
        HttpRequest request = signer.request(url, timeout, event).build();
        long start = System.nanoTime();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
                .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .handle((response, failure) -> {
                    latency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                    Verdict verdict = failure == null ? read(response, draft.text()) : null;
                    if (verdict != null) return verdict;
                    failures.increment();
                    return new Verdict(allowOnFailure, draft.text(), "the message could not be checked (the app did not answer in time); try again");
                });
    }

    /** The backend's answer, or null when it is none (a failure). */
    private Verdict read(HttpResponse<String> response, String text) {
        if (response.statusCode() / 100 != 2) return null;
        if (response.body().isBlank()) return new Verdict(true, text, null);
        try {
            JsonNode answer = JSON.readTree(response.body());
            String action = answer.path("action").asText("");
            if (action.equals("reject")) {
                String reason = answer.path("reason").asText("");
                return new Verdict(false, text, reason.isBlank() ? "the message was not accepted" : reason);
            }
            if (!action.equals("allow")) return null;
            JsonNode replaced = answer.get("text");
            if (replaced == null || replaced.isNull()) return new Verdict(true, text, null);
            String newText = replaced.asText();
            int bytes = newText.getBytes(StandardCharsets.UTF_8).length;
            return replaced.isTextual() && bytes > 0 && bytes <= maxTextBytes ? new Verdict(true, newText, null) : null;
        } catch (Exception e) {
            return null;
        }
    }
}
