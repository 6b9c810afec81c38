package dev.imcluster.bench.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator-scale pieces that do arithmetic or parsing. */
class OperatorScalePartsTest {
    @Test
    void nearestRankPercentilesOfCreateLatencies() {
        long[] ms = {900, 100, 500, 300, 700};
        OperatorScale.Step s = OperatorScale.step("x", ms, 0, 0, 0, 0);
        assertThat(s.p50Ms()).isEqualTo(500);
        assertThat(s.p99Ms()).isEqualTo(900);
        assertThat(s.maxMs()).isEqualTo(900);
        assertThat(ms[0]).as("the caller's array is not sorted in place").isEqualTo(900);
        assertThat(OperatorScale.percentile(new long[0], 0.5)).isEqualTo(-1);
    }

    @Test
    void portComesFromTheOperatorsStartLineAndIsUnknownBeforeIt(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("operator.log");
        OperatorProcess p = new OperatorProcess(dir.resolve("pid"), log);
        assertThat(p.port()).isEqualTo(-1);
        Files.writeString(log, "{\"formattedMessage\":\"starting imcluster operator: master=https:\\/\\/127.0.0.1:1\\/ "
                + "namespaces=all ssa=true leaderElection=false lease=a\\/b http=40123\"}\n");
        assertThat(p.port()).isEqualTo(40123);
    }

    @Test
    void cpuSecondsOfThisProcessFromProcStat(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("pid"), ProcessHandle.current().pid() + "\n");
        OperatorProcess p = new OperatorProcess(dir.resolve("pid"), dir.resolve("none.log"));
        assertThat(p.cpuSeconds()).isGreaterThan(0);
        assertThat(p.rss()).isGreaterThan(0);
    }
}
