package dev.imcluster.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.bench.cli.CompareCommand;
import dev.imcluster.bench.cluster.BrokerChild;
import dev.imcluster.bench.cluster.BrokerMemory;
import dev.imcluster.bench.core.ProcCpu;
import dev.imcluster.bench.core.Markdown;
import dev.imcluster.bench.core.Result;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pieces of the report that do arithmetic or parsing. */
class ReportPartsTest {
    @Test
    void soakStepsBeyondTheOpenFilesLimitBecomeTheLargestThatFits() {
        assertThat(CompareCommand.fitSoak(new int[] {10_000, 50_000}, 20_000)).containsExactly(10_000, 19_000);
        assertThat(CompareCommand.fitSoak(new int[] {10_000, 50_000}, 1_048_576)).containsExactly(10_000, 50_000);
        assertThat(CompareCommand.fitSoak(new int[] {10_000, 50_000}, -1)).containsExactly(10_000, 50_000);
    }

    @Test
    void brokerSettingsBecomeNestedYamlWithFlowValuesAsGiven() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("admin.port", "8080");
        settings.put("comet.websocket.enabled", "false");
        settings.put("job.roomBatch.maxDelay", "0ms");
        settings.put("comet.tcp.port", "3101");
        settings.put("delivery.history", "[{pattern: \"*\", size: 1000, ttl: 5m}]");
        settings.put("mq.kafka.bootstrapServers", "a:9092,b:9092");
        settings.put("redis.address", "127.0.0.1:6379");
        assertThat(BrokerChild.yaml(settings)).isEqualTo("""
                admin:
                  port: 8080
                comet:
                  websocket:
                    enabled: false
                  tcp:
                    port: 3101
                job:
                  roomBatch:
                    maxDelay: "0ms"
                delivery:
                  history: [{pattern: "*", size: 1000, ttl: 5m}]
                mq:
                  kafka:
                    bootstrapServers: ["a:9092", "b:9092"]
                redis:
                  address: "127.0.0.1:6379"
                """);
    }

    @Test
    void serverCpuOfSeveralProcessesIsUnknownWhenOneIsUnknown() {
        long self = ProcessHandle.current().pid();
        assertThat(ProcCpu.seconds(new long[] {self, -1})).isEqualTo(-1);
        assertThat(ProcCpu.seconds(new long[] {self, self})).isGreaterThan(0);
    }

    @Test
    void prometheusSamplesAreSummedByLabel() {
        String text = """
                # HELP jvm_memory_used_bytes The amount of used memory
                jvm_memory_used_bytes{area="heap",id="PS Eden Space",role="standalone"} 1000.0
                jvm_memory_used_bytes{area="heap",id="PS Old Gen",role="standalone"} 2.5E3
                jvm_memory_used_bytes{area="nonheap",id="Metaspace",role="standalone"} 400.0
                jvm_memory_used_bytes_other{area="heap"} 99
                imcluster_comet_connections{transport="tcp"} 7.0
                imcluster_comet_connections{transport="ws"} 1.0
                """;
        assertThat(BrokerMemory.sum(text, "jvm_memory_used_bytes", "area=\"heap\"")).isEqualTo(3500);
        assertThat(BrokerMemory.sum(text, "jvm_memory_used_bytes", "area=\"nonheap\"")).isEqualTo(400);
        assertThat(BrokerMemory.sum(text, "imcluster_comet_connections", "")).isEqualTo(8);
    }

    @Test
    void resultRowsShowOfferedRateAndRates() {
        Result ours = new Result("room", "imcluster", 1, 10, 1, 100, 0, 10, 100, 1000, 1000, 0, 1, 4, 5, 6, "", 2, 1);
        assertThat(Markdown.results(List.of(ours)))
                .contains("| room | imcluster | 1 | 10 | 1 | 100 | closed loop | 10 | 100 |")
                .contains("| 0 | 0 | 0.20 | 500 | 0.10 |");
        assertThat(ours.deliveriesPerServerCpuSecond()).isEqualTo(500);
        assertThat(ours.serverCores()).isEqualTo(0.2);
        assertThat(ours.benchCores()).isEqualTo(0.1);
    }
}
