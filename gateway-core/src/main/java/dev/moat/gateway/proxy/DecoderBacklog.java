package dev.moat.gateway.proxy;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandler;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpServerCodec;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Whether a client connection's HTTP decoder holds part of a request head that has not reached the
 * front end: bytes that came in behind a complete request, in the same read (a pipelining client
 * that stalls). They are in the decoder, not in the socket, so {@link HeadReadTimeoutHandler},
 * which sees bytes only as they are read, could not tell such a connection from an idle one.
 *
 * <p>Two parts of a head can be there, and each is seen its own way:
 * <ul>
 *   <li>lines the decoder has parsed (its request line and some fields): it consumed their bytes
 *       and holds a message in the making. It made that message's headers with this factory, the
 *       connection's {@code headers_factory}, which counts them: more heads started than the
 *       front end received is a head in progress (or a whole one queued, read next);</li>
 *   <li>a line not complete yet (at least the request line, when nothing more came): its bytes wait
 *       in the decoder's buffer. Netty shows that buffer only to subclasses
 *       ({@code CombinedChannelDuplexHandler.inboundHandler()},
 *       {@code ByteToMessageDecoder.actualReadableBytes()}, both {@code protected}), and
 *       {@link HttpServerCodec} is final and queues each request's method for its encoder, so it
 *       is not replaced by a copy: the two methods are called through method handles made once. A
 *       JVM that refuses them leaves only this part unseen, and says so once.</li>
 * </ul>
 * One per connection, used on its event loop only.
 */
final class DecoderBacklog implements HttpHeadersFactory {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DecoderBacklog.class);

    private static final MethodHandle INBOUND_HANDLER;
    private static final MethodHandle READABLE_BYTES;

    static {
        MethodHandle inbound = null;
        MethodHandle readable = null;
        try {
            inbound = MethodHandles.privateLookupIn(CombinedChannelDuplexHandler.class, MethodHandles.lookup())
                    .findVirtual(
                            CombinedChannelDuplexHandler.class,
                            "inboundHandler",
                            MethodType.methodType(ChannelInboundHandler.class));
            readable = MethodHandles.privateLookupIn(ByteToMessageDecoder.class, MethodHandles.lookup())
                    .findVirtual(ByteToMessageDecoder.class, "actualReadableBytes", MethodType.methodType(int.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn(
                    "cannot see the HTTP decoder's buffer: part of a request line pipelined behind a request"
                            + " waits under keep_alive instead of header_read",
                    e);
            inbound = null;
            readable = null;
        }
        INBOUND_HANDLER = inbound;
        READABLE_BYTES = readable;
    }

    private final HttpHeadersFactory heads;
    /** Heads the decoder started (its request line parsed). */
    private long started;
    /** Heads the front end received. */
    private long received;

    DecoderBacklog(HttpHeadersFactory heads) {
        this.heads = heads;
    }

    @Override
    public HttpHeaders newHeaders() {
        started++;
        return heads.newHeaders();
    }

    @Override
    public HttpHeaders newEmptyHeaders() {
        return heads.newEmptyHeaders();
    }

    /** The front end received a head. */
    void headReceived() {
        received++;
    }

    /** Whether part of a head (or a whole one) is in {@code codec}, the connection's codec, or in the queue after it. */
    boolean holdsAHead(ChannelHandler codec) {
        return started != received || undecodedBytes(codec) > 0;
    }

    /** The number of bytes {@code codec}'s decoder holds undecoded, or 0 when it is not an {@link HttpServerCodec}. */
    static int undecodedBytes(ChannelHandler codec) {
        if (!(codec instanceof HttpServerCodec c) || INBOUND_HANDLER == null) {
            return 0;
        }
        try {
            Object decoder = INBOUND_HANDLER.invoke((CombinedChannelDuplexHandler<?, ?>) c);
            return decoder instanceof ByteToMessageDecoder d ? (int) READABLE_BYTES.invoke(d) : 0;
        } catch (Throwable e) {
            throw new IllegalStateException("reading the HTTP decoder's buffer failed", e);
        }
    }
}
