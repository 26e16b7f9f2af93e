package chorus.hub;

import chorus.protocol.Pace;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What presence costs in a big room: 2 000 chorus.v1 members, then 200 joins a second for five
 * seconds. Prints presence frames per member per second and the CPU the process spent.
 */
class PresenceCostTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final Hub hub = new Hub(new MemoryBackend(), 100, 1 << 20, new Pace(16_384, 20, 40, 100, 200), 5_000, 1_000, timer, new SimpleMeterRegistry());

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    private static long presenceFrames(List<FakeMember> members) {
        long n = 0;
        for (FakeMember m : members) for (String frame : m.received) if (frame.startsWith("{\"type\":\"presence\"")) n++;
        return n;
    }

    @Test
    void aJoinStormIntoABigRoomCostsAFewPresenceFramesPerMemberPerSecond() throws Exception {
        List<FakeMember> crowd = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            FakeMember m = FakeMember.json("member-" + i);
            crowd.add(m);
            Joins.join(hub, m, "big", null);
        }
        Thread.sleep(2500); // the crowd's own presence settles
        long before = presenceFrames(crowd);
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu = os.getProcessCpuTime();
        long start = System.nanoTime();
        for (int i = 0; i < 1000; i++) {
            Joins.join(hub, FakeMember.json("late-" + i), "big", null);
            long due = start + (i + 1) * 5_000_000L; // 200 a second
            long wait = due - System.nanoTime();
            if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        Thread.sleep(2000); // the last window goes out
        double seconds = (System.nanoTime() - start) / 1e9;
        double perMemberPerSecond = (presenceFrames(crowd) - before) / (double) crowd.size() / seconds;
        System.out.printf("presence: %.2f frames per member per second, %.0f ms of CPU over %.1f s%n",
                perMemberPerSecond, (os.getProcessCpuTime() - cpu) / 1e6, seconds);
        assertTrue(perMemberPerSecond <= 2, perMemberPerSecond + " presence frames per member per second");
    }
}
