package dev.imcluster.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.imcluster.bench.cli.Commands;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Bad input stops the bench at once with a message naming the option, and exit code 2. */
class CommandLineTest {
    static int run(StringWriter err, String... args) {
        CommandLine cl = Commands.commandLine();
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
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
