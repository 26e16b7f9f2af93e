package chorus.hub;

import chorus.protocol.Frames;
import chorus.protocol.MessageId;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One broadcast domain: its members, the last messages, and who is here.
 *
 * <p>Publishing, joining and leaving are serialized on the room. That is what gives every member
 * the same order, and a joiner its history with no gap and no duplicate at the seam: nothing can
 * be published between taking the history and becoming a member.
 */
final class Room {
    /** Presence changes within this window go out as one frame, so a crowd arriving is not n² frames. */
    private static final long PRESENCE_DELAY_MS = 100;
    static final int MAX_NAMES = 100;

    final String name;
    private final Rooms shared;

    // Written under the room lock, copied on write: keepalive and drain read it without the lock.
    private volatile Client[] members = new Client[0];
    private final ArrayDeque<Message> history = new ArrayDeque<>();
    private long seq;
    private boolean presencePending;
    private boolean retired;

    Room(String name, Rooms shared) {
        this.name = name;
        this.shared = shared;
    }

    void publish(String from, String text) {
        long start = System.nanoTime();
        List<Client> ready = new ArrayList<>();
        int offered;
        synchronized (this) {
            Message message = Message.of(new MessageId(shared.epoch(), ++seq), name, from, text,
                    System.currentTimeMillis());
            history.addLast(message);
            if (history.size() > shared.historySize()) history.removeFirst();
            Client[] recipients = members;
            for (Client member : recipients) {
                if (member.offer(message.encodedFor(member))) ready.add(member);
            }
            offered = recipients.length;
        }
        shared.flusher().flush(ready);
        shared.received().increment();
        shared.delivered().increment(offered);
        shared.fanOut().record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }

    /**
     * Adds a member after queueing its welcome and what it missed. False when the room was
     * retired meanwhile; the caller then joins a fresh one.
     */
    synchronized boolean join(Client client, MessageId since) {
        if (retired) return false;
        if (client.json()) {
            client.offerBacklog(Frames.welcome(client.session(), client.name(), name, members.length + 1));
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
        long after = 0;
        if (since != null) {
            MessageId oldest = history.isEmpty() ? null : history.peekFirst().id();
            if (since.epoch() != shared.epoch() || since.seq() > seq) {
                client.offerBacklog(Frames.reset("unknown-since", oldest == null ? null : oldest.toString()));
            } else if (oldest != null && since.seq() < oldest.seq() - 1) {
                client.offerBacklog(Frames.reset("history-exceeded", oldest.toString()));
            } else {
                after = since.seq();
            }
        }
        for (Message message : history) {
            if (message.id().seq() > after) client.offerBacklog(message.json());
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

    synchronized void presenceChanged() {
        if (presencePending) return;
        presencePending = true;
        shared.timer().schedule(this::sendPresence, PRESENCE_DELAY_MS, TimeUnit.MILLISECONDS);
    }

    private void sendPresence() {
        List<Client> ready = new ArrayList<>();
        synchronized (this) {
            presencePending = false;
            List<String> names = Arrays.stream(members).map(Client::name).sorted(String.CASE_INSENSITIVE_ORDER)
                    .limit(MAX_NAMES).toList();
            ByteBuffer frame = Frames.presence(members.length, names);
            for (Client member : members) {
                if (member.json() && member.offer(frame)) ready.add(member);
            }
        }
        shared.flusher().flush(ready);
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
