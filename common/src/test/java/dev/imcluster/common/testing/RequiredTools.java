package dev.imcluster.common.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Tests that need a server binary from Debian's packages: they skip, saying why, on a machine without it, and fail
 * in CI ({@code CI=true}), so that a machine without the tool can never pass a test by skipping it.
 */
public final class RequiredTools {
    private RequiredTools() {
    }

    /** Skips the calling test, saying {@code why}, when {@code available} is false; in CI fails instead. */
    public static void require(boolean available, String why) {
        if (!available && "true".equals(System.getenv("CI"))) {
            throw new AssertionError(why);
        }
        assumeTrue(available, why + ": skipping");
    }

    /** {@link #require} that {@code binary} is installed, naming the package that brings it. */
    public static void requireExecutable(Path binary, String debianPackage) {
        require(Files.isExecutable(binary), binary + " is not installed (sudo apt-get install " + debianPackage
                + ", or run hack/test.sh)");
    }
}
