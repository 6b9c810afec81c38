package dev.imcluster.bench.run;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarizes a JFR recording of the broker as Markdown: the hottest methods (CPU samples, by top frame and by
 * the first imcluster frame on the stack), what is allocated and where, lock contention, and GC pauses.
 */
public final class JfrSummary {
    private static final String OURS = "dev.imcluster.";

    private final java.time.Instant since;
    private final Map<String, Long> topFrames = new HashMap<>();
    private final Map<String, Long> topPackages = new HashMap<>();
    private final Map<String, Long> threads = new HashMap<>();
    private final Map<String, Long> ourFrames = new HashMap<>();
    private final Map<String, Long> allocatedClasses = new HashMap<>();
    private final Map<String, Long> allocationSites = new HashMap<>();
    private final Map<String, Long> contended = new HashMap<>();
    private long samples;
    private long allocatedBytes;
    private long gcCount;
    private Duration gcPause = Duration.ZERO;
    private Duration longestGcPause = Duration.ZERO;

    private JfrSummary(java.time.Instant since) {
        this.since = since;
    }

    /** Summarizes the events recorded from {@code since} on (e.g. after the broker's start and a warmup). */
    public static String summarize(Path recording, int top, java.time.Instant since) throws IOException {
        JfrSummary s = new JfrSummary(since);
        for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
            s.add(e);
        }
        return s.markdown(top);
    }

    private void add(RecordedEvent e) {
        if (e.getStartTime().isBefore(since)) {
            return;
        }
        String type = e.getEventType().getName();
        switch (type) {
            case "jdk.ExecutionSample" -> {
                samples++;
                jdk.jfr.consumer.RecordedThread thread = e.getThread("sampledThread");
                threads.merge(thread == null || thread.getJavaName() == null ? "?"
                        : thread.getJavaName().replaceAll("[0-9]+", "N"), 1L, Long::sum);
                RecordedStackTrace st = e.getStackTrace();
                if (st != null && !st.getFrames().isEmpty()) {
                    topFrames.merge(name(st.getFrames().get(0)), 1L, Long::sum);
                    topPackages.merge(packageOf(st.getFrames().get(0)), 1L, Long::sum);
                    String ours = firstOurs(st.getFrames());
                    ourFrames.merge(ours == null ? "(no imcluster frame: Netty, gRPC, JDK threads)" : ours, 1L,
                            Long::sum);
                }
            }
            case "jdk.ObjectAllocationSample" -> {
                long weight = e.getLong("weight");
                allocatedBytes += weight;
                allocatedClasses.merge(e.getClass("objectClass").getName(), weight, Long::sum);
                RecordedStackTrace st = e.getStackTrace();
                if (st != null) {
                    String ours = firstOurs(st.getFrames());
                    allocationSites.merge(ours == null
                            ? (st.getFrames().isEmpty() ? "?" : name(st.getFrames().get(0)) + " (no imcluster frame)")
                            : ours, weight, Long::sum);
                }
            }
            case "jdk.JavaMonitorEnter" -> contended.merge(e.getClass("monitorClass").getName(), 1L, Long::sum);
            case "jdk.GarbageCollection" -> {
                gcCount++;
                Duration pause = e.getDuration("sumOfPauses");
                gcPause = gcPause.plus(pause);
                if (pause.compareTo(longestGcPause) > 0) {
                    longestGcPause = pause;
                }
            }
            default -> {
            }
        }
    }

    private static String firstOurs(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            if (f.getMethod() != null && f.getMethod().getType().getName().startsWith(OURS)) {
                return name(f);
            }
        }
        return null;
    }

    private static String packageOf(RecordedFrame f) {
        if (f.getMethod() == null) {
            return "?";
        }
        String cls = f.getMethod().getType().getName();
        int dot = cls.lastIndexOf('.');
        return dot < 0 ? "(default)" : cls.substring(0, dot);
    }

    private static String name(RecordedFrame f) {
        if (f.getMethod() == null) {
            return "?";
        }
        String cls = f.getMethod().getType().getName();
        return cls.substring(cls.lastIndexOf('.') + 1) + "." + f.getMethod().getName();
    }

    private String markdown(int top) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "CPU samples: %d; sampled allocation: %.1f MB; GCs: %d, total pause "
                + "%d ms, longest %d ms; contended monitor enters: %d.%n%n", samples, allocatedBytes / 1e6, gcCount,
                gcPause.toMillis(), longestGcPause.toMillis(), contended.values().stream().mapToLong(x -> x).sum()));
        table(sb, "CPU by thread (digits as N)", "CPU samples", threads, samples, top);
        table(sb, "CPU by package of the top frame", "CPU samples", topPackages, samples, top);
        table(sb, "Hottest methods (top frame)", "CPU samples", topFrames, samples, top);
        table(sb, "CPU by first imcluster frame on the stack", "CPU samples", ourFrames, samples, top);
        table(sb, "Allocated classes (sampled bytes)", "bytes", allocatedClasses, allocatedBytes, top);
        table(sb, "Allocation by first imcluster frame", "bytes", allocationSites, allocatedBytes, top);
        if (!contended.isEmpty()) {
            table(sb, "Contended monitors (class)", "events", contended,
                    contended.values().stream().mapToLong(x -> x).sum(), top);
        }
        return sb.toString();
    }

    private static void table(StringBuilder sb, String title, String unit, Map<String, Long> counts, long total,
                              int top) {
        sb.append("| ").append(title).append(" | ").append(unit).append(" | share |\n|---|---:|---:|\n");
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
                .forEach(en -> sb.append(String.format(Locale.ROOT, "| `%s` | %d | %.1f%% |%n", en.getKey(),
                        en.getValue(), total == 0 ? 0 : 100.0 * en.getValue() / total)));
        sb.append('\n');
    }

    public static void main(String[] args) throws IOException {
        System.out.print(summarize(Path.of(args[0]), args.length > 1 ? Integer.parseInt(args[1]) : 15,
                java.time.Instant.EPOCH));
    }
}
