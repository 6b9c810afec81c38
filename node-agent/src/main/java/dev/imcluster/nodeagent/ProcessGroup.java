package dev.imcluster.nodeagent;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A container's process, started in a session (and process group) of its own, so that a stop signals everything
 * it started and the agent's own signals do not reach it.
 */
final class ProcessGroup {
    private final Process process;

    private ProcessGroup(Process process) {
        this.process = process;
    }

    /** Runs cmd in dir with exactly env; stdout and stderr appended to log, stdin empty. */
    static ProcessGroup start(List<String> cmd, Map<String, String> env, Path dir, Path log) throws IOException {
        List<String> full = new ArrayList<>();
        // setsid execs the command in place (Java's child is no group leader), so the pid is the group's id.
        full.add("setsid");
        full.addAll(cmd);
        ProcessBuilder pb = new ProcessBuilder(full).directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(env);
        return new ProcessGroup(pb.start());
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** The exit code, or null while it runs. */
    Integer exitCode() {
        return process.isAlive() ? null : process.exitValue();
    }

    /** True when it exited within the timeout. */
    boolean waitFor(long millis) throws InterruptedException {
        return process.waitFor(millis, TimeUnit.MILLISECONDS);
    }

    int waitFor() throws InterruptedException {
        return process.waitFor();
    }

    /** Sends a signal (TERM, KILL) to the whole group. */
    void signal(String signal) {
        try {
            new ProcessBuilder("kill", "-" + signal, "--", "-" + process.pid())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
