package dev.imcluster.broker.comet;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.internal.PlatformDependent;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Measures what an idle, authenticated goim connection costs comet in heap and direct memory (SPEC: at most
 * 10 KB). The clients run in a separate process (Python, from test resources) so only the server is measured.
 * Not a test; run it by hand in broker-image, with $CP the test classpath (from the root: {@code mvn -pl broker-image
 * -am test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt -Dmdep.includeScope=test}):
 *
 * <pre>java -cp target/test-classes:target/classes:$CP dev.imcluster.broker.comet.IdleFootprintMain 5000 tcp</pre>
 * (or {@code ws} for WebSocket).
 */
public final class IdleFootprintMain {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        String transport = args.length > 1 ? args[1] : "tcp";
        try (CometHarness h = new CometHarness(c -> c.comet.onlineReportInterval = Duration.ofSeconds(1))) {
            // Warm up the paths once so class loading and pools do not count as per-connection cost.
            run(h, 200, transport, null);
            long[] before = measure();
            run(h, n, transport, () -> {
                long[] after;
                try {
                    after = measure();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                double heap = (after[0] - before[0]) / (double) n;
                double direct = (after[1] - before[1]) / (double) n;
                System.out.printf("%d idle %s connections: %.0f bytes heap + %.0f bytes direct = %.0f bytes each%n",
                        n, transport, heap, direct, heap + direct);
            });
        }
    }

    private static void run(CometHarness h, int n, String transport, Runnable whileConnected) throws Exception {
        int port = transport.equals("tcp") ? h.comet.tcpPort() : h.comet.websocketPort();
        Path script = Path.of(IdleFootprintMain.class.getResource("/bench/idle_clients.py").toURI());
        Process p = new ProcessBuilder("python3", script.toString(), "127.0.0.1", String.valueOf(port),
                String.valueOf(n), transport).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("connected")) {
            throw new IllegalStateException("clients failed: " + line);
        }
        if (whileConnected != null) {
            whileConnected.run();
        }
        p.getOutputStream().close();
        p.waitFor();
        while (h.gauge("imcluster.comet.connections", "transport", transport.equals("tcp") ? "tcp" : "websocket") > 0) {
            Thread.sleep(50);
        }
    }

    /** Heap used after full GCs, and direct memory in use (Netty's pooled arenas and unpooled). */
    private static long[] measure() throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(200);
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long direct = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory() + PlatformDependent.usedDirectMemory();
        return new long[] {heap, direct};
    }
}
