package dev.imcluster.broker.comet;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.BroadcastRoomReq;
import dev.imcluster.broker.api.internal.RoomMessage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A comet with {@code members} goim TCP clients in one room, read by one NIO thread that counts bytes: for
 * benchmarks of room fan-out over real loopback sockets (see {@code bench.RoomFanoutBench}).
 */
public final class FanoutFixture implements AutoCloseable {
    private static final String ROOM = "live://fanout";
    private final CometHarness harness;
    private final Selector selector;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread reader;
    private final int members;
    private final ByteString body;
    private long sequence;

    public FanoutFixture(int members, int bodySize) throws Exception {
        this.members = members;
        this.body = ByteString.copyFrom(new byte[bodySize]);
        harness = new CometHarness(c -> c.comet.protocol.sendQueueSize = 4096);
        selector = Selector.open();
        for (int i = 0; i < members; i++) {
            SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", harness.comet.tcpPort()));
            byte[] auth = CometHarness.auth(i, "fan-" + i, ROOM, 1000).getBytes(StandardCharsets.UTF_8);
            ch.write(ByteBuffer.wrap(GoimClient.frame(1, 7, 1, auth)));
            ByteBuffer reply = ByteBuffer.allocate(16);
            while (reply.hasRemaining()) {
                ch.read(reply);
            }
            ch.configureBlocking(false);
            ch.register(selector, SelectionKey.OP_READ);
        }
        reader = new Thread(this::readLoop, "fanout-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private void readLoop() {
        ByteBuffer buf = ByteBuffer.allocateDirect(256 * 1024);
        try {
            while (running.get()) {
                selector.select(100);
                for (SelectionKey k : selector.selectedKeys()) {
                    int n;
                    while ((n = ((SocketChannel) k.channel()).read(buf.clear())) > 0) {
                        bytes.addAndGet(n);
                    }
                }
                selector.selectedKeys().clear();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The next single-message room batch (fresh msg_id, publish time now). */
    BroadcastRoomReq nextBatch() {
        return BroadcastRoomReq.newBuilder().setRoomId(ROOM).addMessages(RoomMessage.newBuilder()
                .setMsgId(Long.toString(++sequence)).setOperation(1000).setBody(body)
                .setPublishedAtMicros(System.currentTimeMillis() * 1000)).build();
    }

    /** Bytes one delivery puts on a TCP member's socket (the inner frame; goim strips the Raw header on TCP). */
    long deliveryBytes() {
        return 16 + body.size();
    }

    long bytesReceived() {
        return bytes.get();
    }

    CometHarness harness() {
        return harness;
    }

    /** Pushes one single-message room batch and returns once every member has received it. */
    public void pushAndAwaitAll() {
        long expected = bytes.get() + members * deliveryBytes();
        harness.job.broadcastRoom(nextBatch());
        while (bytes.get() < expected) {
            java.util.concurrent.locks.LockSupport.parkNanos(20_000); // no spinning: the machine has few cores
        }
    }

    @Override
    public void close() throws Exception {
        running.set(false);
        reader.join();
        selector.close();
        harness.close();
    }
}
