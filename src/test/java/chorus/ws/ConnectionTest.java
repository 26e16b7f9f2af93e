package chorus.ws;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.hub.Member.Offer;
import chorus.hub.SharedFrame;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The outbound queue's verdicts: our writers' lag is never the client's fault; a stuck socket is. */
class ConnectionTest {
    private static final int BOUND = 8;

    /** A socket that takes frames as written at once, unless it is told to hold them. */
    private static final class Socket implements Wire {
        final List<String> written = new CopyOnWriteArrayList<>();
        volatile CountDownLatch writerGate; // when set, a writer thread stalls in write (descheduled)
        final CountDownLatch stalled = new CountDownLatch(1);
        volatile boolean draining = true; // false: writes never complete (a peer that stopped reading)
        volatile Callback pending; // the write that has not completed
        volatile Integer closedWith;

        @Override
        public void write(Callback done, ByteBuffer[] frames) {
            CountDownLatch gate = writerGate;
            if (gate != null && Thread.currentThread().getName().startsWith("chorus-writer")) {
                stalled.countDown();
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            written.addAll(Written.texts(frames));
            if (draining) done.succeeded();
            else pending = done;
        }

        @Override
        public void close(int code, String reason) {
            closedWith = code;
        }

        @Override
        public void abort() {
        }
    }

    private static final java.util.concurrent.ScheduledExecutorService TIMER =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "test-timer");
                t.setDaemon(true);
                return t;
            });
    private static final OutboundBudget BUDGET = new OutboundBudget(1 << 30, new SimpleMeterRegistry());
    private final Writers writers = new Writers(1);

    @AfterEach
    void stop() {
        writers.stop();
    }

    private static SharedFrame frame(int i) {
        return new SharedFrame(ByteBuffer.wrap(String.valueOf(i).getBytes(StandardCharsets.UTF_8)));
    }

    private static void awaitWritten(Socket socket, int count) throws InterruptedException {
        for (int i = 0; i < 500 && socket.written.size() < count; i++) Thread.sleep(10);
        assertEquals(count, socket.written.size(), "frames written");
    }

    @Test
    void aBurstWhileTheWriterIsPausedDropsNobodyHealthy() throws Exception {
        Socket first = new Socket();
        Socket second = new Socket();
        CountDownLatch gate = new CountDownLatch(1);
        first.writerGate = gate;
        Connection paused = new Connection(first, writers.assign(), BUDGET, TIMER, "a", false, "127.0.0.1", BOUND, 1 << 20);
        Connection waiting = new Connection(second, writers.assign(), BUDGET, TIMER, "b", false, "127.0.0.1", BOUND, 1 << 20);

        // The only writer thread takes paused's batch and is descheduled before handing it over.
        paused.settle(paused.offer(frame(0), false));
        assertTrue(first.stalled.await(5, TimeUnit.SECONDS), "the writer never took the batch");

        // A burst of one and a half times the bound arrives for both.
        List<Offer> verdicts = new ArrayList<>();
        for (int i = 1; i <= BOUND * 3 / 2; i++) {
            Offer p = paused.offer(frame(i), false);
            Offer w = waiting.offer(frame(i), false);
            verdicts.add(p);
            verdicts.add(w);
            paused.settle(p);
            waiting.settle(w); // BEHIND: this thread, the sender, takes waiting's turn
        }
        assertTrue(verdicts.stream().noneMatch(v -> v == Offer.TOO_SLOW), "a healthy client was judged too slow: " + verdicts);
        assertEquals(null, first.closedWith);
        assertEquals(null, second.closedWith);

        gate.countDown();
        awaitWritten(first, BOUND * 3 / 2 + 1);
        awaitWritten(second, BOUND * 3 / 2);
        for (int i = 0; i < first.written.size(); i++) assertEquals(String.valueOf(i), first.written.get(i));
        for (int i = 0; i < second.written.size(); i++) assertEquals(String.valueOf(i + 1), second.written.get(i));
    }

    @Test
    void aSocketThatStopsDrainingIsTooSlowOnceItsBoundIsFull() throws Exception {
        Socket stuck = new Socket();
        stuck.draining = false;
        Connection slow = new Connection(stuck, writers.assign(), BUDGET, TIMER, "s", false, "127.0.0.1", BOUND, 1 << 20);
        slow.settle(slow.offer(frame(0), false));
        awaitWritten(stuck, 1); // handed to the socket, never completed
        Thread.sleep(50);
        Offer last = null;
        int queued = 0;
        for (int i = 1; i <= BOUND + 1; i++) {
            last = slow.offer(frame(i), false);
            slow.settle(last);
            if (last != Offer.TOO_SLOW) queued++;
        }
        assertEquals(Offer.TOO_SLOW, last);
        assertEquals(BOUND, queued, "the bound counts queued frames, behind the one in flight");
        // The close frame is Jetty's to write: it waits for the write in flight, here until that fails.
        assertEquals(null, stuck.closedWith);
        stuck.pending.failed(new java.io.IOException("idle timeout"));
        assertEquals(1008, stuck.closedWith);
        assertNotEquals(Offer.QUEUED, slow.offer(frame(99), false), "nothing is queued after the verdict");
        assertTrue(slow.closed());
    }
}
