package dev.moat.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpExpectationFailedEvent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;

/**
 * An upstream connection's HTTP codec: Netty's request encoder and response decoder, paired as
 * Netty's {@code HttpClientCodec} pairs them (the methods of the requests sent wait in a queue,
 * so that the answer to a {@code HEAD} has no body; after a {@code 200} to a {@code CONNECT},
 * which the gateway refuses to forward, the bytes pass through), with one difference: the answer's
 * head is <b>spliced</b> when it is plain.
 *
 * <p>Netty's decoder makes an {@code AsciiString} (a copy of the name's bytes) and a {@code String}
 * (a copy of the value's) for every field of a head, and the client side's encoder then writes each
 * {@code String} back char by char. A plain head, here, is copied once; each field that does not
 * frame the body becomes two views of that copy (name and value, no bytes copied, the case and the
 * order of the upstream's lines kept), which the encoder writes out as bytes. Only what frames the
 * body goes through Netty's parser: the status line and the {@code Content-Length} and {@code
 * Transfer-Encoding} lines, verbatim, as a head of their own, so that Netty's rules for them (one
 * length, duplicate lengths, chunked with a length, {@code HEAD}, 204, 304) and its body decoding
 * are unchanged.
 *
 * <p>Plain means a strict subset of what Netty accepts, decided before anything is consumed: the
 * whole head within {@code min(maxInitialLineLength, maxHeaderSize) - 2} bytes, starting with
 * {@code HTTP/1.1 } and a status that is not 1xx; every line ending in CR LF (no bare CR or LF);
 * no line starting with white space (obs-fold); each name only token characters up to the colon
 * (no white space before it); each value only visible ASCII, space and tab (no other control
 * character, no byte above 0x7E). Every spliced field still goes through {@link FlatHeaders#add},
 * i.e. the same name and value validators as Netty's decoder applies. Any other head, and every
 * message after one that is not plain, after a decoding failure, or once the connection is closing,
 * goes through Netty's decoder whole, as before.
 */
public final class UpstreamCodec extends CombinedChannelDuplexHandler<HttpResponseDecoder, HttpRequestEncoder> {

    private final Queue<HttpMethod> methods = new ArrayDeque<>();
    private boolean done; // a 200 to a CONNECT: the rest of the bytes pass through

    public UpstreamCodec(HttpDecoderConfig config) {
        if (!(config.getHeadersFactory() == FlatHeaders.FACTORY)) {
            throw new IllegalArgumentException("the upstream codec splices into FlatHeaders.FACTORY's heads");
        }
        init(new AnswerDecoder(config), new RequestEncoder());
    }

    /** Records the method of each request, as {@code HttpClientCodec}'s encoder does. */
    private final class RequestEncoder extends HttpRequestEncoder {
        @Override
        protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
            if (msg instanceof HttpRequest r) {
                methods.offer(r.method());
            }
            super.encode(ctx, msg, out);
        }
    }

    /** Bytes copied for a first look for the head's end. */
    private static final int FIRST_LOOK = 512;

    private static final int WAIT = 0;
    private static final int SPLICED = 1;
    private static final int NOT_PLAIN = 2;

    /** Token characters (RFC 9110 section 5.6.2). */
    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (char c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
    }

    private static final byte[] CONTENT_LENGTH = "content-length".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] TRANSFER_ENCODING =
            "transfer-encoding".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    final class AnswerDecoder extends HttpResponseDecoder {
        private final int maxHead;
        /** The bytes looked at for a head (reused). */
        private final byte[] scratch;
        /**
         * The head handed to Netty's parser: status line and framing lines (reused; from the
         * channel's allocator, so that Netty's parser sees the buffer class it sees on the wire).
         */
        private ByteBuf framing;
        /** Per spliced field: name start, name end, value start, value end in the head (reused). */
        private int[] fields = new int[4 * 16];

        /** Netty's decoder owns every message from now on. */
        private boolean netty;
        /** The next byte starts a message (the last one ended with its last piece). */
        private boolean atStart = true;

        AnswerDecoder(HttpDecoderConfig config) {
            super(config);
            maxHead = Math.min(config.getMaxInitialLineLength(), config.getMaxHeaderSize()) - 2;
            scratch = new byte[Math.max(0, maxHead)];
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            if (done) { // as HttpClientCodec after a CONNECT's 200
                int readable = actualReadableBytes();
                if (readable > 0) {
                    out.add(in.readBytes(readable));
                }
                return;
            }
            if (!netty && atStart) {
                int r = splice(ctx, in, out);
                if (r == WAIT || r == SPLICED) {
                    return;
                }
                netty = true;
            }
            int from = out.size();
            super.decode(ctx, in, out);
            if (!netty) {
                track(out, from);
            }
        }

        /** After a spliced head: a failure hands everything to Netty; a last piece ends the message. */
        private void track(List<Object> out, int from) {
            for (int i = from; i < out.size(); i++) {
                Object o = out.get(i);
                if (o instanceof HttpObject h && h.decoderResult().isFailure()) {
                    netty = true;
                    return;
                }
                if (o instanceof LastHttpContent) {
                    atStart = true;
                }
            }
        }

        /** Splices a plain head at {@code in}'s reader index; see the class comment. */
        private int splice(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            int start = in.readerIndex();
            int n = Math.min(in.readableBytes(), maxHead);
            byte[] b = scratch;
            int first = Math.min(n, FIRST_LOOK); // a head is usually short; the body need not be copied
            in.getBytes(start, b, 0, first);
            int end = headEnd(b, first); // index after the blank line's LF, or -1
            if (end == -1 && first < n) {
                in.getBytes(start + first, b, first, n - first);
                end = headEnd(b, n);
            }
            if (end == -2) {
                return NOT_PLAIN;
            }
            if (end < 0) {
                return n < maxHead ? WAIT : NOT_PLAIN;
            }
            // the status line: "HTTP/1.1 " and a status that is not 1xx
            if (end < 13
                    || b[0] != 'H'
                    || b[1] != 'T'
                    || b[2] != 'T'
                    || b[3] != 'P'
                    || b[4] != '/'
                    || b[5] != '1'
                    || b[6] != '.'
                    || b[7] != '1'
                    || b[8] != ' '
                    || b[9] < '2'
                    || b[9] > '9') {
                return NOT_PLAIN;
            }
            int lineEnd = indexOfCr(b, 0, end);
            ByteBuf f = framing;
            if (f == null) {
                f = framing = ctx.alloc().buffer(maxHead);
            }
            f.clear();
            f.writeBytes(b, 0, lineEnd + 2);
            int count = 0;
            int[] fs = fields;
            for (int p = lineEnd + 2; ; ) {
                int le = indexOfCr(b, p, end);
                if (le == p) { // the blank line
                    break;
                }
                // name: token characters up to the colon
                int c = p;
                while (c < le && b[c] >= 0 && TCHAR[b[c]]) {
                    c++;
                }
                if (c == p || c == le || b[c] != ':') {
                    return NOT_PLAIN; // no name, no colon, white space before it, or obs-fold
                }
                int vs = c + 1;
                while (vs < le && (b[vs] == ' ' || b[vs] == '\t')) {
                    vs++;
                }
                int ve = le;
                while (ve > vs && (b[ve - 1] == ' ' || b[ve - 1] == '\t')) {
                    ve--;
                }
                for (int i = vs; i < ve; i++) {
                    int v = b[i];
                    if ((v < 0x20 && v != '\t') || v >= 0x7F) { // b[i] is signed: above 0x7F is negative
                        return NOT_PLAIN;
                    }
                }
                if (is(b, p, c, CONTENT_LENGTH) || is(b, p, c, TRANSFER_ENCODING)) {
                    f.writeBytes(b, p, le + 2 - p);
                } else {
                    if (4 * count + 4 > fs.length) {
                        fs = fields = Arrays.copyOf(fs, fs.length * 2);
                    }
                    fs[4 * count] = p;
                    fs[4 * count + 1] = c;
                    fs[4 * count + 2] = vs;
                    fs[4 * count + 3] = ve;
                    count++;
                }
                p = le + 2;
            }
            f.writeByte('\r').writeByte('\n');

            int from = out.size();
            super.decode(ctx, f, out); // Netty parses the status and the framing, and sets up the body
            if (f.isReadable() || out.size() == from || !(out.get(from) instanceof HttpResponse res)) {
                throw new IllegalStateException("the framing head was not decoded whole");
            }
            in.skipBytes(end);
            if (res.decoderResult().isFailure()) {
                netty = true; // Netty is in its bad-message state: it discards what follows, as before
                return SPLICED;
            }
            if (count > 0) {
                // the views' bytes: the spliced fields' lines, copied once
                int span = fs[0];
                byte[] head = Arrays.copyOfRange(b, span, fs[4 * count - 1]);
                FlatHeaders h = (FlatHeaders) res.headers();
                for (int i = 0; i < count; i++) {
                    int ns = fs[4 * i];
                    int vs = fs[4 * i + 2];
                    h.add(
                            view(KNOWN_NAMES, b, head, span, ns, fs[4 * i + 1]),
                            view(KNOWN_VALUES, b, head, span, vs, fs[4 * i + 3]));
                }
            }
            atStart = false;
            track(out, from);
            return SPLICED;
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            // HttpClientCodec's decoder, 4.2.18: interim answers are not paired with a request
            HttpResponseStatus status = ((HttpResponse) msg).status();
            if (status.codeClass() == HttpStatusClass.INFORMATIONAL) {
                return super.isContentAlwaysEmpty(msg);
            }
            HttpMethod method = methods.poll();
            if (method != null) {
                if (HttpMethod.HEAD.equals(method)) {
                    return true;
                }
                if (status.code() == 200 && HttpMethod.CONNECT.equals(method)) {
                    done = true;
                    methods.clear();
                    return true;
                }
            }
            return super.isContentAlwaysEmpty(msg);
        }

        @Override
        protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            netty = true; // a head cut off by the close is Netty's to report
            super.decodeLast(ctx, in, out);
        }

        @Override
        public void reset() {
            netty = true;
            super.reset();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof HttpExpectationFailedEvent) {
                netty = true;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
            try {
                if (framing != null) {
                    framing.release();
                    framing = null;
                }
            } finally {
                super.handlerRemoved0(ctx);
            }
        }
    }

    /**
     * Names that are taken as these constants when their bytes are exactly the constant's (case
     * included): no view made for them, and the lower-case ones are Netty's, which the header rules
     * look up by identity first.
     */
    private static final AsciiString[] KNOWN_NAMES = {
        AsciiString.cached("Server"),
        AsciiString.cached("Date"),
        AsciiString.cached("Content-Type"),
        AsciiString.cached("Connection"),
        AsciiString.cached("Cache-Control"),
        AsciiString.cached("Content-Encoding"),
        AsciiString.cached("Vary"),
        AsciiString.cached("ETag"),
        AsciiString.cached("Last-Modified"),
        AsciiString.cached("Keep-Alive"),
        AsciiString.cached("Accept-Ranges"),
        HttpHeaderNames.SERVER,
        HttpHeaderNames.DATE,
        HttpHeaderNames.CONTENT_TYPE,
        HttpHeaderNames.CONNECTION,
        HttpHeaderNames.CACHE_CONTROL,
        HttpHeaderNames.CONTENT_ENCODING,
        HttpHeaderNames.VARY,
        HttpHeaderNames.KEEP_ALIVE,
    };

    /** Values taken as these constants when their bytes are exactly the constant's. */
    private static final AsciiString[] KNOWN_VALUES = {
        HttpHeaderValues.KEEP_ALIVE,
        HttpHeaderValues.CLOSE,
        HttpHeaderValues.APPLICATION_JSON,
        AsciiString.cached("nginx"),
    };

    /** {@code b[from, to)} as one of {@code known} when byte-equal, else a view of {@code head} (which starts at {@code span}). */
    private static AsciiString view(AsciiString[] known, byte[] b, byte[] head, int span, int from, int to) {
        int len = to - from;
        for (AsciiString k : known) {
            if (k.length() == len && equal(k.array(), k.arrayOffset(), b, from, len)) {
                return k;
            }
        }
        return new AsciiString(head, from - span, len, false);
    }

    private static boolean equal(byte[] a, int aFrom, byte[] b, int bFrom, int len) {
        for (int i = 0; i < len; i++) {
            if (a[aFrom + i] != b[bFrom + i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The index after the head's blank line (CR LF CR LF) in {@code b[0, n)}; -1 if it is not
     * there yet; -2 at a bare LF or a CR not followed by LF before it (not plain).
     */
    static int headEnd(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            byte c = b[i];
            if (c == '\n') {
                return -2; // an LF not after a CR
            }
            if (c == '\r') {
                if (i + 1 >= n) {
                    return -1;
                }
                if (b[i + 1] != '\n') {
                    return -2;
                }
                if (i + 3 < n && b[i + 2] == '\r' && b[i + 3] == '\n') {
                    return i + 4;
                }
                if (i + 2 < n && b[i + 2] == '\n') {
                    return -2;
                }
                if (i + 3 >= n && i + 2 < n && b[i + 2] == '\r') {
                    return -1; // CR LF CR, the LF not yet here
                }
                i++; // past the LF
            }
        }
        return -1;
    }

    /** The next CR in {@code b[from, to)} (every CR in a head found by headEnd starts CR LF). */
    private static int indexOfCr(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == '\r') {
                return i;
            }
        }
        throw new IllegalStateException("no line end"); // headEnd found one
    }

    /** {@code b[from, to)} equals {@code lower} without case (ASCII letters). */
    private static boolean is(byte[] b, int from, int to, byte[] lower) {
        if (to - from != lower.length) {
            return false;
        }
        for (int i = 0; i < lower.length; i++) {
            int c = b[from + i];
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != lower[i]) {
                return false;
            }
        }
        return true;
    }
}
