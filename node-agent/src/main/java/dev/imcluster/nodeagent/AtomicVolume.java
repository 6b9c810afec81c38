package dev.imcluster.nodeagent;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The files of a ConfigMap or Secret volume, laid out as the kubelet does so that a reader never sees half an
 * update (a certificate beside the previous key): the files live in a directory {@code ..<stamp>}, the symlink
 * {@code ..data} names the current one, and each top-level name is a symlink through {@code ..data}. An update
 * writes a new directory and renames a new {@code ..data} link over the old one, one atomic step.
 */
final class AtomicVolume {
    static final String DATA = "..data";

    private AtomicVolume() {
    }

    /** Replaces whatever {@code dir} holds with {@code files} (a pod's process starting). */
    static void reset(Path dir, Map<String, byte[]> files) throws IOException {
        deleteTree(dir);
        Files.createDirectories(dir);
        publish(dir, files);
    }

    /** Publishes {@code files} when they differ from what {@code dir} holds; true when they did. */
    static boolean publish(Path dir, Map<String, byte[]> files) throws IOException {
        if (holds(dir, files)) {
            return false;
        }
        Path version = Files.createTempDirectory(dir, "..");
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Path file = version.resolve(f.getKey());
            Files.createDirectories(file.getParent());
            Files.write(file, f.getValue());
        }
        Path previous = Files.isSymbolicLink(dir.resolve(DATA)) ? dir.resolve(Files.readSymbolicLink(dir.resolve(DATA)))
                : null;
        Path link = dir.resolve(DATA + "_tmp");
        Files.deleteIfExists(link);
        Files.createSymbolicLink(link, version.getFileName());
        Files.move(link, dir.resolve(DATA), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Set<String> names = new HashSet<>();
        for (String key : files.keySet()) {
            String top = key.split("/", 2)[0];
            names.add(top);
            try {
                Files.createSymbolicLink(dir.resolve(top), Path.of(DATA, top));
            } catch (FileAlreadyExistsException e) {
                // already a link through ..data
            }
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (!name.startsWith("..") && !names.contains(name)) {
                    Files.delete(p); // a key that is gone
                }
            }
        }
        if (previous != null) {
            deleteTree(previous);
        }
        return true;
    }

    /** Whether the current version of {@code dir} holds exactly {@code files}. */
    private static boolean holds(Path dir, Map<String, byte[]> files) throws IOException {
        Path data = dir.resolve(DATA);
        if (!Files.isDirectory(data)) {
            return false;
        }
        Set<String> present = new HashSet<>();
        Path root = data.toRealPath();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(Files::isRegularFile).forEach(p -> present.add(root.relativize(p).toString()));
        }
        if (!present.equals(files.keySet())) {
            return false;
        }
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            if (!Arrays.equals(Files.readAllBytes(data.resolve(f.getKey())), f.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) { // does not follow links
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.delete(p);
                } catch (NoSuchFileException e) {
                    // gone meanwhile
                }
            }
        }
    }
}
