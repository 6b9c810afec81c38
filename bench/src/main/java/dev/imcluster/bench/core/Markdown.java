package dev.imcluster.bench.core;

import java.util.List;
import java.util.Locale;

/** Renders results as Markdown tables. */
public final class Markdown {
    private Markdown() {
    }

    public static String results(List<Result> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("| Scenario | System | P | S | R | M (B) | Target rate (msg/s) | Published/s | Deliveries/s "
                + "| p50 ms | p99 ms | p99.9 ms | max ms | Drops | Errors | Server CPU (cores) "
                + "| Deliveries per server CPU-s | Bench CPU (cores) | Notes |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (Result r : results) {
            sb.append(String.format(Locale.ROOT,
                    "| %s | %s | %d | %d | %d | %d | %s | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %d | %d | %.2f "
                            + "| %.0f | %.2f | %s |\n",
                    r.scenario(), r.system(), r.publishers(), r.subscribers(), r.rooms(), r.size(),
                    r.targetRate() <= 0 ? "closed loop" : String.format(Locale.ROOT, "%.0f", r.targetRate()),
                    r.publishedPerSecond(), r.deliveriesPerSecond(), r.p50Ms(), r.p99Ms(), r.p999Ms(), r.maxMs(),
                    r.drops(), r.errors(), r.serverCores(), r.deliveriesPerServerCpuSecond(), r.benchCores(),
                    r.notes() == null ? "" : r.notes()));
        }
        return sb.toString();
    }
}
