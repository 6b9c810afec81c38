package dev.imcluster.broker.bench;

import dev.imcluster.broker.protocol.Frame;
import dev.imcluster.broker.protocol.FrameCodec;
import dev.imcluster.broker.protocol.Op;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * goim frame encode and decode on pooled direct buffers, as comet does them: encoding one frame, encoding a
 * Raw batch of 20 room messages (done once per BroadcastRoom), and decoding a stream of 100 frames.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FrameCodecBench {
    private static final PooledByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    @Param({"64", "1024"})
    int bodySize;

    private ByteBuf body;
    private ByteBuf stream;

    @Setup(Level.Trial)
    public void setup() {
        body = ALLOC.directBuffer(bodySize).writeZero(bodySize);
        stream = ALLOC.directBuffer();
        for (int i = 0; i < 100; i++) {
            FrameCodec.writeFrame(stream, 1, Op.SEND_MSG, i, body);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        body.release();
        stream.release();
    }

    @Benchmark
    public int encodeFrame() {
        ByteBuf f = FrameCodec.encode(ALLOC, 1, 1000, 7, body);
        int n = f.readableBytes();
        f.release();
        return n;
    }

    /** The Raw batch comet builds once per BroadcastRoom call (20 messages, job's default batch). */
    @Benchmark
    public int encodeRawBatchOf20() {
        int len = 20 * (FrameCodec.HEADER_SIZE + bodySize);
        ByteBuf raw = ALLOC.directBuffer(FrameCodec.HEADER_SIZE + len);
        FrameCodec.writeHeader(raw, len, 1, Op.RAW, 0);
        for (int i = 0; i < 20; i++) {
            FrameCodec.writeFrame(raw, 1, 1000, 0, body);
        }
        int n = raw.readableBytes();
        raw.release();
        return n;
    }

    /** Decodes 100 frames from one buffer (ops/us x 100 = frames/us). */
    @Benchmark
    public void decode100Frames(Blackhole bh) {
        stream.readerIndex(0);
        Frame f;
        while ((f = FrameCodec.decode(stream, 4096)) != null) {
            bh.consume(f.op());
            f.release();
        }
    }
}
