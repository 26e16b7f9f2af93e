package chorus.hub;

import chorus.protocol.Frames;
import chorus.protocol.MessageId;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One broadcast domain on this instance: its local members, the last messages, and who is here.
 *
 * <p>Delivering, joining and leaving are serialized on the room. That is what gives every member
 * the same order, and a joiner its history with no gap and no duplicate at the seam: nothing can
 * be delivered between taking the history and becoming a member. The {@link Backend} decides the
 * order and the ids; the room only delivers, in id order, what it has not delivered yet.
 */
public final class Room {
    /** Presence changes within this window go out as one frame, so a crowd arriving is not n² frames. */
    private static final long PRESENCE_DELAY_MS = 100;
    static final int MAX_NAMES = 100;

    private final String name;
    private final Rooms shared;

    // Written under the room lock, copied on write: keepalive and drain read it without the lock.
    private volatile Client[] members = new Client[0];
    private final ArrayDeque<Message> history = new ArrayDeque<>();
    private final MessageId origin; // ids below it are from before this history began (a restart)
    private MessageId floor; // the newest id no longer held: a since below it missed messages
    private MessageId latest;
    private List<String> remoteNames = List.of(); // members on other instances
    private boolean presencePending;
    private boolean followed;
    private boolean retired;

    Room(String name, Rooms shared, MessageId origin) {
        this.name = name;
        this.shared = shared;
        this.origin = origin;
        this.floor = origin;
    }

    public String name() {
        return name;
    }

    MessageId origin() {
        return origin;
    }

    /** Starts the room from what the backend already holds: oldest first, and the id before them. */
    public synchronized void load(List<Message> held, MessageId before) {
        for (Message message : held) remember(message);
        if (before != null) floor = before;
    }

    /** Delivers one message to every local member, once: ids not above the latest are skipped. */
    public void deliver(Message message) {
        long start = System.nanoTime();
        List<Client> ready = new ArrayList<>();
        int offered;
        synchronized (this) {
            if (latest != null && message.id().compareTo(latest) <= 0) return;
            remember(message);
            Client[] recipients = members;
            for (Client member : recipients) {
                if (member.offer(message.encodedFor(member))) ready.add(member);
            }
            offered = recipients.length;
        }
        shared.flusher().flush(ready);
        shared.delivered().increment(offered);
        shared.fanOut().record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }

    private void remember(Message message) {
        history.addLast(message);
        latest = message.id();
        if (history.size() > shared.historySize()) floor = history.removeFirst().id();
    }

    /**
     * Adds a member after queueing its welcome and what it missed. False when the room was
     * retired meanwhile; the caller then joins a fresh one.
     */
    synchronized boolean join(Client client, MessageId since) {
        if (retired) return false;
        if (!followed) { // the first join here: the backend loads what the room already holds
            followed = true;
            shared.backend().follow(this);
        }
        if (client.json()) {
            client.offerBacklog(Frames.welcome(client.session(), client.name(), name,
                    members.length + 1 + remoteNames.size()));
            replay(client, since);
            shared.flusher().flush(client); // a new client is idle: one flush sends its welcome and history
        }
        Client[] next = Arrays.copyOf(members, members.length + 1);
        next[members.length] = client;
        members = next;
        presenceChanged();
        return true;
    }

    private void replay(Client client, MessageId since) {
        MessageId after = null;
        if (since != null) {
            String oldest = history.isEmpty() ? null : history.peekFirst().id().toString();
            if (since.compareTo(origin) < 0 || since.compareTo(latest == null ? floor : latest) > 0) {
                client.offerBacklog(Frames.reset("unknown-since", oldest));
            } else if (since.compareTo(floor) < 0) {
                client.offerBacklog(Frames.reset("history-exceeded", oldest));
            } else {
                after = since;
            }
        }
        for (Message message : history) {
            if (after == null || message.id().compareTo(after) > 0) client.offerBacklog(message.json());
        }
    }

    /** Removes a member; true if it was one. */
    synchronized boolean leave(Client client) {
        Client[] current = members;
        for (int i = 0; i < current.length; i++) {
            if (current[i] == client) {
                Client[] next = Arrays.copyOf(current, current.length - 1);
                System.arraycopy(current, i + 1, next, i, current.length - i - 1);
                members = next;
                presenceChanged();
                return true;
            }
        }
        return false;
    }

    /** The names of this room's members on other instances, as the backend last saw them. */
    public synchronized void remotePresence(List<String> names) {
        if (names.equals(remoteNames)) return;
        remoteNames = List.copyOf(names);
        presenceChanged();
    }

    /** The names of the local members, one per session. */
    public List<String> localNames() {
        return Arrays.stream(members).map(Client::name).toList();
    }

    synchronized void presenceChanged() {
        if (presencePending) return;
        presencePending = true;
        shared.timer().schedule(this::sendPresence, PRESENCE_DELAY_MS, TimeUnit.MILLISECONDS);
    }

    private void sendPresence() {
        List<Client> ready = new ArrayList<>();
        List<String> local;
        synchronized (this) {
            presencePending = false;
            local = localNames();
            List<String> names = Stream.concat(local.stream(), remoteNames.stream())
                    .sorted(String.CASE_INSENSITIVE_ORDER).limit(MAX_NAMES).toList();
            ByteBuffer frame = Frames.presence(members.length + remoteNames.size(), names);
            for (Client member : members) {
                if (member.json() && member.offer(frame)) ready.add(member);
            }
        }
        shared.flusher().flush(ready);
        shared.backend().presence(this, local);
    }

    /** Marks an empty room retired, so it can be forgotten; false if someone is here. */
    synchronized boolean retireIfEmpty() {
        if (members.length == 0) retired = true;
        return retired;
    }

    Client[] members() {
        return members;
    }

    boolean isEmpty() {
        return members.length == 0;
    }
}
