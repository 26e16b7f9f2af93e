package chorus.hub;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** A member with no socket: it records what it was offered, or answers every offer as too slow. */
final class FakeMember implements Member {
    final List<String> received = new CopyOnWriteArrayList<>();
    private final String name;
    private volatile Claim claim;
    private final boolean slow;
    private final boolean json;
    private final Consumer<FakeMember> onClose;
    private volatile boolean closed;

    /** onClose runs as a transport's close would: off the room's lock, and it may call the hub. */
    FakeMember(String name, boolean slow, Consumer<FakeMember> onClose) {
        this(name, slow, false, onClose);
    }

    /** A chorus.v1 member: it is offered the JSON frames (welcome, presence, messages). */
    static FakeMember json(String name) {
        return new FakeMember(name, false, true, m -> { });
    }

    private FakeMember(String name, boolean slow, boolean json, Consumer<FakeMember> onClose) {
        this.name = name;
        this.claim = new Claim(null, new Person("session:" + name, null, null), name, java.util.List.of(name));
        this.slow = slow;
        this.json = json;
        this.onClose = onClose;
    }

    @Override
    public String session() {
        return name;
    }


    @Override
    public Claim claim() {
        return claim;
    }

    @Override
    public void rename(Claim claim) {
        this.claim = claim;
    }

    @Override
    public String address() {
        return "127.0.0.1";
    }

    @Override
    public void putOut(int code, String reason) {
        disconnect(code, reason);
    }

    @Override
    public void disconnect(int code, String reason) {
        closed = true;
        onClose.accept(this);
    }

    @Override
    public boolean json() {
        return json;
    }

    @Override
    public boolean closed() {
        return closed;
    }

    @Override
    public Offer offer(SharedFrame frame, boolean owed) {
        if (closed) return Offer.GONE;
        if (slow) {
            closed = true;
            return Offer.TOO_SLOW;
        }
        received.add(StandardCharsets.UTF_8.decode(frame.payload()).toString());
        return Offer.QUEUED;
    }

    @Override
    public void settle(Offer verdict) {
        if (verdict == Offer.TOO_SLOW) onClose.accept(this);
    }
}
