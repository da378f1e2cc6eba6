package org.mflowhpc.testutil;

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
import java.nio.file.StandardOpenOption;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fault injection for the full-disk trials of the fault harness, used where no small real file system can be
 * mounted (no root, no passwordless sudo). A child JVM is started with
 * <pre>
 *   -Djava.nio.file.spi.DefaultFileSystemProvider=org.mflowhpc.testutil.FullDiskFileSystemProvider
 *   -Dmflow.test.disk.root=DIR -Dmflow.test.disk.budget=BYTES
 * </pre>
 * and this provider replaces the JDK's default one: every NIO path, channel and stream of the process goes through
 * it and on to the real provider. Bytes written to files under DIR are counted (cumulatively: like a disk that
 * never frees space); the write that would exceed BYTES is cut short at the budget and the next one fails with
 * {@code IOException("No space left on device")}, exactly what Linux reports for ENOSPC. Nothing outside DIR is
 * affected. Covers every writer of mflow-hpc (shards through jhdf, manifests, checkpoints, metrics, sampler state):
 * they all use NIO. Paths are wrapped ({@link FPath}) so that {@code path.getFileSystem().provider()} is this
 * provider; everything else delegates unchanged.
 */
public final class FullDiskFileSystemProvider extends FileSystemProvider {
    public static final String ROOT_PROPERTY = "mflow.test.disk.root";
    public static final String BUDGET_PROPERTY = "mflow.test.disk.budget";

    private final FileSystemProvider d;
    private final FFileSystem fs;
    private final Path root;     // real path, or null (nothing counted)
    private final long budget;
    private final AtomicLong used = new AtomicLong();

    public FullDiskFileSystemProvider(FileSystemProvider delegate) {
        this.d = delegate;
        this.fs = new FFileSystem(this, delegate.getFileSystem(URI.create("file:///")));
        String r = System.getProperty(ROOT_PROPERTY);
        this.root = r == null ? null : fs.real.getPath(r).toAbsolutePath().normalize();
        this.budget = Long.parseLong(System.getProperty(BUDGET_PROPERTY, Long.toString(Long.MAX_VALUE)));
    }

    static Path unwrap(Path p) { return p instanceof FPath f ? f.p : p; }

    FPath wrap(Path p) { return p == null ? null : new FPath(fs, p); }

    private boolean counted(Path real) {
        return root != null && real.toAbsolutePath().normalize().startsWith(root);
    }

    /** Bytes the next write of n bytes may write, or an ENOSPC IOException when the budget is spent. */
    private int allow(int n) throws IOException {
        while (true) {
            long u = used.get();
            long left = budget - u;
            if (left <= 0) throw new IOException("No space left on device");
            int m = (int) Math.min(n, left);
            if (used.compareAndSet(u, u + m)) return m;
        }
    }

    // ------------------------------------------------------------------ provider

    @Override public String getScheme() { return d.getScheme(); }
    @Override public FileSystem newFileSystem(URI uri, Map<String, ?> env) throws IOException { return d.newFileSystem(uri, env); }
    @Override public FileSystem getFileSystem(URI uri) { return fs; }
    @Override public Path getPath(URI uri) { return wrap(d.getPath(uri)); }

    @Override public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
        Path real = unwrap(path);
        FileChannel ch = d.newFileChannel(real, options, attrs);
        boolean writes = options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND);
        return writes && counted(real) ? new Counting(ch) : ch;
    }

    @Override public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
        Path real = unwrap(path);
        boolean writes = options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND);
        if (writes && counted(real)) return new Counting(d.newFileChannel(real, options, attrs));
        return d.newByteChannel(real, options, attrs);
    }

    @Override public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter) throws IOException {
        DirectoryStream<Path> ds = d.newDirectoryStream(unwrap(dir), p -> filter.accept(wrap(p)));
        return new DirectoryStream<>() {
            @Override public Iterator<Path> iterator() {
                Iterator<Path> it = ds.iterator();
                return new Iterator<>() {
                    @Override public boolean hasNext() { return it.hasNext(); }
                    @Override public Path next() { return wrap(it.next()); }
                };
            }
            @Override public void close() throws IOException { ds.close(); }
        };
    }

    @Override public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException { d.createDirectory(unwrap(dir), attrs); }
    @Override public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
        d.createSymbolicLink(unwrap(link), unwrap(target), attrs);
    }
    @Override public void createLink(Path link, Path existing) throws IOException { d.createLink(unwrap(link), unwrap(existing)); }
    @Override public Path readSymbolicLink(Path link) throws IOException { return wrap(d.readSymbolicLink(unwrap(link))); }
    @Override public void delete(Path path) throws IOException { d.delete(unwrap(path)); }
    @Override public boolean deleteIfExists(Path path) throws IOException { return d.deleteIfExists(unwrap(path)); }
    @Override public void copy(Path source, Path target, CopyOption... options) throws IOException { d.copy(unwrap(source), unwrap(target), options); }
    @Override public void move(Path source, Path target, CopyOption... options) throws IOException { d.move(unwrap(source), unwrap(target), options); }
    @Override public boolean isSameFile(Path path, Path path2) throws IOException { return d.isSameFile(unwrap(path), unwrap(path2)); }
    @Override public boolean isHidden(Path path) throws IOException { return d.isHidden(unwrap(path)); }
    @Override public FileStore getFileStore(Path path) throws IOException { return d.getFileStore(unwrap(path)); }
    @Override public void checkAccess(Path path, AccessMode... modes) throws IOException { d.checkAccess(unwrap(path), modes); }
    @Override public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
        return d.getFileAttributeView(unwrap(path), type, options);
    }
    @Override public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options) throws IOException {
        return d.readAttributes(unwrap(path), type, options);
    }
    @Override public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options) throws IOException {
        return d.readAttributes(unwrap(path), attributes, options);
    }
    @Override public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
        d.setAttribute(unwrap(path), attribute, value, options);
    }

    // ------------------------------------------------------------------ file system and paths

    static final class FFileSystem extends FileSystem {
        final FullDiskFileSystemProvider provider;
        final FileSystem real;
        FFileSystem(FullDiskFileSystemProvider provider, FileSystem real) { this.provider = provider; this.real = real; }
        @Override public FileSystemProvider provider() { return provider; }
        @Override public void close() throws IOException { throw new UnsupportedOperationException("the default file system cannot be closed"); }
        @Override public boolean isOpen() { return true; }
        @Override public boolean isReadOnly() { return false; }
        @Override public String getSeparator() { return real.getSeparator(); }
        @Override public Iterable<Path> getRootDirectories() {
            List<Path> l = new ArrayList<>();
            for (Path p : real.getRootDirectories()) l.add(provider.wrap(p));
            return l;
        }
        @Override public Iterable<FileStore> getFileStores() { return real.getFileStores(); }
        @Override public Set<String> supportedFileAttributeViews() { return real.supportedFileAttributeViews(); }
        @Override public Path getPath(String first, String... more) { return provider.wrap(real.getPath(first, more)); }
        @Override public PathMatcher getPathMatcher(String syntaxAndPattern) {
            PathMatcher m = real.getPathMatcher(syntaxAndPattern);
            return p -> m.matches(unwrap(p));
        }
        @Override public UserPrincipalLookupService getUserPrincipalLookupService() { return real.getUserPrincipalLookupService(); }
        @Override public WatchService newWatchService() throws IOException { return real.newWatchService(); }
    }

    /** A real path seen through this provider. */
    static final class FPath implements Path {
        final FFileSystem fs;
        final Path p;
        FPath(FFileSystem fs, Path p) { this.fs = fs; this.p = p; }
        private Path w(Path x) { return fs.provider.wrap(x); }
        @Override public FileSystem getFileSystem() { return fs; }
        @Override public boolean isAbsolute() { return p.isAbsolute(); }
        @Override public Path getRoot() { return w(p.getRoot()); }
        @Override public Path getFileName() { return w(p.getFileName()); }
        @Override public Path getParent() { return w(p.getParent()); }
        @Override public int getNameCount() { return p.getNameCount(); }
        @Override public Path getName(int index) { return w(p.getName(index)); }
        @Override public Path subpath(int beginIndex, int endIndex) { return w(p.subpath(beginIndex, endIndex)); }
        @Override public boolean startsWith(Path other) { return p.startsWith(unwrap(other)); }
        @Override public boolean startsWith(String other) { return p.startsWith(other); }
        @Override public boolean endsWith(Path other) { return p.endsWith(unwrap(other)); }
        @Override public boolean endsWith(String other) { return p.endsWith(other); }
        @Override public Path normalize() { return w(p.normalize()); }
        @Override public Path resolve(Path other) { return w(p.resolve(unwrap(other))); }
        @Override public Path resolve(String other) { return w(p.resolve(other)); }
        @Override public Path resolveSibling(Path other) { return w(p.resolveSibling(unwrap(other))); }
        @Override public Path resolveSibling(String other) { return w(p.resolveSibling(other)); }
        @Override public Path relativize(Path other) { return w(p.relativize(unwrap(other))); }
        @Override public URI toUri() { return p.toUri(); }
        @Override public Path toAbsolutePath() { return w(p.toAbsolutePath()); }
        @Override public Path toRealPath(LinkOption... options) throws IOException { return w(p.toRealPath(options)); }
        @Override public java.io.File toFile() { return p.toFile(); }
        @Override public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers) throws IOException {
            return p.register(watcher, events, modifiers);
        }
        @Override public Iterator<Path> iterator() {
            Iterator<Path> it = p.iterator();
            return new Iterator<>() {
                @Override public boolean hasNext() { return it.hasNext(); }
                @Override public Path next() { return w(it.next()); }
            };
        }
        @Override public int compareTo(Path other) { return p.compareTo(unwrap(other)); }
        @Override public boolean equals(Object o) { return o instanceof FPath f && f.p.equals(p); }
        @Override public int hashCode() { return p.hashCode(); }
        @Override public String toString() { return p.toString(); }
    }

    // ------------------------------------------------------------------ the counting channel

    /** A FileChannel whose writes draw on the budget. */
    final class Counting extends FileChannel {
        private final FileChannel ch;
        Counting(FileChannel ch) { this.ch = ch; }

        private int writeLimited(ByteBuffer src, long position, boolean relative) throws IOException {
            int n = src.remaining();
            if (n == 0) return relative ? ch.write(src) : ch.write(src, position);
            int m = allow(n);
            ByteBuffer slice = src.slice();
            slice.limit(m);
            int done = relative ? ch.write(slice) : ch.write(slice, position);
            src.position(src.position() + done);
            if (done < m) used.addAndGet(done - m); // a short write by the OS: give the difference back
            return done;
        }

        @Override public int write(ByteBuffer src) throws IOException { return writeLimited(src, -1, true); }
        @Override public int write(ByteBuffer src, long position) throws IOException { return writeLimited(src, position, false); }
        @Override public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            long n = 0;
            for (int i = offset; i < offset + length; i++) {
                int want = srcs[i].remaining();
                int w = write(srcs[i]);
                n += w;
                if (w < want) break;
            }
            return n;
        }
        @Override public int read(ByteBuffer dst) throws IOException { return ch.read(dst); }
        @Override public long read(ByteBuffer[] dsts, int offset, int length) throws IOException { return ch.read(dsts, offset, length); }
        @Override public int read(ByteBuffer dst, long position) throws IOException { return ch.read(dst, position); }
        @Override public long position() throws IOException { return ch.position(); }
        @Override public FileChannel position(long newPosition) throws IOException { ch.position(newPosition); return this; }
        @Override public long size() throws IOException { return ch.size(); }
        @Override public FileChannel truncate(long size) throws IOException { ch.truncate(size); return this; }
        @Override public void force(boolean metaData) throws IOException { ch.force(metaData); }
        @Override public long transferTo(long position, long count, WritableByteChannel target) throws IOException { return ch.transferTo(position, count, target); }
        @Override public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            ByteBuffer bb = ByteBuffer.allocate((int) Math.min(count, 1 << 16));
            long done = 0;
            while (done < count) {
                bb.clear();
                bb.limit((int) Math.min(bb.capacity(), count - done));
                int r = src.read(bb);
                if (r <= 0) break;
                bb.flip();
                while (bb.hasRemaining()) done += write(bb, position + done);
            }
            return done;
        }
        @Override public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            if (mode != MapMode.READ_ONLY) throw new IOException("writable mappings are not supported by the full-disk injection");
            return ch.map(mode, position, size);
        }
        @Override public FileLock lock(long position, long size, boolean shared) throws IOException { return ch.lock(position, size, shared); }
        @Override public FileLock tryLock(long position, long size, boolean shared) throws IOException { return ch.tryLock(position, size, shared); }
        @Override protected void implCloseChannel() throws IOException { ch.close(); }
    }
}
