package dev.moat.gateway.admin;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Between the admin connection's codec and its aggregator: only an {@code /admin/*} call that
 * carries the admin token may send a body. Any other request with a body (no token, a wrong one,
 * an open or unknown path) goes on as its head with an empty body, marked to close the connection
 * after the answer, and its body is dropped as it arrives. So the aggregator never buffers, nor
 * sends {@code 100 Continue}, for anyone who has not shown the token (it held up to 64 KiB per
 * connection for anyone who could reach the port).
 */
final class AdminBodyGate extends ChannelInboundHandlerAdapter {

    private final AdminService service;

    /** The current request's body is being dropped. */
    private boolean dropping;

    AdminBodyGate(AdminService service) {
        this.service = service;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req && !(msg instanceof HttpContent)) {
            dropping = false;
            // a head the codec could not parse goes on as it is: the handler answers 400 and closes
            if (!req.decoderResult().isFailure() && hasBody(req) && !bodyAllowed(req)) {
                dropping = true;
                HttpUtil.setKeepAlive(req, false);
                req.headers()
                        .remove(HttpHeaderNames.EXPECT)
                        .remove(HttpHeaderNames.TRANSFER_ENCODING)
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                ctx.fireChannelRead(req);
                ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
                return; // the codec sends the body, if any, as separate contents: dropped below
            }
        } else if (msg instanceof HttpContent content && dropping) {
            content.release();
            return;
        }
        ctx.fireChannelRead(msg);
    }

    private boolean bodyAllowed(HttpRequest req) {
        return AdminAccess.adminPath(AdminAccess.rawPath(req.uri())) && AdminAccess.authorized(req, service.token());
    }

    private static boolean hasBody(HttpRequest req) {
        return HttpUtil.getContentLength(req, 0L) > 0 || HttpUtil.isTransferEncodingChunked(req);
    }
}
