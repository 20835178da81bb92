package dev.moat.gateway.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** An I/O failure as one line for a command's stderr: the file and what is wrong, no stack trace. */
final class FileErrors {

    private FileErrors() {}

    static String describe(IOException e) {
        if (e instanceof NoSuchFileException f) {
            return f.getFile() + ": no such file";
        }
        if (e instanceof AccessDeniedException f) {
            return f.getFile() + ": permission denied";
        }
        if (e instanceof NotDirectoryException f) {
            return f.getFile() + ": not a directory";
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }
}
