package dev.moat.detectors.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BitWindowTest {

    @Test
    void countsTheYesesOfTheLastObservationsOnly() {
        BitWindow w = new BitWindow(3);
        w.add(true);
        w.add(false);
        assertThat(w.filled()).isEqualTo(2);
        assertThat(w.count()).isEqualTo(1);
        assertThat(w.full()).isFalse();
        w.add(true);
        w.add(false); // the first yes falls out
        assertThat(w.full()).isTrue();
        assertThat(w.filled()).isEqualTo(3);
        assertThat(w.count()).isEqualTo(1);
    }

    @Test
    void agreesWithAPlainQueueAcrossWordBoundaries() {
        SplittableRandom r = new SplittableRandom(7);
        for (int size : new int[] {1, 63, 64, 65, 200}) {
            BitWindow w = new BitWindow(size);
            ArrayDeque<Boolean> q = new ArrayDeque<>();
            for (int i = 0; i < 1000; i++) {
                boolean yes = r.nextInt(3) == 0;
                w.add(yes);
                q.addLast(yes);
                if (q.size() > size) {
                    q.removeFirst();
                }
                assertThat(w.count()).isEqualTo((int) q.stream().filter(b -> b).count());
                assertThat(w.filled()).isEqualTo(q.size());
            }
        }
    }

    @Test
    void refusesAnEmptyWindow() {
        assertThatThrownBy(() -> new BitWindow(0)).hasMessageContaining("window 0");
    }
}
