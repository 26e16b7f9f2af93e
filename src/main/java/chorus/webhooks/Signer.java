package chorus.webhooks;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs deliveries as Standard Webhooks says (standardwebhooks.com): HMAC-SHA256, keyed with the
 * bytes of a {@code whsec_<base64>} secret, over {@code id.timestamp.body}, sent as
 * {@code webhook-signature: v1,<base64>}. Every verifier library checks it as is.
 */
public final class Signer {
    public static final String PREFIX = "whsec_";
    private final SecretKeySpec key;

    /** Thrown for a secret not in the whsec_ form; its message is meant for the operator. */
    public static final class BadSecret extends IllegalArgumentException {
        BadSecret(String message) {
            super(message);
        }
    }

    public Signer(String secret) {
        if (secret == null || !secret.startsWith(PREFIX)) throw new BadSecret("must be whsec_ followed by base64 (at least 24 bytes)");
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            throw new BadSecret("must be whsec_ followed by base64 (at least 24 bytes)");
        }
        if (bytes.length < 24) throw new BadSecret("must hold at least 24 random bytes after whsec_");
        this.key = new SecretKeySpec(bytes, "HmacSHA256");
    }

    /** A POST of the event to url, signed now: the headers every Standard Webhooks verifier reads. */
    public HttpRequest.Builder request(URI url, Duration timeout, Event event) {
        long timestamp = System.currentTimeMillis() / 1000;
        return HttpRequest.newBuilder(url).timeout(timeout)
                .header("Content-Type", "application/json")
                .header("webhook-id", event.id())
                .header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", sign(event.id(), timestamp, event.body()))
                .POST(HttpRequest.BodyPublishers.ofByteArray(event.body()));
    }

    /** The webhook-signature header's value for this delivery. */
    public String sign(String id, long timestampSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is in every JDK", e);
        }
    }
}
