package dev.moat.detectors.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link SpreadPeers} per input width, for a reference that means something only among inputs of
 * one width (a policy may serve a few models, and a route may take any width): {@code ood}'s
 * roughness peers and {@code prada}'s population level and lattice. At most {@value #WIDTHS} widths;
 * past that a new width replaces the one the fewest keys have reported among those with fewer than
 * {@code minKeys} reports, and none when every width has that many: a width whose peers are ready is
 * never replaced, so keys reporting many other widths cannot keep the model's below {@code minKeys}
 * by evicting it over and over. Not thread-safe (the worker's).
 */
public final class WidthPeers {

    /** Input widths with peers of their own. */
    public static final int WIDTHS = 8;

    private final int minKeys;
    private final Map<Integer, SpreadPeers> byWidth = new LinkedHashMap<>();

    /** The last width looked up (most policies serve one width: no boxed look-up). */
    private int lastWidth = -1;

    private SpreadPeers last;

    /** Peers per width; a width with {@code minKeys} reports is ready and never replaced. */
    public WidthPeers(int minKeys) {
        this.minKeys = minKeys;
    }

    /**
     * The peers of inputs {@code width} wide (null if none and not {@code create}, or when every one
     * of the {@value #WIDTHS} widths held is ready).
     */
    public SpreadPeers of(int width, boolean create) {
        if (width == lastWidth && (last != null || !create)) {
            return last;
        }
        SpreadPeers peers = byWidth.get(width);
        if (peers == null && create) {
            if (byWidth.size() >= WIDTHS) {
                Integer fewest = null;
                int least = minKeys;
                for (Map.Entry<Integer, SpreadPeers> e : byWidth.entrySet()) {
                    if (e.getValue().keys() < least) {
                        least = e.getValue().keys();
                        fewest = e.getKey();
                    }
                }
                if (fewest == null) {
                    return null;
                }
                byWidth.remove(fewest);
            }
            peers = new SpreadPeers();
            byWidth.put(width, peers);
        }
        lastWidth = width;
        last = peers;
        return peers;
    }

    /** The peers of inputs {@code width} wide, or null; leaves the last width looked up as it was. */
    public SpreadPeers get(int width) {
        return width == lastWidth ? last : byWidth.get(width);
    }

    /** The peers' median for inputs {@code width} wide once {@code minKeys} keys have reported, else NaN. */
    public double median(int width) {
        SpreadPeers peers = of(width, false);
        return peers == null || peers.keys() < minKeys ? Double.NaN : peers.median();
    }
}
