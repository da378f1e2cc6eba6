package org.mflowhpc.io;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.spi.FileSystemProvider;
import java.util.Map;
import java.util.Set;

/**
 * Package-private performance shim for jhdf 0.13's writer, which issues one unbuffered FileChannel.write per
 * innermost array row (one syscall per link: 8 bytes for U(1), 144 for SU(3)). Handing jhdf
 * {@code BufferedWritePath.of(realPath)} instead of the real path makes {@code FileChannel.open} (which dispatches to
 * {@code path.getFileSystem().provider()}) return a {@link FileChannel} that coalesces consecutive relative writes
 * into a 4 MiB buffer over the real file's channel. Semantics seen by the caller are those of the real channel:
 * absolute writes, reads, size, truncate, force, map and close flush the buffer first. Only the operations jhdf
 * needs are supported on the path and its file system; everything else throws UnsupportedOperationException.
 * Correctness is covered by the shard round-trip tests (bit-exact read back, h5py and h5dump).
 */
final class BufferedWritePath implements Path {
    private static final int BUFFER = 4 << 20;
    private final Path real;
    private final Fs fs;

    private BufferedWritePath(Path real, Fs fs) { this.real = real; this.fs = fs; }

    static BufferedWritePath of(Path real) { return new BufferedWritePath(real.toAbsolutePath(), new Fs(real.getFileSystem())); }

    /**
     * Closes every channel opened through this path that is still open (the real file's channel included). A writer
     * that fails half-way (e.g. on a full disk) may not close its channel; the caller calls this in a finally block
     * so that no descriptor of the (then deleted) temporary file stays open.
     */
    void closeChannels() {
        for (FileChannel c : fs.provider.opened) {
            try { c.close(); } catch (IOException ignored) { /* the original failure is what the caller reports */ }
        }
        fs.provider.opened.clear();
    }

    @Override public FileSystem getFileSystem() { return fs; }
    @Override public boolean isAbsolute() { return true; }
    @Override public Path getRoot() { return real.getRoot(); }
    @Override public Path getFileName() { return real.getFileName(); }
    @Override public Path getParent() { return real.getParent(); }
    @Override public int getNameCount() { return real.getNameCount(); }
    @Override public Path getName(int index) { return real.getName(index); }
    @Override public Path subpath(int beginIndex, int endIndex) { return real.subpath(beginIndex, endIndex); }
    @Override public boolean startsWith(Path other) { return real.startsWith(unwrap(other)); }
    @Override public boolean endsWith(Path other) { return real.endsWith(unwrap(other)); }
    @Override public Path normalize() { return this; }
    @Override public Path resolve(Path other) { return real.resolve(unwrap(other)); }
    @Override public Path relativize(Path other) { return real.relativize(unwrap(other)); }
    @Override public URI toUri() { return real.toUri(); }
    @Override public Path toAbsolutePath() { return this; }
    @Override public Path toRealPath(LinkOption... options) throws IOException { return real.toRealPath(options); }
    @Override public File toFile() { return real.toFile(); }
    @Override public WatchKey register(WatchService w, WatchEvent.Kind<?>[] e, WatchEvent.Modifier... m) { throw new UnsupportedOperationException(); }
    @Override public int compareTo(Path other) { return real.compareTo(unwrap(other)); }
    @Override public boolean equals(Object o) { return o instanceof BufferedWritePath b && b.real.equals(real); }
    @Override public int hashCode() { return real.hashCode(); }
    @Override public String toString() { return real.toString(); }

    private static Path unwrap(Path p) { return p instanceof BufferedWritePath b ? b.real : p; }

    private static final class Fs extends FileSystem {
        private final FileSystem realFs;
        private final Provider provider = new Provider(this);
        Fs(FileSystem realFs) { this.realFs = realFs; }
        @Override public FileSystemProvider provider() { return provider; }
        @Override public void close() { throw new UnsupportedOperationException(); }
        @Override public boolean isOpen() { return true; }
        @Override public boolean isReadOnly() { return false; }
        @Override public String getSeparator() { return realFs.getSeparator(); }
        @Override public Iterable<Path> getRootDirectories() { return realFs.getRootDirectories(); }
        @Override public Iterable<FileStore> getFileStores() { return realFs.getFileStores(); }
        @Override public Set<String> supportedFileAttributeViews() { return realFs.supportedFileAttributeViews(); }
        @Override public Path getPath(String first, String... more) { return realFs.getPath(first, more); }
        @Override public PathMatcher getPathMatcher(String syntaxAndPattern) { return realFs.getPathMatcher(syntaxAndPattern); }
        @Override public UserPrincipalLookupService getUserPrincipalLookupService() { return realFs.getUserPrincipalLookupService(); }
        @Override public WatchService newWatchService() { throw new UnsupportedOperationException(); }
    }

    private static final class Provider extends FileSystemProvider {
        private final Fs fs;
        Provider(Fs fs) { this.fs = fs; }

        final java.util.List<FileChannel> opened = new java.util.ArrayList<>();

        @Override
        public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
            FileChannel real = FileChannel.open(unwrap(path), options, attrs);
            Channel c = new Channel(real);
            opened.add(real);
            opened.add(c);
            return c;
        }

        @Override
        public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
            return newFileChannel(path, options, attrs);
        }

        @Override public String getScheme() { return "mflow-buffered"; }
        @Override public FileSystem newFileSystem(URI uri, Map<String, ?> env) { throw new UnsupportedOperationException(); }
        @Override public FileSystem getFileSystem(URI uri) { return fs; }
        @Override public Path getPath(URI uri) { throw new UnsupportedOperationException(); }
        @Override public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter) { throw new UnsupportedOperationException(); }
        @Override public void createDirectory(Path dir, FileAttribute<?>... attrs) { throw new UnsupportedOperationException(); }
        @Override public void delete(Path path) { throw new UnsupportedOperationException(); }
        @Override public void copy(Path source, Path target, CopyOption... options) { throw new UnsupportedOperationException(); }
        @Override public void move(Path source, Path target, CopyOption... options) { throw new UnsupportedOperationException(); }
        @Override public boolean isSameFile(Path path, Path path2) { return unwrap(path).equals(unwrap(path2)); }
        @Override public boolean isHidden(Path path) { throw new UnsupportedOperationException(); }
        @Override public FileStore getFileStore(Path path) { throw new UnsupportedOperationException(); }
        @Override public void checkAccess(Path path, AccessMode... modes) { throw new UnsupportedOperationException(); }
        @Override public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) { throw new UnsupportedOperationException(); }
        @Override public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options) { throw new UnsupportedOperationException(); }
        @Override public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options) { throw new UnsupportedOperationException(); }
        @Override public void setAttribute(Path path, String attribute, Object value, LinkOption... options) { throw new UnsupportedOperationException(); }
    }

    /** Write-coalescing FileChannel: pending bytes [bufStart, bufStart + bufLen) not yet written to {@code ch}. */
    private static final class Channel extends FileChannel {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(BUFFER);
        private long bufStart;
        private long pos;

        Channel(FileChannel ch) { this.ch = ch; }

        private void flushBuffer() throws IOException {
            if (buf.position() == 0) return;
            buf.flip();
            long at = bufStart;
            while (buf.hasRemaining()) at += ch.write(buf, at);
            buf.clear();
        }

        @Override public int write(ByteBuffer src) throws IOException {
            int n = src.remaining();
            if (buf.position() > 0 && bufStart + buf.position() != pos) flushBuffer();
            if (buf.position() == 0) bufStart = pos;
            if (n <= buf.remaining()) { // the common case: a small row appended to the buffer
                buf.put(src);
            } else if (n >= BUFFER) { // large write: straight through
                flushBuffer();
                long at = pos;
                while (src.hasRemaining()) at += ch.write(src, at);
            } else {
                while (src.hasRemaining()) {
                    if (!buf.hasRemaining()) { flushBuffer(); bufStart = pos + (n - src.remaining()); }
                    int m = Math.min(buf.remaining(), src.remaining());
                    ByteBuffer slice = src.slice();
                    slice.limit(m);
                    buf.put(slice);
                    src.position(src.position() + m);
                }
            }
            pos += n;
            return n;
        }

        @Override public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long n = 0;
            for (int i = offset; i < offset + length; i++) n += write(srcs[i]);
            return n;
        }

        @Override public int write(ByteBuffer src, long position) throws IOException {
            flushBuffer();
            int n = src.remaining();
            long at = position;
            while (src.hasRemaining()) at += ch.write(src, at);
            return n;
        }

        @Override public int read(ByteBuffer dst) throws IOException {
            flushBuffer();
            int n = ch.read(dst, pos);
            if (n > 0) pos += n;
            return n;
        }

        @Override public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            long n = 0;
            for (int i = offset; i < offset + length; i++) {
                int r = read(dsts[i]);
                if (r < 0) return n == 0 ? -1 : n;
                n += r;
                if (dsts[i].hasRemaining()) break;
            }
            return n;
        }

        @Override public int read(ByteBuffer dst, long position) throws IOException { flushBuffer(); return ch.read(dst, position); }
        @Override public long position() { return pos; }
        @Override public FileChannel position(long newPosition) { pos = newPosition; return this; }
        @Override public long size() throws IOException { flushBuffer(); return ch.size(); }
        @Override public FileChannel truncate(long size) throws IOException { flushBuffer(); ch.truncate(size); pos = Math.min(pos, size); return this; }
        @Override public void force(boolean metaData) throws IOException { flushBuffer(); ch.force(metaData); }
        @Override public long transferTo(long position, long count, WritableByteChannel target) throws IOException { flushBuffer(); return ch.transferTo(position, count, target); }
        @Override public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException { flushBuffer(); return ch.transferFrom(src, position, count); }
        @Override public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException { flushBuffer(); return ch.map(mode, position, size); }
        @Override public FileLock lock(long position, long size, boolean shared) throws IOException { return ch.lock(position, size, shared); }
        @Override public FileLock tryLock(long position, long size, boolean shared) throws IOException { return ch.tryLock(position, size, shared); }

        @Override protected void implCloseChannel() throws IOException {
            try {
                flushBuffer();
            } finally {
                ch.close();
            }
        }
    }
}
