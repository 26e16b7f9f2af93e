package chorus.ws;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Which web pages may open sockets here. Without it any site could use its visitors' browsers
 * to connect (cross-site WebSocket hijacking). The app's own host is always allowed with http or
 * https (TLS may end at a proxy, as on Heroku, so the scheme the page used is not ours to know),
 * so the page works on any URL with no setting; ALLOWED_ORIGINS adds origins, or "*" allows all.
 * Origins and entries compare in one normal form: lower case, no default port, no trailing slash.
 * Requests without an Origin header come from non-browser clients and are allowed.
 */
final class OriginPolicy {
    private final boolean any;
    private final List<String> allowed;

    OriginPolicy(List<String> allowedOrigins) {
        this.any = allowedOrigins.equals(List.of("*"));
        this.allowed = allowedOrigins.stream().map(OriginPolicy::normalize).filter(Objects::nonNull).toList();
    }

    boolean allows(String origin, String host) {
        if (any || origin == null) return true;
        String normalized = normalize(origin);
        if (normalized == null) return false;
        if (allowed.contains(normalized)) return true;
        String authority = normalized.substring(normalized.indexOf("://") + 3);
        return host != null && authority.equals(withoutDefaultPort(host.toLowerCase(Locale.ROOT)));
    }

    /** "scheme://host[:port]" for http and https origins, or null for anything else. */
    static String normalize(String origin) {
        try {
            String trimmed = origin.strip();
            if (trimmed.endsWith("/")) trimmed = trimmed.substring(0, trimmed.length() - 1);
            URI uri = new URI(trimmed.toLowerCase(Locale.ROOT));
            String scheme = uri.getScheme();
            if (!"http".equals(scheme) && !"https".equals(scheme)) return null;
            if (uri.getHost() == null || uri.getRawUserInfo() != null || !uri.getRawPath().isEmpty()
                    || uri.getRawQuery() != null || uri.getRawFragment() != null) return null;
            int port = uri.getPort();
            boolean defaultPort = port == -1 || (scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443);
            return scheme + "://" + uri.getHost() + (defaultPort ? "" : ":" + port);
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    private static String withoutDefaultPort(String host) {
        return host.endsWith(":80") || host.endsWith(":443") ? host.substring(0, host.lastIndexOf(':')) : host;
    }
}
