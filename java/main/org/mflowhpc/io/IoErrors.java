package org.mflowhpc.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/**
 * One-line descriptions of I/O failures for users. Java's file-system exceptions carry only the path as their
 * message ({@code AccessDeniedException: /x}), and a full disk is a bare {@code IOException("No space left on
 * device")} without a path; these helpers turn both into "{@code <path>: <what happened>}".
 * <ul>
 *   <li>{@link #describe} walks the cause chain: a full disk or exceeded quota anywhere in it wins ("disk full: no
 *       space left on device"), otherwise the reason of the outermost {@link FileSystemException} (permission
 *       denied, no such file or directory, not a directory, already exists, ...), otherwise the first message;
 *   <li>{@link #at} attaches the file being written to an exception that lacks it (writers call it, so that a
 *       full disk names the file).
 * </ul>
 */
public final class IoErrors {
    private IoErrors() {}

    /** True if the failure (or a cause) is ENOSPC or EDQUOT. */
    public static boolean diskFull(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded") || m.contains("disk full"))) return true;
            if (t.getCause() == t) break;
        }
        return false;
    }

    /** One line: "path: reason" where a path is known. */
    public static String describe(Throwable e) {
        if (diskFull(e)) {
            Path p = pathIn(e);
            String quota = messages(e).contains("Disk quota exceeded") ? "disk quota exceeded" : "no space left on device";
            return (p != null ? p + ": " : "") + "disk full (" + quota + "); files already published are intact, the unfinished one was removed";
        }
        if (e instanceof FileSystemException fse) {
            String what;
            if (e instanceof AccessDeniedException) what = "permission denied";
            else if (e instanceof NoSuchFileException) what = "no such file or directory";
            else if (e instanceof NotDirectoryException) what = "not a directory";
            else if (e instanceof DirectoryNotEmptyException) what = "directory not empty";
            else if (e instanceof FileAlreadyExistsException) what = "already exists";
            else what = null;
            String reason = fse.getReason();
            String file = fse.getFile();
            StringBuilder sb = new StringBuilder();
            if (file != null) sb.append(file);
            if (fse.getOtherFile() != null) sb.append(" -> ").append(fse.getOtherFile());
            if (what != null) sb.append(sb.length() > 0 ? ": " : "").append(what);
            if (reason != null && !reason.isBlank()) sb.append(sb.length() > 0 ? (what != null ? " (" : ": ") : "").append(reason).append(what != null ? ")" : "");
            if (sb.length() == 0) sb.append(e.getClass().getSimpleName());
            return EnsembleFormatException.oneLine(sb.toString());
        }
        String m = e.getMessage();
        if (m == null || m.isBlank()) m = e.getClass().getSimpleName();
        return EnsembleFormatException.oneLine(m);
    }

    /** An IOException about {@code file}: {@code e} itself if its message already names the file, else a wrapper. */
    public static IOException at(Path file, IOException e) {
        if (file == null) return e;
        String m = e.getMessage();
        if (e instanceof FileSystemException fse && fse.getFile() != null) return e;
        if (m != null && m.contains(file.toString())) return e;
        return new AtFile(file, e);
    }

    /** An I/O failure while writing a known file. */
    static final class AtFile extends IOException {
        private static final long serialVersionUID = 1L;
        final transient Path file;
        AtFile(Path file, IOException cause) {
            super(file + ": " + describe(cause), cause);
            this.file = file;
        }
    }

    private static Path pathIn(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof AtFile a) return a.file;
            if (t instanceof FileSystemException fse && fse.getFile() != null) return Path.of(fse.getFile());
            if (t.getCause() == t) break;
        }
        return null;
    }

    private static String messages(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t.getMessage()).append('\n');
            if (t.getCause() == t) break;
        }
        return sb.toString();
    }
}
