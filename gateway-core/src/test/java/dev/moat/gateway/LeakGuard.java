package dev.moat.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestPlan;

/**
 * Fails the test run when Netty's leak detector (paranoid in every test JVM) reports a leaked
 * buffer. Installed before any test through the JUnit launcher's service loader; at the end it
 * forces a GC, allocates to make the detector poll its queue, and turns any report into an error.
 */
public final class LeakGuard implements TestExecutionListener {

    static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    @Override
    public void testPlanExecutionStarted(TestPlan plan) {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            @SuppressWarnings("deprecation")
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(
                    Class<T> resource, int samplingInterval, long maxActive) {
                ResourceLeakDetector<T> d = new ResourceLeakDetector<>(resource, samplingInterval);
                d.setLeakListener((type, records) -> LEAKS.add(type + "\n" + records));
                return d;
            }
        });
    }

    @Override
    public void testPlanExecutionFinished(TestPlan plan) {
        List<String> leaks = collect();
        if (!leaks.isEmpty()) {
            System.err.println(
                    "LEAK GUARD: " + leaks.size() + " ByteBuf leak(s) reported:\n" + String.join("\n---\n", leaks));
            // Surefire reads the JVM's exit: a leak fails the build.
            Runtime.getRuntime().halt(3);
        }
    }

    /** Forces the detector to look, then returns what it found so far. */
    static List<String> collect() {
        for (int i = 0; i < 5; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (int j = 0; j < 200; j++) {
                ByteBuf b = PooledByteBufAllocator.DEFAULT.buffer(16);
                b.release();
                ByteBuf h = io.netty.buffer.Unpooled.buffer(16);
                h.release();
            }
        }
        return List.copyOf(LEAKS);
    }
}
