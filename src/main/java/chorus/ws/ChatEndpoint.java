package chorus.ws;

import chorus.hub.Client;
import chorus.hub.CloseCodes;
import chorus.hub.Hub;
import chorus.protocol.Command;
import chorus.protocol.ErrorCode;
import chorus.protocol.Frames;
import java.nio.ByteBuffer;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.common.WebSocketSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One socket's inbound side: Jetty calls it for each frame, one at a time. Size and UTF-8 limits
 * are Jetty's (1009 and 1007); binary frames, the rate limit and the chorus.v1 protocol are ours.
 * Public because Jetty invokes it through method handles.
 */
public final class ChatEndpoint implements Session.Listener.AutoDemanding {
    private static final Logger LOG = LoggerFactory.getLogger(ChatEndpoint.class);

    private final Hub hub;
    private final JoinRequest join;
    private final TokenBucket bucket;
    private final int maxTextBytes;
    private final Refusals refusals;
    private Client client;

    ChatEndpoint(Hub hub, JoinRequest join, TokenBucket bucket, int maxTextBytes, Refusals refusals) {
        this.hub = hub;
        this.refusals = refusals;
        this.join = join;
        this.bucket = bucket;
        this.maxTextBytes = maxTextBytes;
    }

    @Override
    public void onWebSocketOpen(Session session) {
        // A chorus.v1 frame wraps the text in JSON, escaped: leave room for that around the text limit.
        if (join.json()) session.setMaxTextMessageSize(2L * maxTextBytes + 1024);
        client = hub.join(((WebSocketSession) session).getCoreSession(), join.room(), join.name(), join.json(),
                join.since());
    }

    @Override
    public void onWebSocketText(String text) {
        client.heard();
        switch (bucket.take()) {
            case ACCEPT -> accept(text);
            case REFUSE -> refuse(ErrorCode.RATE_LIMITED, "too many messages; slow down");
            case ABUSE -> client.close(CloseCodes.POLICY, CloseCodes.RATE_REASON);
        }
    }

    private void accept(String text) {
        if (!client.json()) {
            hub.publish(client, text, this::unavailable);
            return;
        }
        Command command = Command.parse(text, maxTextBytes);
        if (command instanceof Command.Send send) hub.publish(client, send.text(), this::unavailable);
        else if (command instanceof Command.Rename rename) hub.rename(client, rename.name());
        else if (command instanceof Command.Invalid invalid) refuse(invalid.code(), invalid.message());
    }

    /** The backend could not take the message: say so rather than lose it silently. */
    private void unavailable() {
        if (client.json()) refuse(ErrorCode.UNAVAILABLE, "the message was not sent: storage is unavailable; try again");
        else client.close(CloseCodes.TRY_AGAIN, CloseCodes.UNAVAILABLE_REASON); // plain mode has no other way
    }

    /** Counts the refusal; JSON clients also hear why (plain mode has no way to say it). */
    private void refuse(ErrorCode code, String message) {
        refusals.count(code.wire());
        if (client.json()) client.send(Frames.error(code, message));
    }

    // Declared (rather than onWebSocketBinary) so Jetty hands over the first frame at once,
    // instead of first buffering a whole binary message we will refuse anyway.
    @Override
    public void onWebSocketPartialBinary(ByteBuffer payload, boolean last, Callback callback) {
        callback.succeed();
        refusals.count("binary");
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
        // Jetty itself refuses oversize frames (1009) and invalid UTF-8 (1007).
        if (statusCode == 1009) refusals.count("too-large");
        else if (statusCode == 1007) refusals.count("invalid-utf8");
        else if (!CloseCodes.isExpected(statusCode)) LOG.info("socket closed: {} {}", statusCode, reason);
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        if (client != null) hub.leave(client);
        LOG.debug("socket error", cause);
    }
}
