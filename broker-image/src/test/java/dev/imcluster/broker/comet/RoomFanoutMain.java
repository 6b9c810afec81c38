package dev.imcluster.broker.comet;

import com.google.protobuf.ByteString;
import dev.imcluster.broker.api.internal.BroadcastRoomReply;
import dev.imcluster.broker.api.internal.BroadcastRoomReq;
import dev.imcluster.broker.api.internal.CometGrpc;
import dev.imcluster.broker.api.internal.RoomMessage;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Room fan-out throughput over real loopback TCP: M goim clients in one room (read by one NIO thread that
 * counts bytes), and a publisher pushing single-message room batches through job's BroadcastRoom with up to
 * 32 calls in flight. Prints deliveries per second. Not a test; run by hand:
 *
 * <pre>java -cp target/test-classes:target/classes:$CP dev.imcluster.broker.comet.RoomFanoutMain 1000 64 10</pre>
 */
public final class RoomFanoutMain {
    public static void main(String[] args) throws Exception {
        int members = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        try (CometHarness h = new CometHarness(c -> c.comet.protocol.sendQueueSize = 4096)) {
            String room = "live://fanout";
            Selector selector = Selector.open();
            for (int i = 0; i < members; i++) {
                SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", h.comet.tcpPort()));
                byte[] auth = CometHarness.auth(i, "fan-" + i, room, 1000).getBytes(StandardCharsets.UTF_8);
                ch.write(ByteBuffer.wrap(GoimClient.frame(1, 7, 1, auth)));
                ByteBuffer reply = ByteBuffer.allocate(16);
                while (reply.hasRemaining()) {
                    ch.read(reply);
                }
                ch.configureBlocking(false);
                ch.register(selector, SelectionKey.OP_READ);
            }
            AtomicLong bytes = new AtomicLong();
            AtomicBoolean running = new AtomicBoolean(true);
            Thread reader = new Thread(() -> {
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
                } catch (Exception e) {
                    e.printStackTrace();
                }
            }, "fanout-reader");
            reader.start();

            CometGrpc.CometStub job = CometGrpc.newStub(h.internal);
            ByteString body = ByteString.copyFrom(new byte[size]);
            Semaphore inFlight = new Semaphore(32);
            AtomicLong batches = new AtomicLong();
            long frameBytes = 16 + size; // TCP clients receive the inner frame only
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            long start = System.nanoTime();
            long startBytes = bytes.get();
            while (System.nanoTime() < end) {
                inFlight.acquire();
                BroadcastRoomReq req = BroadcastRoomReq.newBuilder().setRoomId(room).addMessages(RoomMessage
                        .newBuilder().setMsgId(Long.toString(batches.incrementAndGet())).setOperation(1000)
                        .setBody(body).setPublishedAtMicros(System.currentTimeMillis() * 1000)).build();
                job.broadcastRoom(req, new StreamObserver<>() {
                    @Override
                    public void onNext(BroadcastRoomReply value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        inFlight.release();
                    }

                    @Override
                    public void onCompleted() {
                        inFlight.release();
                    }
                });
            }
            inFlight.acquire(32);
            double elapsed = (System.nanoTime() - start) / 1e9;
            long delivered = (bytes.get() - startBytes) / frameBytes;
            running.set(false);
            reader.join();
            System.out.printf("%d members, %d-byte messages: %d room pushes, %.0f deliveries/s (%.0f pushes/s),"
                            + " slow-consumer disconnects %.0f%n",
                    members, size, batches.get(), delivered / elapsed, batches.get() / elapsed,
                    h.counter("imcluster.comet.disconnects", "reason", "slow_consumer"));
            var latency = h.meters.find("imcluster.comet.delivery.latency").timer().takeSnapshot();
            System.out.println("publish-to-comet latency: " + latency);
        }
    }
}
