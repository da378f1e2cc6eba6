package org.mflowhpc.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A malformed ensemble input: not HDF5, truncated, a missing or mistyped dataset or attribute, a wrong shape, a
 * NaN, a checksum mismatch, a manifest that disagrees with the files, shards of different theories mixed together.
 *
 * <p>Contract: {@link #getMessage()} is exactly one line, {@code "<file>: <problem>"}, naming the offending file;
 * any line breaks in the problem text (e.g. from a wrapped library exception) are replaced by spaces.
 */
public final class EnsembleFormatException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;
    private final String problem;

    public EnsembleFormatException(Path file, String problem) {
        this(file, problem, null);
    }

    public EnsembleFormatException(Path file, String problem, Throwable cause) {
        super(oneLine(String.valueOf(file) + ": " + problem), cause);
        this.file = file;
        this.problem = oneLine(problem);
    }

    /** The offending file (a shard, manifest.json or a directory). */
    public Path file() { return file; }

    /** The problem, without the file name. */
    public String problem() { return problem; }

    static String oneLine(String s) {
        if (s == null) return "";
        return s.replaceAll("[\\r\\n\\t]+", " ").trim();
    }
}
