package org.mflowhpc.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks an output directory option ({@code --out}) before anything is written. Refused, each with one line naming
 * the option, the path and the reason: an empty name (it would mean the current directory), the file-system root,
 * an existing path that is not a directory, an existing directory that is not writable, and a path whose nearest
 * existing ancestor is not a directory or not writable (so it cannot be created). Returns the path unchanged.
 * Commands call it first; whether the directory may already hold results is each command's own rule.
 */
final class OutDir {
    private OutDir() {}

    static Path check(Path out, String option) {
        if (out == null || out.toString().isBlank())
            throw new UserError(option + " must name a directory, got an empty string (use " + option + " . for the current directory)");
        Path abs = out.toAbsolutePath().normalize();
        if (abs.getParent() == null)
            throw new UserError(option + " " + out + " is the file-system root; choose a directory below it");
        if (Files.exists(abs)) {
            if (!Files.isDirectory(abs)) throw new UserError(option + " " + out + " exists and is not a directory");
            if (!Files.isWritable(abs)) throw new UserError(option + " " + out + ": the directory is not writable (permission denied)");
            return out;
        }
        Path a = abs.getParent();
        while (a != null && !Files.exists(a)) a = a.getParent();
        if (a == null) throw new UserError(option + " " + out + ": no existing parent directory");
        if (!Files.isDirectory(a)) throw new UserError(option + " " + out + " cannot be created: " + a + " is not a directory");
        if (!Files.isWritable(a)) throw new UserError(option + " " + out + " cannot be created: " + a + " is not writable (permission denied)");
        return out;
    }
}
