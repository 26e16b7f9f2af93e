package chorus.ws;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * Which web pages may open sockets here. Without it any site could use its visitors' browsers
 * to connect (cross-site WebSocket hijacking). The app's own host is always allowed, so the page
 * works on any URL with no setting; ALLOWED_ORIGINS adds origins, or "*" allows all.
 * Requests without an Origin header come from non-browser clients and are allowed.
 */
final class OriginPolicy {
    private final boolean any;
    private final List<String> allowed;

    OriginPolicy(List<String> allowedOrigins) {
        this.any = allowedOrigins.equals(List.of("*"));
        this.allowed = allowedOrigins;
    }

    boolean allows(String origin, String host) {
        if (any || origin == null) return true;
        String normalized = origin.toLowerCase(Locale.ROOT);
        if (allowed.contains(normalized)) return true;
        try {
            String authority = URI.create(normalized).getRawAuthority();
            return authority != null && host != null && authority.equals(host.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
