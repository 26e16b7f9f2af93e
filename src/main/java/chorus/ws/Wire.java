package chorus.ws;

import java.nio.ByteBuffer;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.WebSocketCoreSession;

/**
 * A socket's outbound side as its {@link Connection} uses it: encoded frames written straight to
 * the socket, one gathering write at a time, and Jetty's closing handshake once nothing of ours is
 * in flight. Jetty's own frame flusher then never writes while we do.
 */
interface Wire {
    /**
     * Writes the frames, in order, as one gathering write; {@code done} completes when all are out.
     * The array is the wire's until then (its unused tail holds empty buffers).
     */
    void write(Callback done, ByteBuffer[] frames);

    /** Sends a close frame (Jetty writes it and then ends the connection, as RFC 6455 says). */
    void close(int code, String reason);

    /** Drops the connection at once. */
    void abort();

    /** The socket behind a Jetty WebSocket session. */
    static Wire of(CoreSession session) {
        var endPoint = ((WebSocketCoreSession) session).getConnection().getEndPoint();
        return new Wire() {
            @Override
            public void write(Callback done, ByteBuffer[] frames) {
                endPoint.write(done, frames);
            }

            @Override
            public void close(int code, String reason) {
                session.close(code, reason, Callback.NOOP);
            }

            @Override
            public void abort() {
                session.abort();
            }
        };
    }
}
