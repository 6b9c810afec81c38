package dev.imcluster.common.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * Makes the Prometheus exposition pass {@code promtool check metrics}. Call before any meter is bound (filters
 * apply at registration).
 *
 * <ul>
 *   <li>Micrometer's {@code process.cpu.time} (nanoseconds) exports as {@code process_cpu_time_ns_total}, which
 *       promtool rejects (abbreviated unit): it is replaced by {@code process_cpu_seconds_total}, the name the
 *       Prometheus client libraries use.</li>
 *   <li>{@code system.cpu.count} exports as a gauge ending in {@code _count}, a suffix reserved for histograms and
 *       summaries: renamed to {@code system_cpus}.</li>
 *   <li>Meters registered without a description (third-party ones, e.g. JOSDK's) export no HELP line: they get
 *       one naming the meter.</li>
 * </ul>
 */
public final class PrometheusLint {
    static final String CPU_TIME = "process.cpu.time";

    private PrometheusLint() {
    }

    public static void configure(MeterRegistry registry) {
        registry.config()
                .meterFilter(MeterFilter.deny(id -> id.getName().equals(CPU_TIME)))
                .meterFilter(new MeterFilter() {
                    @Override
                    public Meter.Id map(Meter.Id id) {
                        Meter.Id named = id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
                        String help = named.getDescription();
                        return help != null && !help.isBlank() ? named : new Meter.Id(named.getName(),
                                Tags.of(named.getTags()), named.getBaseUnit(),
                                "the " + named.getName() + " meter", named.getType());
                    }
                });
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun && sun.getProcessCpuTime() >= 0) {
            FunctionCounter.builder("process.cpu", sun, b -> b.getProcessCpuTime() / 1e9)
                    .baseUnit("seconds")
                    .description("CPU time used by the process")
                    .register(registry);
        }
    }
}
