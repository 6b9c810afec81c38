package dev.imcluster.bench.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's CPU time from {@code /proc/<pid>/stat}: utime + stime (fields 14 and 15), which cover all of its
 * threads, in clock ticks of {@code getconf CLK_TCK}. Children's times (cutime, cstime) are not included.
 */
public final class ProcCpu {
    private static volatile long ticks;

    private ProcCpu() {
    }

    /** CPU seconds the process has used so far, or -1 when it is not on this machine (or unreadable). */
    public static double seconds(long pid) {
        if (pid <= 0) {
            return -1;
        }
        try {
            return parse(Files.readString(Path.of("/proc", String.valueOf(pid), "stat")), ticksPerSecond());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** CPU seconds the processes have used so far together, or -1 when one of them is unknown. */
    public static double seconds(long[] pids) {
        double sum = 0;
        for (long pid : pids) {
            double s = seconds(pid);
            if (s < 0) {
                return -1;
            }
            sum += s;
        }
        return pids.length == 0 ? -1 : sum;
    }

    /** This JVM's CPU seconds so far (the bench's own cost). */
    public static double self() {
        return seconds(ProcessHandle.current().pid());
    }

    /**
     * utime + stime of one {@code /proc/<pid>/stat} line in seconds. The command name (field 2) is in parentheses
     * and may hold spaces and parentheses itself, so fields are counted from the last ')'.
     */
    public static double parse(String stat, long ticksPerSecond) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        // f[0] is field 3 (state), so field n is f[n - 3].
        return (Long.parseLong(f[14 - 3]) + Long.parseLong(f[15 - 3])) / (double) ticksPerSecond;
    }

    static long ticksPerSecond() {
        if (ticks == 0) {
            long t = 100; // USER_HZ on Linux unless getconf says otherwise
            try {
                Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes()).trim();
                if (p.waitFor() == 0 && out.matches("[0-9]+")) {
                    t = Long.parseLong(out);
                }
            } catch (IOException e) {
                // keep the default
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ticks = t;
        }
        return ticks;
    }
}
