package dev.imcluster.broker.http;

import dev.imcluster.broker.logging.RateLimitedLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server's defences against slow and broken clients, and their counters
 * ({@code imcluster_http_rejected_total{server,reason}}): a connection must deliver a complete request within
 * the request timeout of connecting or of its last response, else it is closed: reason {@code timeout} when it
 * never completed a request (a slowloris-like partial request, a body shorter than its Content-Length), reason
 * {@code idle} (logged at debug only) for a keep-alive connection that was served and then went quiet, or sent
 * part of its next request.
 */
final class HttpGuard {
    private static final Logger log = LoggerFactory.getLogger(HttpGuard.class);

    private final String server;
    private final long timeoutNanos;
    private final Counter timeout;
    private final Counter idle;
    private final Counter malformed;
    private final Counter tooLarge;
    private final Counter clientError;
    private final RateLimitedLog rejectedLog = new RateLimitedLog(log, 10, TimeUnit.SECONDS);

    HttpGuard(String server, Duration requestTimeout, MeterRegistry meters) {
        this.server = server;
        this.timeoutNanos = requestTimeout.toNanos();
        this.timeout = counter(meters, server, "timeout");
        this.idle = counter(meters, server, "idle");
        this.malformed = counter(meters, server, "malformed");
        this.tooLarge = counter(meters, server, "too_large");
        this.clientError = counter(meters, server, "client_error");
    }

    private static Counter counter(MeterRegistry meters, String server, String reason) {
        return meters == null ? null : Counter.builder("imcluster.http.rejected")
                .description("HTTP requests refused (4xx) or connections closed for a bad or too slow request")
                .tag("server", server).tag("reason", reason).register(meters);
    }

    private static void count(Counter c) {
        if (c != null) {
            c.increment();
        }
    }

    void malformed(ChannelHandlerContext ctx, Throwable cause) {
        count(malformed);
        rejectedLog.warn("{} HTTP: malformed request from {} refused: {}", server, ctx.channel().remoteAddress(),
                cause == null ? "unknown" : cause.toString());
    }

    void tooLarge(ChannelHandlerContext ctx) {
        count(tooLarge);
        rejectedLog.warn("{} HTTP: request from {} over the size limit refused (413)", server,
                ctx.channel().remoteAddress());
    }

    void replied(int status) {
        if (status >= 400 && status < 500) {
            count(clientError);
        }
    }

    /** The per-connection deadline; placed after the aggregator, so it sees whole requests. */
    Deadline deadline() {
        return new Deadline();
    }

    final class Deadline extends ChannelDuplexHandler {
        private ScheduledFuture<?> timer;
        private int unanswered;
        private boolean served;

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            arm(ctx);
            super.channelActive(ctx);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (msg instanceof FullHttpRequest) {
                disarm();
                unanswered++;
            }
            super.channelRead(ctx, msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof HttpResponse && --unanswered <= 0) {
                unanswered = 0;
                served = true;
                arm(ctx); // the next request has the whole timeout again
            }
            super.write(ctx, msg, promise);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            disarm();
            super.channelInactive(ctx);
        }

        private void arm(ChannelHandlerContext ctx) {
            disarm();
            timer = ctx.executor().schedule(() -> {
                if (!ctx.channel().isActive()) {
                    return;
                }
                long millis = TimeUnit.NANOSECONDS.toMillis(timeoutNanos);
                if (served) {
                    count(idle);
                    log.debug("{} HTTP: keep-alive connection from {} quiet for {} ms; closed", server,
                            ctx.channel().remoteAddress(), millis);
                } else {
                    count(timeout);
                    rejectedLog.warn("{} HTTP: no complete request from {} within {} ms; connection closed",
                            server, ctx.channel().remoteAddress(), millis);
                }
                ctx.close();
            }, timeoutNanos, TimeUnit.NANOSECONDS);
        }

        private void disarm() {
            if (timer != null) {
                timer.cancel(false);
                timer = null;
            }
        }
    }
}
