package chorus.config;

import chorus.webhooks.Signer;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The app's backend in the loop (docs/WEBHOOKS.md): where events go and with which secret, which
 * events, how much may wait, when a person is offline; and the publish hook asked before a message
 * is taken, how long it may take, and what a failure means.
 */
public record Hooks(URI webhookUrl, String webhookSecret, Set<String> webhookEvents, int webhookQueueBytes, Duration webhookTimeout,
        Duration offlineGrace, URI publishHookUrl, Duration publishHookTimeout, boolean allowOnHookFailure) {

    static Hooks fromEnv(Map<String, String> env, Set<String> eventTypes, BiFunction<String, Duration, Duration> duration,
            IntSetting integer) {
        URI webhookUrl = url(env, "WEBHOOK_URL");
        URI publishHookUrl = url(env, "PUBLISH_HOOK_URL");
        String secret = env.get("WEBHOOK_SECRET");
        secret = secret == null || secret.isBlank() ? null : secret.strip();
        if ((webhookUrl != null || publishHookUrl != null) && secret == null) {
            throw new Config.Invalid("WEBHOOK_URL and PUBLISH_HOOK_URL need WEBHOOK_SECRET (whsec_ and base64, as Standard Webhooks gives)");
        }
        if (secret != null) {
            try {
                new Signer(secret);
            } catch (Signer.BadSecret e) {
                throw new Config.Invalid("WEBHOOK_SECRET " + e.getMessage()); // the value is a secret: not shown
            }
        }
        Set<String> events = eventTypes;
        String wanted = env.get("WEBHOOK_EVENTS");
        if (wanted != null && !wanted.isBlank()) {
            events = new LinkedHashSet<>(Arrays.stream(wanted.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList());
            for (String type : events) {
                if (!eventTypes.contains(type)) {
                    throw new Config.Invalid("WEBHOOK_EVENTS names '" + type + "', which is none of " + String.join(", ", eventTypes.stream().sorted().toList()));
                }
            }
        }
        String policy = env.getOrDefault("PUBLISH_HOOK_ON_FAILURE", "allow").strip().toLowerCase(Locale.ROOT);
        if (!policy.equals("allow") && !policy.equals("reject")) {
            throw new Config.Invalid("PUBLISH_HOOK_ON_FAILURE must be allow or reject, got '" + policy + "'");
        }
        return new Hooks(webhookUrl, secret, Set.copyOf(events), integer.get("WEBHOOK_QUEUE_BYTES", 8 << 20, 64 << 10, 1 << 30),
                duration.apply("WEBHOOK_TIMEOUT", Duration.ofSeconds(10)), duration.apply("OFFLINE_GRACE", Duration.ofSeconds(30)),
                publishHookUrl, duration.apply("PUBLISH_HOOK_TIMEOUT", Duration.ofSeconds(2)), policy.equals("allow"));
    }

    /** An integer setting: name, default, least, most. */
    interface IntSetting {
        int get(String name, int fallback, int min, int max);
    }

    private static URI url(Map<String, String> env, String name) {
        String raw = env.get(name);
        if (raw == null || raw.isBlank()) return null;
        try {
            URI uri = new URI(raw.strip());
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) return uri;
        } catch (URISyntaxException ignored) {
            // reported below with the accepted form
        }
        throw new Config.Invalid(name + " must be an http:// or https:// URL, got '" + raw + "'");
    }
}
