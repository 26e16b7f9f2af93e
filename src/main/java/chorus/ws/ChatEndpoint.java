package chorus.ws;

import chorus.hub.Backend;
import chorus.hub.Claim;
import chorus.hub.CloseCodes;
import chorus.hub.Draft;
import chorus.hub.Hub;
import chorus.auth.Identity;
import chorus.auth.TokenRefused;
import chorus.protocol.MessageId;
import chorus.tasks.Threads;
import chorus.webhooks.PublishHook;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.ConcurrentHashMap;
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
 * one frame at a time. It opens the socket's {@link Connection}, joins the URL's room and then
 * the rooms join frames name (each a {@link Subscription}), and on close leaves them all and
 * gives back the socket's places, whatever failed in between.
 *
 * <p>Every frame the peer sends costs it a token of its own budget, pings and fragments included,
 * so a flood of anything is refused and then closed. Whole messages also cost a token of its
 * address's budget. Text is assembled here ({@link TextAssembler}) so that invalid UTF-8, size,
 * fragment count and time are refused at the first frame that breaks them. The budgets are the
 * socket's, however many rooms it is in.
 */
final class ChatEndpoint implements FrameHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ChatEndpoint.class);
    private static final int MAX_AT_HOOK = 16;

    private final Hub hub;
    private final Outbound outbound;
    private final Sockets.Lease lease;
    private final JoinRequest join;
    private final Limits limits;
    private final Admission admission;
    private final Addresses.Entry address;
    private final TokenBucket budget;
    private final TextAssembler text;
    private final Refusals refusals;
    private final String sessionId;
    private final Claim claim; // the name it holds in the URL's room, from the upgrade until the socket opens
    private final Identity identity; // null for an anonymous client
    private final PublishHook publishHook; // null: none
    // Sends wait for the publish hook one after another, so a socket's messages keep their order.
    private CompletableFuture<?> hooked = CompletableFuture.completedFuture(null); // Jetty's thread, one frame at a time
    private final AtomicInteger atHook = new AtomicInteger(); // sends waiting for the hook or behind one that is
    private final ScheduledExecutorService timer;
    // Written by Jetty's thread and by rooms putting a subscription out; read by both.
    private final Map<String, Subscription> rooms = new ConcurrentHashMap<>();
    private volatile String name; // the name it asks for in a room it joins: null, a guest's
    private volatile ScheduledFuture<?> expiry;
    private CoreSession session;
    private Connection client;

    ChatEndpoint(Hub hub, Outbound outbound, Sockets.Lease lease, JoinRequest join, String sessionId, Claim claim, Identity identity,
            ScheduledExecutorService timer, Limits limits, Admission admission, PublishHook publishHook, Refusals refusals) {
        this.publishHook = publishHook;
        this.hub = hub;
        this.sessionId = sessionId;
        this.claim = claim;
        this.identity = identity;
        this.name = identity != null ? identity.name() : join.name();
        this.timer = timer;
        this.outbound = outbound;
        this.lease = lease;
        this.join = join;
        this.limits = limits;
        this.admission = admission;
        this.address = lease.limits;
        this.refusals = refusals;
        this.budget = limits.connectionBudget();
        this.text = limits.assembler(join.json());
    }

    /** On a Jetty thread, as every frame after it. */
    @Override
    public void onOpen(CoreSession session, Callback callback) {
        assert Threads.JETTY.current() : Thread.currentThread().getName();
        this.session = session;
        client = outbound.open(session, sessionId, join.json(), lease.address);
        callback.succeeded();
        if (!lease.opened(client)) { // the upgrade was given up meanwhile
            client.abort();
            return;
        }
        if (identity != null) {
            long delay = Math.max(0, Duration.between(Instant.now(), identity.expires()).toMillis());
            expiry = timer.schedule(() -> close(CloseCodes.TOKEN_EXPIRED, CloseCodes.TOKEN_EXPIRED_REASON), delay, TimeUnit.MILLISECONDS);
        }
        enter(claim, join.since());
        session.demand();
    }

    /** Joins the room the claim holds a name in; one closed meanwhile is left again (onClosed may have run before). */
    private void enter(Claim held, MessageId since) {
        Subscription subscription = new Subscription(client, held, this::putOut);
        rooms.put(held.room().name(), subscription);
        hub.join(subscription, held, since);
        if (client.closed()) hub.leave(held.room(), subscription);
    }

    /** A room put a subscription out: the socket leaves it, and is closed with the room's code when it is in no other. */
    private void putOut(Subscription.PutOut out) {
        Subscription subscription = out.subscription();
        if (!rooms.remove(subscription.room(), subscription)) return; // it left already
        hub.leave(subscription.claim().room(), subscription);
        if (rooms.isEmpty()) close(out.code(), out.reason());
        else client.send(Frames.left(subscription.room(), out.code(), out.reason()));
    }

    @Override
    public void onFrame(Frame frame, Callback callback) {
        assert Threads.JETTY.current() : Thread.currentThread().getName();
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
            case REFUSED -> refuseRateLimited(command(text.take()), "too many messages; slow down");
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
        switch (address.budget.take()) {
            case ACCEPT -> accept(command);
            case REFUSE -> refuseRateLimited(command, "too many messages from your address; slow down");
            case ABUSE -> close(CloseCodes.POLICY, CloseCodes.RATE_REASON);
        }
    }

    private Command command(String message) {
        return client.json() ? Command.parse(message, limits.maxTextBytes()) : new Command.Send(message, null);
    }

    /** With the room and ref of a send, so even its refusal tells the sender which message it was. */
    private void refuseRateLimited(Command command, String why) {
        Command.Send send = command instanceof Command.Send s ? s : null;
        refuseMessage(ErrorCode.RATE_LIMITED, why, send == null ? null : send.room(), send == null ? null : send.ref());
    }

    private void accept(Command command) {
        if (command instanceof Command.Send send) publish(send);
        else if (command instanceof Command.Join j) join(j.room(), j.since());
        else if (command instanceof Command.Leave leave) leave(leave.room());
        else if (command instanceof Command.Typing typing) typing(typing.room());
        else if (command instanceof Command.Rename rename) rename(rename.name());
        else if (command instanceof Command.Ping) client.send(Frames.pong());
        else if (command instanceof Command.Invalid invalid) refuseMessage(invalid.code(), invalid.message(), null, null);
    }

    /** The subscription a frame is about (no room: the URL's), or null after telling the client it is in no such room. */
    private Subscription subscription(String room, String ref) {
        Subscription subscription = rooms.get(room == null ? join.room() : room);
        if (subscription == null) {
            refuseMessage(ErrorCode.NOT_JOINED, "you are not in room " + (room == null ? join.room() : room) + "; join it first",
                    room, ref);
        }
        return subscription;
    }

    /**
     * Joins one more room on this socket, with the name it shows, resuming after since: the same
     * checks as the URL's room at the upgrade, each refused with an error frame naming the room.
     */
    private void join(String room, MessageId since) {
        if (rooms.containsKey(room)) {
            refuseMessage(ErrorCode.ALREADY_JOINED, "you are in room " + room + " already", room, null);
        } else if (rooms.size() >= limits.maxRoomsPerConnection()) {
            refuseMessage(ErrorCode.TOO_MANY_ROOMS, "a socket may be in at most " + limits.maxRoomsPerConnection()
                    + " rooms; leave one first", room, null);
        } else {
            try {
                admission.mayEnter(identity, room);
                admission.roomFor(room, address);
                enter(hub.claim(room, lease.address, claim.who(), name), since);
            } catch (TokenRefused e) {
                refuseMessage(ErrorCode.FORBIDDEN, e.getMessage(), room, null);
            } catch (Sockets.Refused e) {
                refuseMessage(e.status == 429 ? ErrorCode.RATE_LIMITED : ErrorCode.UNAVAILABLE, e.getMessage(), room, null);
            } catch (Claim.Taken e) {
                refuseMessage(ErrorCode.NAME_TAKEN, e.getMessage(), room, null);
            }
        }
    }

    private void leave(String room) {
        Subscription subscription = subscription(room, null);
        if (subscription == null || !rooms.remove(room, subscription)) return;
        hub.leave(subscription.claim().room(), subscription);
        client.send(Frames.left(room, null, null));
    }

    /** Relays that the person is typing, at most once per {@link Subscription#TYPING_EVERY} a room; more are dropped, and counted. */
    private void typing(String room) {
        Subscription subscription = subscription(room, null);
        if (subscription == null) return;
        if (subscription.mayType(System.nanoTime())) hub.typing(subscription);
        else refuse("typing-flood");
    }

    /**
     * Publishes, and tells the sender what became of it: a sent frame with the id when it gave a
     * ref (also for a resend already delivered), or what failed, certain or not.
     */
    private void publish(Command.Send send) {
        Subscription from = subscription(send.room(), send.ref());
        if (from == null) return;
        String ref = send.ref();
        // Two namespaces: a session id is public (every message carries it), so a client id
        // equal to someone's session must not claim that session's refs.
        String sender = join.client() != null ? "client:" + join.client() : "session:" + client.session();
        Draft draft = new Draft(from.name(), from.user(), client.session(), send.text(), sender, ref, send.age());
        if (publishHook == null) {
            publish(from, draft);
            return;
        }
        // Past a few waiting, the hook is the bottleneck: refused like a rate limit, resent later.
        if (atHook.incrementAndGet() > MAX_AT_HOOK) {
            atHook.decrementAndGet();
            refuseMessage(ErrorCode.RATE_LIMITED, "too many messages waiting to be checked; slow down", from.room(), ref);
            return;
        }
        // A step that failed must not stop the ones behind it: the chain goes on whatever came before.
        hooked = hooked.exceptionally(failure -> null).thenCompose(ignored -> publishHook.check(from.room(), draft, join.client()))
                .thenAccept(verdict -> {
                    try {
                        if (!verdict.allowed()) refuseMessage(ErrorCode.REJECTED, verdict.reason(), from.room(), ref);
                        else publish(from, verdict.text().equals(draft.text()) ? draft
                                : new Draft(draft.from(), draft.user(), draft.session(), verdict.text(), draft.sender(), draft.ref(), draft.age()));
                    } finally {
                        atHook.decrementAndGet();
                    }
                });
    }

    private void publish(Subscription from, Draft draft) {
        String room = from.room();
        String ref = draft.ref();
        hub.publish(from.claim().room(), draft).whenComplete((published, failure) -> {
            if (failure == null) {
                if (ref != null) client.send(Frames.sent(room, ref, published.id().toString(), published.duplicate()));
            } else if (unwrap(failure) instanceof Backend.RefExpired) {
                refuseMessage(ErrorCode.REF_EXPIRED, "this message was first sent too long ago (or before the room's history began "
                        + "again) for the server to know whether it was delivered: it was not sent now; send it again as a new "
                        + "message if it is still wanted", room, ref);
            } else if (unwrap(failure) instanceof Backend.OutcomeUnknown) {
                refuseOrClose(ErrorCode.UNKNOWN, "storage did not answer in time: the message may or may not be delivered; "
                        + "resend it with the same ref and it is delivered once", room, ref, CloseCodes.UNKNOWN_REASON);
            } else {
                String why = hub.backendProblem(); // unreachable, out-of-memory...
                refuseOrClose(ErrorCode.UNAVAILABLE, "the message was not sent: storage is "
                        + (why == null ? "unavailable" : why.replace('-', ' ')) + "; try again", room, ref,
                        CloseCodes.UNAVAILABLE_REASON);
            }
        });
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    /** A storage failure: JSON clients hear it about this message; plain mode has only the close. */
    private void refuseOrClose(ErrorCode code, String message, String room, String ref, String closeReason) {
        if (client.json()) refuseMessage(code, message, room, ref);
        else close(CloseCodes.TRY_AGAIN, closeReason);
    }

    /** A person shows one name: it is asked for in every room of the socket, and refused in those where another shows one alike. */
    private void rename(String newName) {
        if (identity != null) {
            refuseMessage(ErrorCode.BAD_NAME, "your name comes from your token", null, null);
            return;
        }
        boolean everywhere = true;
        for (Subscription subscription : rooms.values()) {
            if (hub.rename(subscription, subscription.claim(), newName) == null) {
                everywhere = false;
                refuseMessage(ErrorCode.NAME_TAKEN, "the name " + newName + " is taken in room " + subscription.room()
                        + "; choose another", subscription.room(), null);
            }
        }
        if (everywhere) name = newName;
    }

    /** Counts the refusal; JSON clients also hear why (plain mode has no way to say it). */
    private void refuseMessage(ErrorCode code, String message, String room, String ref) {
        refuse(code.wire());
        if (client.json()) client.send(Frames.error(code, message, room, ref));
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
            client.release(); // before leaving: a join racing this close then finds it closed, and leaves again
            for (Subscription subscription : rooms.values()) hub.leave(subscription.claim().room(), subscription);
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
