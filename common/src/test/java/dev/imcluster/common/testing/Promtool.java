package dev.imcluster.common.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Runs Prometheus' {@code promtool check metrics} on an exposition, when promtool is on the PATH. */
public final class Promtool {
    private Promtool() {
    }

    public static boolean available() {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "promtool"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Skips the calling test, saying why, when promtool is not installed; in CI ({@code CI=true}) fails instead, so
     * that a machine without it can never pass the lint by skipping it.
     */
    public static void assumeAvailable() {
        RequiredTools.require(available(), "promtool is not on the PATH (install it with: sudo apt-get install "
                + "prometheus)");
    }

    /** promtool's complaints about {@code exposition}; empty when it is clean. */
    public static String checkMetrics(String exposition) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(exposition.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("promtool did not finish within 60 s");
        }
        // Clean means no output at all (promtool prints one line per problem) and status 0.
        return p.exitValue() == 0 && out.isBlank() ? "" : "promtool exited " + p.exitValue() + ": " + out;
    }
}
