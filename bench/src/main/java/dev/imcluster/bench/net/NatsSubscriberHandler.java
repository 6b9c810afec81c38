package dev.imcluster.bench.net;

import dev.imcluster.bench.core.Deliveries;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ByteProcessor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * A minimal NATS core-protocol subscriber on the bench's shared I/O threads (jnats starts several threads per
 * connection, too many for a thousand subscribers): CONNECT, SUB one subject, answer PINGs, and report each MSG
 * payload in place. JetStream push consumers deliver to such a subject too.
 */
public final class NatsSubscriberHandler extends PeerSubscriberHandler {
    private static final byte[] PONG = "PONG\r\n".getBytes(StandardCharsets.US_ASCII);

    private final String subject;

    public NatsSubscriberHandler(String subject, Deliveries deliveries, LongAdder serverErrors) {
        super("NATS", deliveries, serverErrors);
        this.subject = subject;
    }

    @Override
    protected String hello() {
        // The PONG to this PING tells that the SUB is in place.
        return "CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1,\"name\":\"bench\"}\r\n"
                + "SUB " + subject + " 1\r\nPING\r\n";
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            int start = in.readerIndex();
            int cr = in.forEachByte(ByteProcessor.FIND_CRLF);
            if (cr < 0 || cr + 2 > in.writerIndex()) { // the line, with its \n, is not all here yet
                return;
            }
            byte first = in.getByte(start);
            if (first == 'M' || first == 'H') { // MSG subject sid [reply] size | HMSG subject sid [reply] hsize size
                int size = lastNumber(in, start, cr);
                int payload = cr + 2;
                if (in.writerIndex() < payload + size + 2) {
                    return;
                }
                if (first == 'M') {
                    deliveries.deliver(in, payload, size);
                }
                in.readerIndex(payload + size + 2);
            } else {
                if (first == 'P' && in.getByte(start + 1) == 'I') {
                    ctx.writeAndFlush(ctx.alloc().buffer(PONG.length).writeBytes(PONG));
                } else if (first == 'P' && in.getByte(start + 1) == 'O') {
                    ready.complete(null);
                } else if (first == '-') {
                    serverErrors.increment();
                }
                in.readerIndex(cr + 2);
            }
        }
    }

    /** The decimal number ending the control line [start, cr). */
    private static int lastNumber(ByteBuf in, int start, int cr) {
        int value = 0;
        int scale = 1;
        for (int i = cr - 1; i > start; i--) {
            byte b = in.getByte(i);
            if (b < '0' || b > '9') {
                break;
            }
            value += (b - '0') * scale;
            scale *= 10;
        }
        return value;
    }
}
