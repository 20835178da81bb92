package dev.moat.gateway.proxy;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How many not-yet-authenticated connections each client address holds, shared by every event
 * loop. An entry exists only while its count is positive, so the map holds at most one entry per
 * open connection. Updates are per-address atomic ({@link ConcurrentHashMap#compute}); no lock is
 * held across connections or while doing I/O.
 */
public final class AddressConnections {

    private final ConcurrentHashMap<InetAddress, Integer> counts = new ConcurrentHashMap<>();

    /**
     * Counts one more connection for {@code address} unless it already holds {@code max}.
     *
     * @param max 0 for no cap
     * @return true when counted (the caller must {@link #release} it), false when over the cap
     */
    public boolean tryAcquire(InetAddress address, int max) {
        boolean[] counted = {false};
        counts.compute(address, (a, n) -> {
            int held = n == null ? 0 : n;
            if (max > 0 && held >= max) {
                return n;
            }
            counted[0] = true;
            return held + 1;
        });
        return counted[0];
    }

    /** Forgets one connection counted for {@code address}. */
    public void release(InetAddress address) {
        counts.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }

    /** The connections counted for {@code address} now. */
    public int held(InetAddress address) {
        return counts.getOrDefault(address, 0);
    }
}
