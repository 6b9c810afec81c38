package dev.imcluster.nodeagent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class OptionsTest {
    @Test
    void defaultsAndOverrides() {
        Options o = Options.parse(new String[] {"--state", "/s", "--broker-jar", "/b.jar"}, "/k");
        assertThat(o.kubeconfig()).isEqualTo(Path.of("/k"));
        assertThat(o.nodeName()).isEqualTo("imcluster-local-node");
        assertThat(o.ipBase()).isEqualTo("127.0.0.");
        assertThat(o.jvmOpts()).containsExactly("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

        o = Options.parse(new String[] {"--kubeconfig", "/k2", "--state", "/s", "--broker-jar", "/b.jar",
            "--ip-base", "127.247.0.", "--node-name", "n", "--jvm-opts", " -Xmx1g "}, null);
        assertThat(o.kubeconfig()).isEqualTo(Path.of("/k2"));
        assertThat(o.ipBase()).isEqualTo("127.247.0.");
        assertThat(o.jvmOpts()).isEqualTo(List.of("-Xmx1g"));
    }

    @Test
    void badCommandLinesAreRefusedClearly() {
        assertThatThrownBy(() -> Options.parse(new String[] {"--state", "/s"}, null))
                .hasMessageContaining("--kubeconfig (or KUBECONFIG), --state and --broker-jar are required");
        assertThatThrownBy(() -> Options.parse(new String[] {"--bogus", "x"}, "/k"))
                .hasMessageContaining("unknown option --bogus");
        assertThatThrownBy(() -> Options.parse(new String[] {"--state"}, "/k")).hasMessageContaining("--state needs a value");
        assertThatThrownBy(() -> Options.parse(new String[] {"--state", "/s", "--broker-jar", "/b", "--ip-base",
            "127.0.0"}, "/k")).hasMessageContaining("--ip-base must be three octets and a dot");
    }
}
