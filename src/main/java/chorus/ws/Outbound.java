package chorus.ws;

import org.eclipse.jetty.websocket.core.CoreSession;

/** Makes each socket's {@link Connection}: the queue bounds, and the writer threads they share. */
final class Outbound {
    private final Writers writers = new Writers(Runtime.getRuntime().availableProcessors());
    private final int queueFrames;
    private final long queueBytes;

    Outbound(int queueFrames, long queueBytes) {
        this.queueFrames = queueFrames;
        this.queueBytes = queueBytes;
    }

    Connection open(CoreSession session, String name, boolean json, String address) {
        return new Connection(session, writers, name, json, address, queueFrames, queueBytes);
    }

    void stop() {
        writers.stop();
    }
}
