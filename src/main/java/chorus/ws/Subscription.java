package chorus.ws;

import chorus.hub.Claim;
import chorus.hub.Member;
import chorus.hub.SharedFrame;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A socket's place in one of its rooms: what that room sees of the socket. Frames go to the
 * socket's one queue ({@link Connection}), so a socket in many rooms is still one bound, one
 * writer turn and one slow-client verdict.
 */
final class Subscription implements Member {
    private final Connection connection;
    private final Consumer<PutOut> putOut; // the endpoint's: it leaves the room, or closes a socket in no other
    /** A page says it is typing at most this often; a client shows it for a few seconds after the last. */
    static final long TYPING_EVERY = TimeUnit.SECONDS.toNanos(2);

    private volatile Claim claim; // the name it shows in this room, and who it is
    private long typedNanos = System.nanoTime() - TYPING_EVERY; // Jetty's thread alone, one frame at a time

    /** A room put a subscription out, with this code and reason. */
    record PutOut(Subscription subscription, int code, String reason) {
    }

    Subscription(Connection connection, Claim claim, Consumer<PutOut> putOut) {
        this.connection = connection;
        this.claim = claim;
        this.putOut = putOut;
    }

    /** Whether a typing frame now is relayed: one per {@link #TYPING_EVERY}. */
    boolean mayType(long now) {
        if (now - typedNanos < TYPING_EVERY) return false;
        typedNanos = now;
        return true;
    }

    String room() {
        return claim.room().name();
    }

    @Override
    public String session() {
        return connection.session();
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
        return connection.address();
    }

    @Override
    public boolean json() {
        return connection.json();
    }

    @Override
    public boolean closed() {
        return connection.closed();
    }

    @Override
    public Offer offer(SharedFrame frame, boolean owed) {
        return connection.offer(frame, owed);
    }

    @Override
    public void settle(Offer verdict) {
        connection.settle(verdict);
    }

    @Override
    public void putOut(int code, String reason) {
        putOut.accept(new PutOut(this, code, reason));
    }

    @Override
    public void disconnect(int code, String reason) {
        connection.close(code, reason);
    }
}
