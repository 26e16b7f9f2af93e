package chorus.hub;

import chorus.hub.Room.Replay;
import chorus.protocol.MessageId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A room's history on this instance: the last messages of its epoch, where that epoch began, the
 * newest id no longer held, and (in memory) the refs that make sending exactly-once. Continuity
 * is a comparison of ids: a since in this epoch and not below what is held is answered exactly,
 * anything else with a reset. Every byte held is counted in the history budget. Not thread-safe:
 * the room's lock guards it.
 */
final class History {
    private final Room room; // the budget's key
    private final Rooms shared;
    // Ids below it are from before this history began: a restart in memory, or a Redis that lost
    // the room's stream.
    private MessageId origin;
    private final ArrayDeque<Message> messages = new ArrayDeque<>();
    private final RefWindow refs = new RefWindow(System.currentTimeMillis()); // in memory only: Redis keeps its own
    private MessageId floor; // the newest id no longer held: a since below it missed messages
    private MessageId latest;
    private long sequence; // the last id this room numbered itself (in-memory backend)
    private long bytes; // the messages' and the refs' both
    private volatile long lastActiveNanos = System.nanoTime(); // read by the history budget, without the lock

    History(Room room, Rooms shared) {
        this.room = room;
        this.shared = shared;
        this.origin = shared.backend().origin();
        this.floor = origin;
    }

    /** The id a resend of this ref was delivered under, within the window, or null. */
    MessageId delivered(String dedupeKey) {
        return dedupeKey == null ? null : refs.get(dedupeKey);
    }

    /** Whether a resend's ref may have been forgotten: first sent before the refs are complete. */
    boolean mayBeForgotten(Draft draft, long now) {
        return refs.mayBeForgotten(draft, now);
    }

    /** The next id of this epoch, for a message numbered here (the in-memory backend). */
    MessageId next() {
        return new MessageId(origin.epoch(), ++sequence);
    }

    void rememberRef(String dedupeKey, MessageId id, long now) {
        account(refs.put(dedupeKey, id, now));
    }

    /** Whether a message ordered elsewhere is past what is held: one not is a copy already delivered. */
    boolean isNew(MessageId id) {
        return latest == null || id.compareTo(latest) > 0;
    }

    void remember(Message message) {
        messages.addLast(message);
        latest = message.id();
        lastActiveNanos = System.nanoTime();
        account(message.cost());
        if (messages.size() > shared.historySize()) dropOldest();
    }

    /** Another epoch began (null: none held now): true when messages of the old one were seen, and may be lost. */
    boolean rebase(MessageId began) {
        if (began.epoch() == origin.epoch()) return false;
        boolean sawBefore = latest != null; // a room's first message begins its history: nothing is lost
        drop();
        origin = began;
        floor = began;
        latest = null;
        return sawBefore;
    }

    /** Messages before {@code next} may be lost: nothing before it is held or answered exactly. */
    void gap(MessageId next) {
        drop();
        if (next.compareTo(floor) > 0) floor = next;
    }

    /** What the backend holds, oldest first, the id before them, and where its epoch began (null: unknown). */
    void load(List<Message> held, MessageId before, MessageId began) {
        if (began != null && began.epoch() != origin.epoch()) {
            origin = began;
            floor = began;
        }
        for (Message message : held) if (isNew(message.id())) remember(message);
        if (before != null && (floor == null || before.compareTo(floor) > 0)) floor = before;
    }

    /** Whether a since is of this epoch but past anything held: proof the store went back. */
    boolean ahead(MessageId since) {
        return since != null && since.epoch() == origin.epoch() && origin.epoch() != 0
                && since.compareTo(latest == null ? floor : latest) > 0;
    }

    Replay replay(MessageId since, int limit) {
        MessageId after = null;
        String reset = null;
        if (since != null) {
            if (since.compareTo(origin) < 0 || since.compareTo(latest == null ? floor : latest) > 0) {
                reset = "unknown-since";
            } else if (since.compareTo(floor) < 0) {
                reset = "history-exceeded";
            } else {
                after = since;
            }
        }
        List<Message> owed = new ArrayList<>();
        for (Message message : messages) {
            if (owed.size() >= limit) break;
            if (after == null || message.id().compareTo(after) > 0) owed.add(message);
        }
        return new Replay(reset, oldest(), owed);
    }

    /** The newest {@code count} messages held, oldest first. */
    Replay newest(int count) {
        List<Message> all = new ArrayList<>(messages);
        return new Replay(null, oldest(), List.copyOf(all.subList(Math.max(0, all.size() - count), all.size())));
    }

    /** The messages received at or after this time (ms), for a plain member who came then. */
    List<Message> since(long ms) {
        List<Message> owed = new ArrayList<>();
        for (Message message : messages) if (message.ts() >= ms) owed.add(message);
        return owed;
    }

    private String oldest() {
        return messages.isEmpty() ? null : messages.peekFirst().id().toString();
    }

    int size() {
        return messages.size();
    }

    MessageId latest() {
        return latest;
    }

    long lastActiveNanos() {
        return lastActiveNanos;
    }

    /** Drops every message and ref held, and gives their bytes back. */
    void drop() {
        messages.clear();
        refs.clear(System.currentTimeMillis());
        shared.budget().release(room, bytes, true);
        bytes = 0;
    }

    /** Drops the oldest messages, then refs, about this many bytes' worth, for the history budget. */
    long shed(long wanted) {
        long freed = 0;
        while (freed < wanted && !messages.isEmpty()) freed += dropOldest();
        for (long ref; freed < wanted && (ref = refs.dropOldest()) > 0; freed += ref) account(-ref);
        return freed;
    }

    private long dropOldest() {
        Message oldest = messages.removeFirst();
        floor = oldest.id();
        account(-oldest.cost());
        return oldest.cost();
    }

    /** Counts bytes kept (positive) or let go (negative) here and in the history budget. */
    private void account(long change) {
        bytes += change;
        if (change > 0) shared.budget().charge(room, change);
        else shared.budget().release(room, -change, messages.isEmpty() && refs.isEmpty());
    }
}
