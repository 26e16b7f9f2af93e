package chorus.ws;

import chorus.hub.Client;
import chorus.hub.CloseCodes;
import chorus.hub.Hub;
import java.nio.ByteBuffer;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.common.WebSocketSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One socket's inbound side: Jetty calls it for each frame, one at a time. Size and UTF-8 limits
 * are Jetty's (1009 and 1007); binary frames and the rate limit are ours. Public because Jetty
 * invokes it through method handles.
 */
public final class ChatEndpoint implements Session.Listener.AutoDemanding {
    private static final Logger LOG = LoggerFactory.getLogger(ChatEndpoint.class);

    private final Hub hub;
    private final TokenBucket bucket;
    private Client client;

    ChatEndpoint(Hub hub, TokenBucket bucket) {
        this.hub = hub;
        this.bucket = bucket;
    }

    @Override
    public void onWebSocketOpen(Session session) {
        client = hub.join(((WebSocketSession) session).getCoreSession());
    }

    @Override
    public void onWebSocketText(String text) {
        client.heard();
        switch (bucket.take()) {
            case ACCEPT -> hub.broadcast(text);
            case REFUSE -> { } // dropped: the sender is over its rate
            case ABUSE -> client.close(CloseCodes.POLICY, CloseCodes.RATE_REASON);
        }
    }

    // Declared (rather than onWebSocketBinary) so Jetty hands over the first frame at once,
    // instead of first buffering a whole binary message we will refuse anyway.
    @Override
    public void onWebSocketPartialBinary(ByteBuffer payload, boolean last, Callback callback) {
        callback.succeed();
        client.close(CloseCodes.UNSUPPORTED, CloseCodes.BINARY_REASON);
    }

    @Override
    public void onWebSocketPong(ByteBuffer payload) {
        client.heard();
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason, Callback callback) {
        callback.succeed();
        if (client != null) hub.leave(client);
        if (!CloseCodes.isExpected(statusCode)) LOG.info("socket closed: {} {}", statusCode, reason);
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        if (client != null) hub.leave(client);
        LOG.debug("socket error", cause);
    }
}
