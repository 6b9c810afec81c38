package dev.imcluster.nodeagent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PathRewriterTest {
    private final PathRewriter rewriter = new PathRewriter(Map.of("/etc/imcluster", "/s/config", "/data", "/s/data",
            "/var/run/secrets/imcluster/auth", "/s/auth"));

    @Test
    void rewritesWholePathPrefixes() {
        assertThat(rewriter.rewrite("/etc/imcluster/broker.yaml")).isEqualTo("/s/config/broker.yaml");
        assertThat(rewriter.rewrite("/data")).isEqualTo("/s/data");
        assertThat(rewriter.rewrite("--dir=/data")).isEqualTo("--dir=/s/data");
        assertThat(rewriter.rewrite("hs256SecretFile: /var/run/secrets/imcluster/auth/secret\n"))
                .isEqualTo("hs256SecretFile: /s/auth/secret\n");
    }

    @Test
    void leavesOtherPathsAlone() {
        for (String value : new String[] {"/database", "/srv/data", "/etc/imcluster2/x", "data", "http://host/data?x=1"}) {
            assertThat(rewriter.rewrite(value)).isEqualTo(value);
        }
    }

    @Test
    void aReplacedPathIsNotRewrittenAgain() {
        // The state dir under /tmp while the pod mounts an emptyDir at /tmp: one pass, no double rewrite.
        PathRewriter r = new PathRewriter(Map.of("/etc/imcluster", "/tmp/state/pod/volumes/config",
                "/tmp", "/tmp/state/pod/volumes/tmp"));
        assertThat(r.rewrite("/etc/imcluster/broker.yaml")).isEqualTo("/tmp/state/pod/volumes/config/broker.yaml");
        assertThat(r.rewrite("/tmp/x")).isEqualTo("/tmp/state/pod/volumes/tmp/x");
    }

    @Test
    void theLongestMountWinsAndReplacementsAreLiteral() {
        PathRewriter r = new PathRewriter(Map.of("/etc", "/s/etc", "/etc/imcluster", "/s/$1\\config"));
        assertThat(r.rewrite("/etc/imcluster/a /etc/b")).isEqualTo("/s/$1\\config/a /s/etc/b");
    }

    @Test
    void noMountsLeaveTheValue() {
        assertThat(new PathRewriter(Map.of()).rewrite("/data")).isEqualTo("/data");
    }
}
