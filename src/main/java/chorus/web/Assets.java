package chorus.web;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The page and the client library: files from the classpath, read once and served from memory. Javalin's static
 * file handler would open the whole jar as a zip file system at start-up, a sixth of our start
 *  time, for five files.
 */
public final class Assets {
    private record Asset(byte[] bytes, String contentType, String etag) {
    }

    private final Map<String, Asset> byPath = Map.of(
            "/", load("index.html", "text/html; charset=utf-8"),
            "/chorus.js", load("chorus.js", "text/javascript; charset=utf-8"),
            "/chorus-client.js", load("chorus-client.js", "text/javascript; charset=utf-8"),
            "/chorus.css", load("chorus.css", "text/css; charset=utf-8"),
            "/favicon.svg", load("favicon.svg", "image/svg+xml"),
            "/favicon.ico", load("favicon.svg", "image/svg+xml")); // asked for by some browsers and tools whatever the page says

    private static Asset load(String name, String contentType) {
        try (InputStream in = Assets.class.getResourceAsStream("/public/" + name)) {
            if (in == null) throw new IllegalStateException("missing /public/" + name);
            byte[] bytes = in.readAllBytes();
            return new Asset(bytes, contentType, "\"" + Integer.toHexString(java.util.Arrays.hashCode(bytes)) + "\"");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Iterable<String> paths() {
        return byPath.keySet();
    }

    public void handle(Context ctx) {
        Asset asset = byPath.get(ctx.path());
        // no-cache: revalidate every time, so a deploy reaches every tab at its next load.
        ctx.header("Cache-Control", "no-cache").header("ETag", asset.etag());
        // Any page may import the library: it holds nothing of this server's but its code.
        if (ctx.path().equals("/chorus-client.js")) ctx.header("Access-Control-Allow-Origin", "*");
        if (asset.etag().equals(ctx.header("If-None-Match"))) {
            ctx.status(304);
        } else {
            ctx.contentType(asset.contentType()).result(asset.bytes());
        }
    }
}
