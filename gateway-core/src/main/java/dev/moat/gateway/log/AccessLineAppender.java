package dev.moat.gateway.log;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import java.io.PrintStream;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The access log's appender in Moat's {@code logback.xml}: lines go into a buffer per logging thread
 * (an event loop), and one writer thread writes each buffer to stdout in one call every
 * {@code flushMillis} (sooner when a buffer passes {@value #WAKE_AT_BYTES} bytes). The event loop
 * never waits on stdout, never wakes a thread per line and makes no system call for the log; a
 * buffer over {@value #MAX_BUFFER_BYTES} bytes (stdout stalled) drops lines, as the async appender
 * it replaces did ({@code neverBlock}).
 *
 * <p>{@link AccessLog} hands its entries straight to {@link #write} when this appender is the
 * {@code moat.access} logger's only one (no logging event, no key-value list, no {@code String}; the
 * bytes are Logback's, see {@link AccessLines}). Events that come through Logback (anything else
 * logged to {@code moat.access}) are encoded by Logback's own encoder for the same format.
 * Stopping (the shutdown hook stops the logger context) writes what is buffered.
 */
public final class AccessLineAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {

    static final int WAKE_AT_BYTES = 256 * 1024;
    static final int MAX_BUFFER_BYTES = 8 * 1024 * 1024;

    private static volatile AccessLineAppender active;

    private String format = "text";
    private long flushMillis = 100;
    private boolean json;
    private Encoder<ILoggingEvent> generic;
    private PrintStream out;
    private Thread writer;
    private volatile boolean stopping;
    private final AtomicLong dropped = new AtomicLong();
    private final List<Lines> buffers = new CopyOnWriteArrayList<>();
    private final ThreadLocal<Lines> mine = ThreadLocal.withInitial(this::register);

    /** One logging thread's pending lines. */
    private final class Lines {
        final Thread owner = Thread.currentThread();
        final AccessLines lines = new AccessLines(json, 16 * 1024);
        byte[] spare;
        boolean woken;
    }

    /** {@code text} (default) or {@code json}: the format of {@code logback.xml}'s {@code moat.log.format}. */
    public void setFormat(String format) {
        this.format = format;
    }

    public void setFlushMillis(long flushMillis) {
        this.flushMillis = flushMillis;
    }

    /** The started appender, or null. */
    static AccessLineAppender active() {
        return active;
    }

    /** Lines the running appender dropped because stdout did not keep up (0 when none runs). */
    public static long droppedLines() {
        AccessLineAppender a = active();
        return a == null ? 0 : a.dropped();
    }

    /** Lines dropped because stdout did not keep up. */
    public long dropped() {
        return dropped.get();
    }

    @Override
    public void start() {
        json = "json".equals(format);
        generic = json ? jsonEncoder() : textEncoder();
        out = System.out;
        stopping = false;
        writer = new Thread(this::drainLoop, "moat-access-log");
        writer.setDaemon(true);
        writer.start();
        super.start();
        active = this;
    }

    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        if (active == this) {
            active = null;
        }
        super.stop();
        stopping = true;
        LockSupport.unpark(writer);
        try {
            writer.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drain(); // whatever came after the writer's last pass
        generic.stop();
    }

    /** The direct path: one entry, no logging event. */
    void write(AccessLog.Entry e, long timeMillis) {
        Lines l = mine.get();
        synchronized (l) {
            AccessLines b = l.lines;
            if (b.len > MAX_BUFFER_BYTES) {
                dropped.incrementAndGet();
                return;
            }
            b.append(e, timeMillis);
            wakeIfFull(l);
        }
    }

    @Override
    protected void append(ILoggingEvent event) {
        byte[] bytes = generic.encode(event);
        Lines l = mine.get();
        synchronized (l) {
            if (l.lines.len > MAX_BUFFER_BYTES) {
                dropped.incrementAndGet();
                return;
            }
            l.lines.appendRaw(bytes);
            wakeIfFull(l);
        }
    }

    private void wakeIfFull(Lines l) {
        if (!l.woken && l.lines.len >= WAKE_AT_BYTES) {
            l.woken = true;
            LockSupport.unpark(writer);
        }
    }

    private Lines register() {
        Lines l = new Lines();
        buffers.add(l);
        return l;
    }

    private void drainLoop() {
        long nanos = TimeUnit.MILLISECONDS.toNanos(flushMillis);
        while (!stopping) {
            LockSupport.parkNanos(this, nanos);
            drain();
        }
    }

    /** Writes every buffer's lines, one write per buffer, outside the buffers' locks. */
    private synchronized void drain() {
        for (Iterator<Lines> it = buffers.iterator(); it.hasNext(); ) {
            Lines l = it.next();
            byte[] full;
            int n;
            synchronized (l) {
                n = l.lines.len;
                if (n == 0) {
                    if (!l.owner.isAlive()) {
                        buffers.remove(l);
                    }
                    continue;
                }
                full = l.lines.buf;
                byte[] next = l.spare != null ? l.spare : new byte[Math.min(full.length, WAKE_AT_BYTES * 2)];
                l.lines.buf = next;
                l.lines.len = 0;
                l.spare = null;
                l.woken = false;
            }
            out.write(full, 0, n);
            out.flush();
            synchronized (l) {
                if (l.spare == null && full.length <= MAX_BUFFER_BYTES) {
                    l.spare = full;
                }
            }
        }
    }

    /** True when {@code appender} is the only appender a line on {@code logger} reaches. */
    static boolean soleAppenderOf(org.slf4j.Logger logger, AccessLineAppender appender) {
        if (!(logger instanceof ch.qos.logback.classic.Logger l) || l.isAdditive()) {
            return false;
        }
        Iterator<Appender<ILoggingEvent>> it = l.iteratorForAppenders();
        return it.hasNext() && it.next() == appender && !it.hasNext();
    }

    private Encoder<ILoggingEvent> jsonEncoder() {
        JsonEncoder e = new JsonEncoder();
        e.setContext(getContext());
        e.setWithSequenceNumber(false);
        e.setWithNanoseconds(false);
        e.setWithContext(false);
        e.setWithThreadName(false);
        e.setWithArguments(false);
        e.setWithMessage(false);
        e.setWithFormattedMessage(true);
        e.start();
        return e;
    }

    private Encoder<ILoggingEvent> textEncoder() {
        PatternLayoutEncoder e = new PatternLayoutEncoder();
        e.setContext(getContext());
        e.setPattern(TEXT_PATTERN);
        e.start();
        return e;
    }

    /** The text line's pattern (the date is local time with its offset). */
    static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %msg%n";
}
