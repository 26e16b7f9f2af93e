package chorus.ws;

import chorus.hub.CloseCodes;
import chorus.hub.Hub;
import chorus.hub.Room;
import chorus.protocol.Command;
import chorus.protocol.ErrorCode;
import chorus.protocol.Frames;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.messages.MessageSink;
import org.eclipse.jetty.websocket.core.messages.StringMessageSink;
import org.eclipse.jetty.websocket.core.util.MethodHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One socket's inbound side and its lifecycle, on Jetty's core WebSocket API: Jetty calls it for
 * one frame at a time. It opens the socket's {@link Connection}, joins the room, and on close
 * undoes both and gives back the socket's place, whatever failed in between. Jetty's core assembles text and checks its size (1009) and UTF-8 (1007); binary frames,
 * the rate limit and the chorus.v1 protocol are ours. The core API keeps nothing of the upgrade
 * request once the socket is open, which is most of what an idle connection costs.
 */
final class ChatEndpoint implements FrameHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ChatEndpoint.class);
    private static final MethodHandle ON_TEXT;

    static {
        try {
            ON_TEXT = MethodHandles.lookup().findVirtual(ChatEndpoint.class, "onText",
                    MethodType.methodType(void.class, String.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Hub hub;
    private final Outbound outbound;
    private final Sockets.Lease lease;
    private final JoinRequest join;
    private final TokenBucket bucket;
    private final int maxTextBytes;
    private final Refusals refusals;
    private CoreSession session;
    private MessageSink text;
    private Connection client;
    private volatile Room room;

    ChatEndpoint(Hub hub, Outbound outbound, Sockets.Lease lease, JoinRequest join, TokenBucket bucket,
            int maxTextBytes, Refusals refusals) {
        this.hub = hub;
        this.outbound = outbound;
        this.lease = lease;
        this.join = join;
        this.bucket = bucket;
        this.maxTextBytes = maxTextBytes;
        this.refusals = refusals;
    }

    @Override
    public void onOpen(CoreSession session, Callback callback) {
        this.session = session;
        // A chorus.v1 frame wraps the text in JSON, escaped: leave room for that around the text limit.
        if (join.json()) session.setMaxTextMessageSize(2L * maxTextBytes + 1024);
        text = new StringMessageSink(session, MethodHolder.from(ON_TEXT.bindTo(this)), true);
        client = outbound.open(session, join.name(), join.json());
        callback.succeeded();
        if (!lease.opened(client)) { // the upgrade was given up meanwhile
            client.abort();
            return;
        }
        room = hub.join(client, join.room(), join.since());
        // Closed while joining: onClosed may have run before the room was known.
        if (client.closed()) hub.leave(room, client);
        session.demand();
    }

    @Override
    public void onFrame(Frame frame, Callback callback) {
        client.heard();
        switch (frame.getOpCode()) {
            case OpCode.TEXT, OpCode.CONTINUATION -> text.accept(frame, callback); // demands the next frame
            case OpCode.BINARY -> {
                callback.succeeded();
                refusals.count("binary");
                client.close(CloseCodes.UNSUPPORTED, CloseCodes.BINARY_REASON);
                session.demand(); // to read the peer's close
            }
            case OpCode.PING -> session.sendFrame(new Frame(OpCode.PONG).setPayload(BufferUtil.copy(frame.getPayload())),
                    Callback.from(() -> {
                        callback.succeeded();
                        session.demand();
                    }, callback::failed), false);
            default -> { // PONG, and CLOSE, which the core answers once the callback completes
                callback.succeeded();
                if (frame.getOpCode() != OpCode.CLOSE) session.demand();
            }
        }
    }

    /** A whole text message, valid UTF-8 and within the size limit. */
    private void onText(String message) {
        switch (bucket.take()) {
            case ACCEPT -> accept(message);
            case REFUSE -> refuse(ErrorCode.RATE_LIMITED, "too many messages; slow down");
            case ABUSE -> client.close(CloseCodes.POLICY, CloseCodes.RATE_REASON);
        }
    }

    private void accept(String message) {
        if (!client.json()) {
            hub.publish(room, client.name(), message, failure -> unavailable());
            return;
        }
        Command command = Command.parse(message, maxTextBytes);
        if (command instanceof Command.Send send) hub.publish(room, client.name(), send.text(), failure -> unavailable());
        else if (command instanceof Command.Rename rename) rename(rename.name());
        else if (command instanceof Command.Invalid invalid) refuse(invalid.code(), invalid.message());
    }

    private void rename(String name) {
        client.rename(name);
        hub.renamed(room);
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

    @Override
    public void onError(Throwable cause, Callback callback) {
        LOG.debug("socket error", cause);
        callback.succeeded();
    }

    @Override
    public void onClosed(CloseStatus status, Callback callback) {
        if (client != null) {
            client.release();
            Room joined = room;
            if (joined != null) hub.leave(joined, client);
        }
        lease.end();
        int code = status.getCode();
        // The core refuses oversize text (1009) and invalid UTF-8 (1007) itself.
        if (code == CloseStatus.MESSAGE_TOO_LARGE) refusals.count("too-large");
        else if (code == CloseStatus.BAD_PAYLOAD) refusals.count("invalid-utf8");
        else if (!CloseCodes.isExpected(code)) LOG.info("socket closed: {} {}", code, status.getReason());
        callback.succeeded();
    }
}
