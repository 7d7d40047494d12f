package net.poolsa.appliance.control;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.TooLongFrameException;

import net.poolsa.esp.event.RateLimitedLog;

/**
 * One control connection: takes request lines (framed by a {@code LineBasedFrameDecoder} in front), answers
 * them one at a time in order, and logs who asked for what (uid from SO_PEERCRED). A bad request gets an
 * error reply; an overlong line or too many queued requests get one and the connection is closed.
 */
final class ControlHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    private static final RateLimitedLog BAD_REQUESTS = RateLimitedLog.perTenSeconds(1);

    private final ControlCommands commands;
    private final ArrayDeque<String> pending = new ArrayDeque<>();
    private boolean busy;
    private boolean closing;
    /** The client shut down its sending side (e.g. {@code nc -N}): answer what it sent, then close. */
    private boolean inputShutdown;
    private String peer = "uid=? pid=?";

    ControlHandler(ControlCommands commands) {
        this.commands = commands;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (ctx.channel() instanceof EpollDomainSocketChannel ch) {
            try {
                peer = "uid=" + ch.peerCredentials().uid() + " pid=" + ch.peerCredentials().pid();
            } catch (IOException e) {
                peer = "uid=? pid=? (" + e.getMessage() + ")";
            }
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        String line;
        ByteBuf b = (ByteBuf) msg;
        try {
            line = b.toString(StandardCharsets.UTF_8);
        } finally {
            b.release();
        }
        if (closing) {
            return;
        }
        if (pending.size() >= ControlProtocol.MAX_PENDING) {
            closeWith(ctx, ControlReply.error(ControlProtocol.TOO_MANY_REQUESTS, "more than " + ControlProtocol.MAX_PENDING
                    + " requests without reading the answers; closing"));
            return;
        }
        pending.add(line);
        drain(ctx);
    }

    private void drain(ChannelHandlerContext ctx) {
        while (!busy && !closing && !pending.isEmpty()) {
            busy = true;
            String line = pending.poll();
            dispatch(line).whenComplete((reply, failure) -> ctx.executor().execute(() -> {
                ControlReply r = reply;
                if (failure != null || r == null) {
                    LOG.error("event=control_command_failed {} error=\"{}\"", peer, failure, failure);
                    r = ControlReply.error(ControlProtocol.INTERNAL_ERROR, "the command failed: " + failure);
                }
                busy = false;
                if (!closing) {
                    ctx.writeAndFlush(line(r));
                    drain(ctx);
                }
            }));
        }
        closeIfAnswered(ctx);
    }

    private void closeIfAnswered(ChannelHandlerContext ctx) {
        if (inputShutdown && !busy && pending.isEmpty() && !closing) {
            closing = true;
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputShutdown = true;
            closeIfAnswered(ctx);
        }
        ctx.fireUserEventTriggered(evt);
    }

    private CompletionStage<ControlReply> dispatch(String line) {
        ControlProtocol.Request r;
        try {
            r = ControlProtocol.parse(line);
        } catch (ControlProtocol.BadRequest e) {
            long suppressed = BAD_REQUESTS.permit(0);
            if (suppressed != RateLimitedLog.SUPPRESSED) {
                LOG.warn("event=control_request_refused {} error={} reason=\"{}\" suppressed={}", peer, e.reply().error(),
                        e.getMessage(), suppressed);
            }
            return CompletableFuture.completedFuture(e.reply());
        }
        try {
            CompletionStage<ControlReply> answer = switch (r.command()) {
                case ControlProtocol.STATUS -> commands.status();
                case ControlProtocol.INITIATE -> commands.initiate(r.connection());
                case ControlProtocol.TERMINATE -> commands.terminate(r.connection());
                default -> throw new IllegalStateException("parse let through " + r.command());
            };
            if (r.connection() != null) {
                // Who changed what: an audit line per initiate/terminate, with its outcome.
                answer = answer.whenComplete((reply, failure) -> LOG.info(
                        "event=control_command command={} connection={} {} result={}", r.command(), r.connection(), peer,
                        reply == null ? "failed" : reply.ok() ? "ok" : reply.error()));
            }
            return answer;
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            closeWith(ctx, ControlReply.error(ControlProtocol.REQUEST_TOO_LONG, "request longer than "
                    + ControlProtocol.MAX_REQUEST_BYTES + " bytes; closing"));
        } else {
            LOG.debug("event=control_connection_error {} error=\"{}\"", peer, cause.toString());
            ctx.close();
        }
    }

    private void closeWith(ChannelHandlerContext ctx, ControlReply reply) {
        if (closing) {
            return;
        }
        closing = true;
        pending.clear();
        long suppressed = BAD_REQUESTS.permit(0);
        if (suppressed != RateLimitedLog.SUPPRESSED) {
            LOG.warn("event=control_request_refused {} error={} suppressed={}", peer, reply.error(), suppressed);
        }
        ctx.writeAndFlush(line(reply)).addListener(ChannelFutureListener.CLOSE);
    }

    private static ByteBuf line(ControlReply r) {
        return Unpooled.copiedBuffer(r.toJson() + "\n", StandardCharsets.UTF_8);
    }
}
