package dev.imcluster.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.bench.cli.Commands;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Bad input stops the bench at once with a message naming the option, and exit code 2. */
class CommandLineTest {
    static int run(StringWriter err, String... args) {
        CommandLine cl = Commands.commandLine();
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    /**
     * The started broker's default JVM flags are what users get: the operator's JAVA_TOOL_OPTIONS (read from its
     * source, so a change there fails here) in a container of the production example's comet memory limit.
     */
    @Test
    void theBrokerGetsTheOperatorsJvmFlagsInTheProductionExamplesContainer() throws Exception {
        String model = Files.readString(
                Path.of("../operator/src/main/java/dev/imcluster/operator/model/DeploymentModel.java"));
        Matcher operatorFlags = Pattern.compile("JVM_OPTIONS_ENV\\)\\s*\\.withValue\\(\"([^\"]+)\"\\)").matcher(model);
        assertThat(operatorFlags.find()).as("the operator's JVM flags in DeploymentModel").isTrue();
        String production = Files.readString(Path.of("../examples/production.yaml"));
        assertThat(production).as("comet's memory limit in examples/production.yaml").contains("limits: {memory: 4Gi}");

        StringWriter out = new StringWriter();
        CommandLine cl = Commands.commandLine();
        cl.setOut(new PrintWriter(out, true));
        assertThat(cl.execute("room", "--help")).isZero();
        assertThat(out.toString().replaceAll("\\s+", " "))
                .contains("-XX:MaxRAM=4g " + operatorFlags.group(1));
    }

    @Test
    void tooSmallMessageSizeIsRefused() {
        StringWriter err = new StringWriter();
        assertThat(run(err, "room", "--size", "3")).isEqualTo(2);
        assertThat(err.toString()).contains("--size must be at least 9");
    }

    @Test
    void unknownOptionIsRefused() {
        StringWriter err = new StringWriter();
        assertThat(run(err, "room", "--bogus")).isEqualTo(2);
        assertThat(err.toString()).contains("--bogus");
    }

    @Test
    void unknownOnlyRowsAreRefused() {
        StringWriter err = new StringWriter();
        assertThat(run(err, "compare", "--only", "bogus")).isEqualTo(2);
        assertThat(err.toString()).contains("--only").contains("history");
    }

    @Test
    void badSoakStepsAreRefusedAndEmptyMeansNone() {
        StringWriter err = new StringWriter();
        assertThat(run(err, "compare", "--soak", "abc")).isEqualTo(2);
        assertThat(err.toString()).contains("--soak").contains("'abc'");
        assertThat(dev.imcluster.bench.cli.CompareCommand.soakSteps("")).isEmpty();
        assertThat(dev.imcluster.bench.cli.CompareCommand.soakSteps("none")).isEmpty();
        assertThat(dev.imcluster.bench.cli.CompareCommand.soakSteps("10000, 50000")).containsExactly(10_000, 50_000);
    }
}
