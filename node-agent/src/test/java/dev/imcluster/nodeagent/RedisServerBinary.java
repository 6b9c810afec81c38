package dev.imcluster.nodeagent;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Debian's redis-server, which the tests that run a real pod process need. */
final class RedisServerBinary {
    private RedisServerBinary() {
    }

    /**
     * Skips the calling test, saying why, when redis-server is not installed; in CI ({@code CI=true}) fails instead,
     * so that a machine without it can never pass by skipping.
     */
    static void assumeInstalled() {
        boolean installed = Files.isExecutable(Path.of("/usr/bin/redis-server"));
        String why = "redis-server is not installed (sudo apt-get install redis-server)";
        if (!installed && "true".equals(System.getenv("CI"))) {
            throw new AssertionError(why);
        }
        assumeTrue(installed, why + ": skipping");
    }
}
