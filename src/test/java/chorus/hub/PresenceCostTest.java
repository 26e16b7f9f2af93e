package chorus.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import chorus.protocol.Pace;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What presence costs each member of a room under churn: a tenth of the room leaves and as many
 * join every second for three seconds. Prints presence frames and bytes per member per second.
 */
class PresenceCostTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "chorus-timer")); // as the server names it: presence asserts it
    private final Hub hub = new Hub(new MemoryBackend(), 100, 1 << 20, new Pace(16_384, 20, 40, 100, 200), 5_000, 1_000, timer, Activity.NONE, new SimpleMeterRegistry());

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    /** Presence per member per second, and how many of the frames were whole lists. */
    private record Cost(double frames, double bytes, long lists) {
    }

    /** Presence frames, their bytes, and how many were whole lists, from the index-th frame each member received on. */
    private static long[] presence(List<FakeMember> members, int[] from) {
        long frames = 0;
        long bytes = 0;
        long lists = 0;
        for (int i = 0; i < members.size(); i++) {
            List<String> received = members.get(i).received;
            for (String frame : received.subList(from == null ? 0 : from[i], received.size())) {
                if (frame.startsWith("{\"type\":\"presence\"")) {
                    frames++;
                    bytes += frame.getBytes(StandardCharsets.UTF_8).length;
                    if (frame.contains("\"members\":")) lists++;
                }
            }
        }
        return new long[] {frames, bytes, lists};
    }

    private Cost churn(String room, int size) throws Exception {
        List<FakeMember> stay = new ArrayList<>();
        List<FakeMember> churning = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            FakeMember m = FakeMember.json(room + "-member-" + i);
            (i < size * 9 / 10 ? stay : churning).add(m);
            Joins.join(hub, m, room, null);
        }
        // The room's own arrival settles: every member has had its first list (not counted), however loaded the machine.
        long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < settle && !stay.stream().allMatch(m -> m.received.stream().anyMatch(f -> f.contains("\"members\":")))) {
            Thread.sleep(50);
        }
        Thread.sleep(700); // and the round after it, which may still carry the last arrivals as changes
        int[] seen = stay.stream().mapToInt(m -> m.received.size()).toArray();
        long start = System.nanoTime();
        for (int second = 0; second < 3; second++) {
            List<FakeMember> next = new ArrayList<>();
            for (FakeMember m : churning) {
                hub.leave(m.claim().room(), m);
                FakeMember fresh = FakeMember.json(m.session() + "-" + second);
                Joins.join(hub, fresh, room, null);
                next.add(fresh);
                Thread.sleep(1000 / churning.size());
            }
            churning = next;
        }
        Thread.sleep(1200); // the last round goes out (the window is 0.6 s at this size)
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] during = presence(stay, seen);
        Cost cost = new Cost(during[0] / (double) stay.size() / seconds, during[1] / (double) stay.size() / seconds, during[2]);
        System.out.printf("presence, %d members, a tenth churning each second: %.2f frames and %.0f bytes per member per second%n",
                size, cost.frames(), cost.bytes());
        return cost;
    }

    @Test
    void aThousandMemberRoomUnderChurnSendsWhatChangedNotTheWholeList() throws Exception {
        Cost cost = churn("big", 1000);
        assertTrue(cost.frames() > 0, "presence went out");
        assertEquals(0, cost.lists(), "after its first list, a member hears what changed");
    }
}
