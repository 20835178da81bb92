package dev.moat.gateway.evidence;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A directory written beside its final place and renamed into it only when complete, so that an
 * export failing part-way leaves no half-written directory for {@code moat evidence verify} to call
 * altered. Closed without {@link #commit()}, it deletes what it wrote, and the parent directories
 * it had to create, leaving the target as it was.
 */
final class StagedDirectory implements AutoCloseable {

    private final Path target;
    private final Path staging;
    private final Path createdAncestor;
    private boolean committed;

    private StagedDirectory(Path target, Path staging, Path createdAncestor) {
        this.target = target;
        this.staging = staging;
        this.createdAncestor = createdAncestor;
    }

    /**
     * Starts a directory that will become {@code target}: a hidden one in the same parent, so that
     * the final move is a rename.
     *
     * @throws IOException when {@code target} exists and is not an empty directory, or the staging
     *                     directory cannot be created
     */
    static StagedDirectory beside(Path asked) throws IOException {
        // where the OS puts it: a symbolic link to an empty directory, "." or "link/../out" name a place the
        // rename must reach, which the path's text alone does not say (session 42's review: "Not a
        // directory", EBUSY, EXDEV)
        Path target = realPlace(asked);
        if (Files.exists(target)) {
            if (!Files.isDirectory(target)) {
                throw new IOException(asked + " is not a directory (expected: a new or empty directory)");
            }
            try (Stream<Path> s = Files.list(target)) {
                if (s.findAny().isPresent()) {
                    throw new IOException(asked + " is not empty (expected: a new or empty directory)");
                }
            }
        }
        Path parent = target.toAbsolutePath().normalize().getParent();
        if (parent == null) {
            throw new IOException(target + " has no parent directory to write beside it in");
        }
        Path createdAncestor = null;
        for (Path p = parent; p != null && !Files.exists(p); p = p.getParent()) {
            createdAncestor = p;
        }
        Files.createDirectories(parent);
        Path staging = parent.resolve("." + target.getFileName() + ".partial-"
                + ProcessHandle.current().pid() + "-" + System.nanoTime());
        try {
            Files.createDirectory(staging);
        } catch (IOException e) {
            removeCreated(parent, createdAncestor);
            throw e;
        }
        return new StagedDirectory(target, staging, createdAncestor);
    }

    /** The target as the OS resolves it: its real path if it exists, else its parent's real path and its name. */
    private static Path realPlace(Path target) throws IOException {
        if (Files.exists(target)) {
            return target.toRealPath();
        }
        Path absolute = target.toAbsolutePath();
        Path parent = absolute.getParent();
        Path name = absolute.getFileName();
        if (parent == null || name == null || !Files.exists(parent)) {
            return absolute.normalize();
        }
        return parent.toRealPath().resolve(name);
    }

    /** Where to write the files. */
    Path path() {
        return staging;
    }

    /**
     * Renames the written directory to the target; an empty directory there is replaced (POSIX
     * {@code rename}), one that gained files meanwhile fails the move.
     */
    void commit() throws IOException {
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        committed = true;
    }

    /** Deletes the staging directory and the parents created for it, unless committed. */
    @Override
    public void close() throws IOException {
        if (committed) {
            return;
        }
        List<Path> written;
        try (Stream<Path> s = Files.walk(staging)) {
            written = s.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : written) {
            Files.deleteIfExists(p);
        }
        removeCreated(staging.getParent(), createdAncestor);
    }

    /** Removes the now empty directories from {@code dir} up to {@code top}, those this staging created. */
    private static void removeCreated(Path dir, Path top) {
        if (top == null) {
            return;
        }
        for (Path p = dir; p != null && p.startsWith(top); p = p.getParent()) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                return; // not empty: something else writes there now
            }
        }
    }
}
