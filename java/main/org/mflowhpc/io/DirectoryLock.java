package org.mflowhpc.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive advisory lock on a file in a run directory (e.g. {@code .train.lock}), held by the process that
 * writes the directory for as long as it runs, so that a second writer (another process, a requeued SLURM job
 * whose predecessor still runs, or another thread of this JVM) is refused with one line instead of interleaving its
 * files. The lock is an OS file lock ({@link FileChannel#tryLock}): it is released when the holder closes it or
 * dies (also on SIGKILL), so a stale lock file never blocks a later run. The lock file itself is empty and left in
 * place. On file systems without lock support the lock is skipped and {@link #supported()} is false.
 */
public final class DirectoryLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(FileChannel channel, FileLock lock) { this.channel = channel; this.lock = lock; }

    /**
     * Locks {@code dir/name} (the directory is created if missing).
     *
     * @param holder what holds the lock, for the message ("train run", "ensemble writer")
     * @throws IOException "{@code <dir>: another <holder> is active in this directory (<name> is locked)}" if held
     */
    public static DirectoryLock acquire(Path dir, String name, String holder) throws IOException {
        Files.createDirectories(dir);
        FileChannel ch = FileChannel.open(dir.resolve(name), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        } catch (IOException e) { // no lock support on this file system
            return new DirectoryLock(ch, null);
        }
        if (l == null) {
            ch.close();
            throw new IOException(dir + ": another " + holder + " is active in this directory (" + name + " is locked by a running process)");
        }
        return new DirectoryLock(ch, l);
    }

    /** False if the file system did not support locking (then concurrent writers are not detected). */
    public boolean supported() { return lock != null; }

    @Override public void close() {
        try {
            if (lock != null && lock.isValid()) lock.release();
            channel.close();
        } catch (IOException e) {
            // closing the channel releases the lock in any case
        }
    }
}
