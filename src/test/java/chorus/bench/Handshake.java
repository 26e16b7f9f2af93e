package chorus.bench;

import java.net.URI;
import java.nio.charset.StandardCharsets;

/** The bytes of a WebSocket upgrade request, for sockets the benchmark drives by hand. */
final class Handshake {
    private Handshake() {
    }

    static byte[] request(URI url) {
        String target = url.getRawPath() + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        return ("GET " + target + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + url.getPort()
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    }
}
