package chorus.ws;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ScheduledExecutorService;
import org.eclipse.jetty.websocket.core.CoreSession;

/** Makes each socket's {@link Connection}: the queue bounds, and the writer threads, budget and timer they share. */
final class Outbound {
    private final Writers writers = new Writers(Runtime.getRuntime().availableProcessors());
    private final int queueFrames;
    private final long queueBytes;
    private final OutboundBudget budget;

    private final ScheduledExecutorService timer;

    Outbound(int queueFrames, long queueBytes, long totalBytes, ScheduledExecutorService timer, MeterRegistry registry) {
        this.queueFrames = queueFrames;
        this.queueBytes = queueBytes;
        this.timer = timer;
        this.budget = new OutboundBudget(totalBytes, registry);
    }

    Connection open(CoreSession session, String id, boolean json, String address) {
        Connection connection = new Connection(Wire.of(session), writers.assign(), budget, timer, id, json, address, queueFrames,
                queueBytes);
        QuietClose.guard(session, connection);
        return connection;
    }

    void stop() {
        writers.stop();
    }
}
