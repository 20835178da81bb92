package dev.moat.detectors.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link WidthPeers}: a reference per input width, and which width gives way when there are too many. */
class WidthPeersTest {

    /** Reports to one width move only its median, and a width is known from {@code minKeys} keys. */
    @Test
    void eachWidthHasItsOwnMedianOnceEnoughKeysReported() {
        WidthPeers peers = new WidthPeers(5);
        for (int k = 0; k < 5; k++) {
            peers.of(784, true).report(k, 16 + k);
            peers.of(1_000, true).report(100 + k, 400 + k);
        }
        for (int k = 0; k < 4; k++) {
            peers.of(3_072, true).report(200 + k, 1);
        }
        assertThat(peers.median(784)).isEqualTo(18.0);
        assertThat(peers.median(1_000)).isEqualTo(402.0);
        assertThat(peers.median(3_072)).as("four keys").isNaN();
        assertThat(peers.median(13)).as("a width nobody reported").isNaN();
        assertThat(peers.get(13)).isNull();
        assertThat(peers.of(13, false)).isNull();
    }

    /**
     * Past {@value WidthPeers#WIDTHS} widths a new one replaces the width with the fewest keys among
     * those not ready; when every width held is ready, a new width gets none and the ready ones stay
     * (keys of many junk widths cannot evict the model's).
     */
    @Test
    void aReadyWidthIsNeverReplaced() {
        WidthPeers peers = new WidthPeers(5);
        for (int k = 0; k < 5; k++) {
            peers.of(784, true).report(k, 16);
        }
        for (int w = 1; w < WidthPeers.WIDTHS; w++) {
            for (int k = 0; k < w % 4 + 1; k++) {
                peers.of(100 + w, true).report(k, 1);
            }
        }
        // widths 101-107 hold 2, 3, 4, 1, 2, 3, 4 keys: 104 has the fewest and gives way
        assertThat(peers.of(2_000, true)).isNotNull();
        assertThat(peers.get(104)).isNull();
        for (int w : new int[] {101, 102, 103, 105, 106, 107}) {
            assertThat(peers.get(w)).as("width %d", w).isNotNull();
        }
        assertThat(peers.median(784)).isEqualTo(16.0);

        WidthPeers full = new WidthPeers(5);
        for (int w = 0; w < WidthPeers.WIDTHS; w++) {
            for (int k = 0; k < 5; k++) {
                full.of(100 + w, true).report(k, w);
            }
        }
        assertThat(full.of(784, true)).as("no room: every width ready").isNull();
        for (int w = 0; w < WidthPeers.WIDTHS; w++) {
            assertThat(full.median(100 + w)).isEqualTo(w);
        }
    }
}
