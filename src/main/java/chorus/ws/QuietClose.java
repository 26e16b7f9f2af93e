package chorus.ws;

import java.util.List;
import org.eclipse.jetty.websocket.core.AbstractExtension;
import org.eclipse.jetty.websocket.core.CoreSession;
import org.eclipse.jetty.websocket.core.ExtensionConfig;
import org.eclipse.jetty.websocket.core.OpCode;
import org.eclipse.jetty.websocket.core.OutgoingEntry;
import org.eclipse.jetty.websocket.core.WebSocketComponents;
import org.eclipse.jetty.websocket.core.WebSocketCoreSession;

/**
 * Holds every close frame Jetty sends (an answer to a protocol error, to the peer's close, to our
 * own close) until no write of ours is in flight and what was queued before it has gone out: our
 * {@link Connection} writes to the socket beside Jetty's flusher, and two writes at once lose one
 * (a 1002 used to cost the echo of the message before it, or the close frame itself). An internal extension ("@" names never go on the
 * wire), added to every socket at its upgrade.
 */
public final class QuietClose extends AbstractExtension {
    static final String NAME = "@chorus-quiet-close";
    static final List<ExtensionConfig> CONFIG = List.of(new ExtensionConfig(NAME));
    private volatile Connection connection; // set once the socket opens: before that nothing of ours is written

    public static void register(WebSocketComponents components) {
        components.getExtensionRegistry().register(NAME, QuietClose.class);
    }

    /** The extension on this socket, told whose writes its close frames wait for. */
    static void guard(CoreSession session, Connection connection) {
        for (var extension : ((WebSocketCoreSession) session).getExtensionStack().getExtensions()) {
            if (extension instanceof QuietClose quiet) quiet.connection = connection;
        }
    }

    /** On whichever thread closes: Jetty's, a writer's, the timer's. */
    @Override
    public void sendFrame(OutgoingEntry entry) {
        Connection c = connection;
        if (c == null || entry.getFrame().getOpCode() != OpCode.CLOSE) nextOutgoingFrame(entry);
        else c.closeAfterQueued(() -> nextOutgoingFrame(entry));
    }
}
