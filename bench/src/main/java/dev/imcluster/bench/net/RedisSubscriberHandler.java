package dev.imcluster.bench.net;

import dev.imcluster.bench.core.Deliveries;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ByteProcessor;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * A minimal Redis pub/sub subscriber (RESP2) on the bench's shared I/O threads: SUBSCRIBE one channel and report
 * each {@code message} push's payload in place, without building reply objects.
 */
public final class RedisSubscriberHandler extends PeerSubscriberHandler {
    private final String channel;
    /** Bounds of the elements of the array being parsed: offset and length of each bulk string. */
    private final int[] offsets = new int[3];
    private final int[] lengths = new int[3];

    public RedisSubscriberHandler(String channel, Deliveries deliveries, LongAdder serverErrors) {
        super("Redis", deliveries, serverErrors);
        this.channel = channel;
    }

    @Override
    protected String hello() {
        return "SUBSCRIBE " + channel + "\r\n";
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            int end = parse(in, in.readerIndex());
            if (end < 0) {
                return;
            }
            in.readerIndex(end);
        }
    }

    /** Parses one reply at {@code pos}; returns the index after it, or -1 while it is incomplete. */
    private int parse(ByteBuf in, int pos) {
        int cr = in.forEachByte(pos, in.writerIndex() - pos, ByteProcessor.FIND_CRLF);
        if (cr < 0 || cr + 2 > in.writerIndex()) { // the line, with its \n, is not all here yet
            return -1;
        }
        byte type = in.getByte(pos);
        if (type != '*') { // +simple, -error, :integer outside a push
            if (type == '-') {
                serverErrors.increment();
            }
            return cr + 2;
        }
        int count = (int) number(in, pos + 1, cr);
        int p = cr + 2;
        for (int k = 0; k < count; k++) {
            if (p >= in.writerIndex()) {
                return -1;
            }
            int lineEnd = in.forEachByte(p, in.writerIndex() - p, ByteProcessor.FIND_CRLF);
            if (lineEnd < 0 || lineEnd + 2 > in.writerIndex()) {
                return -1;
            }
            byte t = in.getByte(p);
            if (t == '$') {
                int len = (int) number(in, p + 1, lineEnd);
                int data = lineEnd + 2;
                if (in.writerIndex() < data + len + 2) {
                    return -1;
                }
                if (k < 3) {
                    offsets[k] = data;
                    lengths[k] = len;
                }
                p = data + len + 2;
            } else {
                if (k < 3) {
                    lengths[k] = -1;
                }
                p = lineEnd + 2;
            }
        }
        if (count == 3 && lengths[0] == 7 && in.getByte(offsets[0]) == 'm') { // "message"
            deliveries.deliver(in, offsets[2], lengths[2]);
        } else if (count == 3 && lengths[0] == 9 && in.getByte(offsets[0]) == 's') { // "subscribe"
            ready.complete(null);
        }
        return p;
    }

    private static long number(ByteBuf in, int from, int to) {
        long v = 0;
        boolean negative = false;
        for (int i = from; i < to; i++) {
            byte b = in.getByte(i);
            if (b == '-') {
                negative = true;
            } else {
                v = v * 10 + (b - '0');
            }
        }
        return negative ? -v : v;
    }
}
