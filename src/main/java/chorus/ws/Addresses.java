package chorus.ws;

import chorus.protocol.Pace;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Limits per client address, shared by all of that address's sockets: how many may be open, one
 * message budget, one budget of rooms it may bring into being, and one of name lookups. An address with no socket left is forgotten once its budget has refilled,
 * when a fresh entry would be the same; so the map holds the addresses with sockets, plus those
 * that left in the last few seconds.
 */
final class Addresses {
    /** One address: its sockets (changed only inside the map's compute) and its budgets. */
    static final class Entry {
        final TokenBucket budget;
        final TokenBucket newRooms;
        final TokenBucket lookups; // answers to "is this name in that room?", by /check or a refused upgrade
        private int sockets;

        Entry(TokenBucket budget, TokenBucket newRooms, TokenBucket lookups) {
            this.budget = budget;
            this.newRooms = newRooms;
            this.lookups = lookups;
        }

        private boolean rested() {
            return sockets <= 0 && budget.isFull() && newRooms.isFull() && lookups.isFull();
        }
    }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final Bans bans = new Bans();
    private final int maxSockets;
    private final double rate;
    private final int burst;
    private final int newRoomsPerMinute;
    private final int lookupsPerMinute;

    Addresses(int maxSockets, double ratePerSecond, int newRoomsPerMinute, int lookupsPerMinute) {
        this.maxSockets = maxSockets;
        this.newRoomsPerMinute = newRoomsPerMinute;
        this.lookupsPerMinute = lookupsPerMinute;
        this.rate = ratePerSecond;
        this.burst = Pace.addressBurst(ratePerSecond);
    }

    /** A socket for this address, or null when it already has the most it may. */
    Entry admit(String address) {
        boolean[] full = {false};
        Entry entry = entries.compute(address, (a, e) -> {
            if (e == null) e = fresh();
            if (e.sockets >= maxSockets) full[0] = true;
            else e.sockets++;
            return e;
        });
        return full[0] ? null : entry;
    }

    private Entry fresh() {
        return new Entry(new TokenBucket(rate, burst), new TokenBucket(newRoomsPerMinute / 60.0, newRoomsPerMinute),
                new TokenBucket(lookupsPerMinute / 60.0, lookupsPerMinute));
    }

    /** This address's budgets, whether or not it has a socket (a /check comes without one). */
    Entry of(String address) {
        return entries.computeIfAbsent(address, a -> fresh());
    }

    void release(String address) {
        entries.computeIfPresent(address, (a, e) -> {
            e.sockets--;
            return e;
        });
    }

    /** Refuses new sockets from this address for a while. */
    void ban(String address, long seconds) {
        bans.ban(address, seconds);
    }

    boolean banned(String address) {
        return bans.banned(address);
    }

    /** Forgets addresses with no socket whose budgets are full again, and bans that ran out. */
    void sweep() {
        bans.sweep();
        for (String address : entries.keySet()) {
            entries.computeIfPresent(address, (a, e) -> e.rested() ? null : e);
        }
    }

    int size() {
        return entries.size();
    }
}
