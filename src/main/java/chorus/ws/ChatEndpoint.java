package chorus.ws;

import chorus.hub.Backend;
import chorus.hub.Claim;
import chorus.hub.CloseCodes;
import chorus.hub.Draft;
import chorus.hub.Hub;
import chorus.hub.Room;
import chorus.protocol.Command;
import chorus.protocol.ErrorCode;
import chorus.protocol.Frames;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CloseStatus;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.Frame;
import org.eclipse.jetty.websocket.core.FrameHandler;
import org.eclipse.jetty.websocket.core.OpCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One socket's inbound side and its lifecycle, on Jetty's core WebSocket API: Jetty calls it for
 * one frame at a time. It opens the socket's {@link Connection}, joins the room, and on close
 * undoes both and gives back the socket's places, whatever failed in between.
 *
 * <p>Every frame the peer sends costs it a token of its own budget, pings and fragments included,
 * so a flood of anything is refused and then closed. Whole messages also cost a token of its
 * address's budget. Text is assembled here ({@link TextAssembler}) so that invalid UTF-8, size,
 * fragment count and time are refused at the first frame that breaks them.
 */
final class ChatEndpoint implements FrameHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ChatEndpoint.class);

    private final Hub hub;
    private final Outbound outbound;
    private final Sockets.Lease lease;
    private final JoinRequest join;
    private final Limits limits;
    private final Addresses.Entry address;
    private final TokenBucket budget;
    private final TextAssembler text;
    private final Refusals refusals;
    private final String sessionId;
    private final Claim claim; // the name it joined with; a rename moves it to another
    private final Instant expires; // the token's exp, null for an anonymous client
    private final ScheduledExecutorService timer;
    private volatile ScheduledFuture<?> expiry;
    private CoreSession session;
    private Connection client;
    private volatile Room room;

    ChatEndpoint(Hub hub, Outbound outbound, Sockets.Lease lease, JoinRequest join, String sessionId, Claim claim, Instant expires,
            ScheduledExecutorService timer, Limits limits, Refusals refusals) {
        this.hub = hub;
        this.sessionId = sessionId;
        this.claim = claim;
        this.expires = expires;
        this.timer = timer;
        this.outbound = outbound;
        this.lease = lease;
        this.join = join;
        this.limits = limits;
        this.address = lease.limits;
        this.refusals = refusals;
        this.budget = limits.connectionBudget();
        this.text = limits.assembler(join.json());
    }

    @Override
    public void onOpen(CoreSession session, Callback callback) {
        this.session = session;
        client = outbound.open(session, sessionId, claim, join.json(), lease.address);
        callback.succeeded();
        if (!lease.opened(client)) { // the upgrade was given up meanwhile
            client.abort();
            return;
        }
        if (expires != null) {
            long delay = Math.max(0, Duration.between(Instant.now(), expires).toMillis());
            expiry = timer.schedule(() -> close(CloseCodes.TOKEN_EXPIRED, CloseCodes.TOKEN_EXPIRED_REASON), delay, TimeUnit.MILLISECONDS);
        }
        room = hub.join(client, claim, join.since());
        // Closed while joining: onClosed may have run before the room was known.
        if (client.closed()) hub.leave(room, client);
        session.demand();
    }

    @Override
    public void onFrame(Frame frame, Callback callback) {
        client.heard();
        byte opCode = frame.getOpCode();
        if (opCode == OpCode.CLOSE) { // the core answers it; QuietClose holds the answer until our write in flight ends
            callback.succeeded();
            return;
        }
        TokenBucket.Verdict verdict = budget.take();
        if (verdict == TokenBucket.Verdict.ABUSE) {
            callback.succeeded();
            refuseAndClose("frame-flood", CloseCodes.POLICY, CloseCodes.RATE_REASON);
            return;
        }
        boolean refused = verdict == TokenBucket.Verdict.REFUSE;
        switch (opCode) {
            case OpCode.TEXT, OpCode.CONTINUATION -> {
                assemble(frame, refused); // before the callback: it hands the frame's buffer back
                callback.succeeded();
            }
            case OpCode.BINARY -> {
                callback.succeeded();
                refuseAndClose("binary", CloseCodes.UNSUPPORTED, CloseCodes.BINARY_REASON);
            }
            case OpCode.PING -> {
                if (refused) { // unanswered: a ping flood costs its sender, not us
                    callback.succeeded();
                    refuse("ping-flood");
                    session.demand();
                    return;
                }
                // Queued under the connection's bound, so a peer that pings and never reads is closed.
                client.pong(frame.hasPayload() ? frame.getPayload() : BufferUtil.EMPTY_BUFFER);
                callback.succeeded();
            }
            default -> callback.succeeded(); // PONG
        }
        session.demand();
    }

    private void assemble(Frame frame, boolean refused) {
        switch (text.add(frame, refused)) {
            case COMPLETE -> onText(text.take());
            case REFUSED -> refuseMessage(ErrorCode.RATE_LIMITED, "too many messages; slow down", refOf(text.take()));
            case TOO_LARGE -> refuseAndClose("too-large", CloseStatus.MESSAGE_TOO_LARGE,
                    "message larger than " + limits.frameBytes(join.json()) + " bytes");
            case INVALID_UTF8 -> refuseAndClose("invalid-utf8", CloseStatus.BAD_PAYLOAD, "invalid UTF-8");
            case TOO_MANY_FRAGMENTS -> refuseAndClose("too-many-fragments", CloseCodes.POLICY, CloseCodes.FRAGMENTS_REASON);
            case TOO_SLOW -> refuseAndClose("message-timeout", CloseCodes.POLICY, CloseCodes.MESSAGE_TIMEOUT_REASON);
            case MORE -> {
            }
        }
    }

    /** A whole text message, valid UTF-8 and within the size limit. */
    private void onText(String message) {
        Command command = command(message);
        String ref = command instanceof Command.Send send ? send.ref() : null;
        switch (address.budget.take()) {
            case ACCEPT -> accept(command);
            case REFUSE -> refuseMessage(ErrorCode.RATE_LIMITED, "too many messages from your address; slow down", ref);
            case ABUSE -> close(CloseCodes.POLICY, CloseCodes.RATE_REASON);
        }
    }

    private Command command(String message) {
        return client.json() ? Command.parse(message, limits.maxTextBytes()) : new Command.Send(message, null);
    }

    /** The ref of a send, so even its refusal tells the sender which message it was. */
    private String refOf(String message) {
        return command(message) instanceof Command.Send send ? send.ref() : null;
    }

    private void accept(Command command) {
        if (command instanceof Command.Send send) publish(send.text(), send.ref(), send.age());
        else if (command instanceof Command.Rename rename) rename(rename.name());
        else if (command instanceof Command.Ping) client.send(Frames.pong());
        else if (command instanceof Command.Invalid invalid) refuseMessage(invalid.code(), invalid.message(), null);
    }

    /**
     * Publishes, and tells the sender what became of it: a sent frame with the id when it gave a
     * ref (also for a resend already delivered), or what failed, certain or not.
     */
    private void publish(String text, String ref, long age) {
        // Two namespaces: a session id is public (every message carries it), so a client id
        // equal to someone's session must not claim that session's refs.
        String sender = join.client() != null ? "client:" + join.client() : "session:" + client.session();
        hub.publish(room, new Draft(client.name(), client.user(), client.session(), text, sender, ref, age)).whenComplete((published, failure) -> {
            if (failure == null) {
                if (ref != null) client.send(Frames.sent(ref, published.id().toString(), published.duplicate()));
            } else if (unwrap(failure) instanceof Backend.RefExpired) {
                refuseMessage(ErrorCode.REF_EXPIRED, "this message was first sent too long ago (or before the room's history began "
                        + "again) for the server to know whether it was delivered: it was not sent now; send it again as a new "
                        + "message if it is still wanted", ref);
            } else if (unwrap(failure) instanceof Backend.OutcomeUnknown) {
                refuseOrClose(ErrorCode.UNKNOWN, "storage did not answer in time: the message may or may not be delivered; "
                        + "resend it with the same ref and it is delivered once", ref, CloseCodes.UNKNOWN_REASON);
            } else {
                String why = hub.backendProblem(); // unreachable, out-of-memory...
                refuseOrClose(ErrorCode.UNAVAILABLE, "the message was not sent: storage is "
                        + (why == null ? "unavailable" : why.replace('-', ' ')) + "; try again", ref,
                        CloseCodes.UNAVAILABLE_REASON);
            }
        });
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    /** A storage failure: JSON clients hear it about this message; plain mode has only the close. */
    private void refuseOrClose(ErrorCode code, String message, String ref, String closeReason) {
        if (client.json()) refuseMessage(code, message, ref);
        else close(CloseCodes.TRY_AGAIN, closeReason);
    }

    private void rename(String name) {
        if (client.user() != null) {
            refuseMessage(ErrorCode.BAD_NAME, "your name comes from your token", null);
        } else if (hub.rename(client, client.claim(), name) == null) {
            refuseMessage(ErrorCode.NAME_TAKEN, "the name " + name + " is taken in this room; choose another", null);
        }
    }

    /** Counts the refusal; JSON clients also hear why (plain mode has no way to say it). */
    private void refuseMessage(ErrorCode code, String message, String ref) {
        refuse(code.wire());
        if (client.json()) client.send(Frames.error(code, message, ref));
    }

    private void refuse(String reason) {
        refusals.count(reason);
    }

    private void close(int code, String reason) {
        client.close(code, reason);
    }

    /** Counts the refusal by reason and closes the socket with the code and reason it is told. */
    private void refuseAndClose(String refusal, int code, String reason) {
        refuse(refusal);
        close(code, reason);
    }

    @Override
    public void onError(Throwable cause, Callback callback) {
        LOG.debug("socket error", cause);
        callback.succeeded();
    }

    @Override
    public void onClosed(CloseStatus status, Callback callback) {
        ScheduledFuture<?> pending = expiry;
        if (pending != null) pending.cancel(false);
        if (client != null) {
            client.release();
            hub.leave(claim.room(), client); // also before the join, which then finds it closed
        } else {
            hub.release(claim);
        }
        lease.end();
        int code = status.getCode();
        if (!CloseCodes.isExpected(code) && code != CloseStatus.MESSAGE_TOO_LARGE && code != CloseStatus.BAD_PAYLOAD) {
            refusals.closedWith(code);
        }
        callback.succeeded();
    }
}
