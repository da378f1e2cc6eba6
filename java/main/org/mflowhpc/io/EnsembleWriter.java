package org.mflowhpc.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.lattice.GaugeField;

/**
 * Streams an ensemble into a directory of shards plus manifest.json. {@link #append} buffers configurations and
 * publishes a shard (see {@link ShardWriter}) every {@code configsPerShard} of them, then rewrites the manifest
 * atomically; {@link #close} publishes the remainder. config_index runs 0, 1, 2, ... across shards (or continues on
 * resume), shard files are shard-00000.h5, shard-00001.h5, ...
 *
 * <p>Modes. {@link Mode#CREATE} refuses a directory that already holds manifest.json, shard-*.h5 or temporary
 * shard files (another run's ensemble is never touched); it writes an empty manifest at once, so the directory is
 * claimed from the start. {@link Mode#RESUME} continues the ensemble found in the directory (or starts one if there
 * is none): the metadata must equal the existing one except for mflow_version; listed shards must exist with their
 * recorded sizes; complete shards published after the last manifest update (a crash between rename and manifest
 * write) are checked (full read, metadata, contiguous indices) and adopted; leftover temporary files of an
 * interrupted write are deleted. {@link #recoveryNotes} says what was done; {@link #nextConfigIndex} is where the
 * caller continues. A caller that checkpoints should do so after a shard is published, so that its checkpoint and
 * {@link #nextConfigIndex} agree on resume.
 *
 * <p>If the manifest cannot be rewritten after a shard was published (a full disk), the new shard is removed again
 * and the error propagates, so the directory stays what the last manifest lists.
 *
 * <p>For preemption (SIGTERM) a caller may {@link #flush} the pending configurations as a short shard or
 * {@link #discardPending} them. Extra per-configuration datasets must have the same names in every append (and in
 * the shards being resumed). If action or plaquette is null, it is computed by the backend the batch lives on
 * ({@link GaugeField#backend()}); the configurations are downloaded once per append. Not thread-safe.
 *
 * <p>While open, a writer holds an exclusive lock on {@value #LOCK} in the directory, so a second writer (another
 * process, e.g. a requeued SLURM job whose predecessor still runs, or another thread) is refused instead of racing
 * on the manifest. On file systems without locking support the lock is skipped (noted in {@link #recoveryNotes}).
 */
public final class EnsembleWriter implements AutoCloseable {
    public enum Mode { CREATE, RESUME }

    private final Path dir;
    private final EnsembleMeta meta;
    private final int perShard;
    private final int configSize;
    private Manifest manifest;
    private final List<String> notes = new ArrayList<>();
    private TreeSet<String> extraKeys, extraIntKeys; // fixed by the first append or by the resumed shards
    private boolean closed;
    /** Lock file held while a writer is open (ignored by readers and the verifier). */
    public static final String LOCK = ".writer.lock";
    private FileChannel lockChannel;
    private FileLock lock;

    // pending configurations (not yet in a shard)
    private double[] buf;
    private double[] pAction, pPlaq;
    private Map<String, double[]> pExtra;
    private Map<String, int[]> pExtraInt;
    private int pending;

    private EnsembleWriter(Path dir, EnsembleMeta meta, int perShard) {
        this.dir = dir;
        this.meta = meta;
        this.perShard = perShard;
        this.configSize = meta.lattice().d * meta.lattice().volume * meta.group().dof;
    }

    /** New ensemble in {@code dir} (created if missing); refuses a directory holding another ensemble. */
    public static EnsembleWriter create(Path dir, EnsembleMeta meta, int configsPerShard) throws IOException {
        return open(dir, meta, configsPerShard, Mode.CREATE);
    }

    public static EnsembleWriter open(Path dir, EnsembleMeta meta, int configsPerShard, Mode mode) throws IOException {
        if (meta == null || dir == null || mode == null) throw new IllegalArgumentException("ensemble writer: dir, meta and mode are required");
        int max = ShardWriter.maxConfigsPerShard(meta.group(), meta.lattice());
        if (configsPerShard < 1 || configsPerShard > max)
            throw new IllegalArgumentException("ensemble writer: configsPerShard must be in [1, " + max + "] for " + meta.group() + " on "
                    + meta.lattice() + " (shards stay below 2 GiB), got " + configsPerShard);
        EnsembleWriter w = new EnsembleWriter(dir, meta, configsPerShard);
        Files.createDirectories(dir);
        w.lock();
        try {
            w.start(mode);
        } catch (IOException | RuntimeException e) {
            w.unlock();
            throw e;
        }
        return w;
    }

    private void start(Mode mode) throws IOException {
        Listing l = Listing.of(dir);
        if (!l.manifest && l.shards.isEmpty() && ArrayEnsemble.isArrayDirectory(dir))
            throw new FileAlreadyExistsException(dir.toString(), null, "is an array ensemble (task-NNNNN directories or "
                    + ArrayEnsemble.INDEX + "); refusing to write a second ensemble next to its tasks");
        if (mode == Mode.CREATE) {
            if (l.manifest || !l.shards.isEmpty() || !l.temps.isEmpty())
                throw new FileAlreadyExistsException(dir.toString(), null, "already contains an ensemble (" + l.describe()
                        + "); refusing to touch it: continue it with --resume (resume mode), or choose a new directory");
            manifest = Manifest.empty(meta);
            manifest.write(dir);
        } else {
            resume(l);
        }
    }

    private void lock() throws IOException {
        lockChannel = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) { // no lock support on this file system
            notes.add("could not lock " + LOCK + " (" + e.getMessage() + "); concurrent writers are not detected");
            return;
        }
        if (lock == null) {
            lockChannel.close();
            lockChannel = null;
            throw new IOException(dir + ": another ensemble writer is active in this directory (" + LOCK + " is locked)");
        }
    }

    private void unlock() {
        try {
            if (lock != null) lock.release();
            if (lockChannel != null) lockChannel.close();
        } catch (IOException e) {
            // closing the channel releases the lock in any case
        }
        lock = null;
        lockChannel = null;
    }

    /** What an ensemble directory holds. */
    private static final class Listing {
        boolean manifest;
        final TreeMap<Integer, String> shards = new TreeMap<>();
        final List<String> temps = new ArrayList<>();

        static Listing of(Path dir) throws IOException {
            Listing l = new Listing();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                for (Path p : ds) {
                    String name = p.getFileName().toString();
                    if (name.equals(HdfSchema.MANIFEST)) l.manifest = true;
                    else if (HdfSchema.parseShardIndex(name) >= 0) l.shards.put(HdfSchema.parseShardIndex(name), name);
                    else if (name.startsWith("." + HdfSchema.SHARD_PREFIX) && name.endsWith(".tmp")
                            || name.equals("." + HdfSchema.MANIFEST + ".tmp")) l.temps.add(name);
                }
            }
            Collections.sort(l.temps);
            return l;
        }

        String describe() {
            List<String> parts = new ArrayList<>();
            if (manifest) parts.add(HdfSchema.MANIFEST);
            if (!shards.isEmpty()) parts.add(shards.size() + " shard file(s)");
            if (!temps.isEmpty()) parts.add(temps.size() + " temporary file(s)");
            return String.join(", ", parts);
        }
    }

    private void resume(Listing l) throws IOException {
        Manifest m;
        if (l.manifest) {
            m = Manifest.read(dir.resolve(HdfSchema.MANIFEST));
            String diff = metaDifference(m.meta(), meta);
            if (diff != null)
                throw new IOException(dir + ": cannot resume: " + diff + " (existing ensemble vs this run)");
        } else {
            m = Manifest.empty(meta);
        }
        for (String t : l.temps) {
            Files.deleteIfExists(dir.resolve(t));
            notes.add("deleted leftover temporary file " + t);
        }
        TreeSet<String> listed = new TreeSet<>();
        for (ShardEntry e : m.shards()) {
            Path p = dir.resolve(e.file());
            if (!Files.isRegularFile(p)) throw new EnsembleFormatException(p, "listed in manifest.json but missing");
            if (Files.size(p) != e.bytes())
                throw new EnsembleFormatException(p, "has " + Files.size(p) + " bytes but manifest.json records " + e.bytes());
            listed.add(e.file());
        }
        int lastListed = m.shards().isEmpty() ? -1 : m.shards().get(m.shards().size() - 1).shardIndex();
        long expectFirst = m.endConfigIndex(-1);
        boolean adopted = false;
        for (Map.Entry<Integer, String> s : l.shards.entrySet()) {
            if (listed.contains(s.getValue())) continue;
            Path p = dir.resolve(s.getValue());
            if (s.getKey() <= lastListed)
                throw new EnsembleFormatException(p, "is not listed in manifest.json but precedes its last shard; refusing to resume");
            Shard sh = ShardReader.read(p);
            ShardHeader h = sh.header();
            String diff = metaDifference(h.meta(), meta);
            if (diff != null) throw new EnsembleFormatException(p, "cannot adopt unlisted shard: " + diff);
            if (h.shardIndex() != s.getKey())
                throw new EnsembleFormatException(p, "cannot adopt unlisted shard: its shard_index attribute is " + h.shardIndex());
            if (expectFirst >= 0 && h.firstConfigIndex() != expectFirst)
                throw new EnsembleFormatException(p, "cannot adopt unlisted shard: it starts at config_index " + h.firstConfigIndex()
                        + ", expected " + expectFirst);
            m = m.with(new ShardEntry(s.getValue(), h.shardIndex(), h.nConfigs(), h.firstConfigIndex(), Files.size(p), HdfSchema.sha256Hex(p)));
            expectFirst = h.endConfigIndex();
            adopted = true;
            notes.add("adopted " + s.getValue() + " (published after the last manifest update)");
        }
        if (!m.shards().isEmpty()) {
            ShardEntry last = m.shards().get(m.shards().size() - 1);
            ShardHeader h = ShardReader.readHeader(dir.resolve(last.file()));
            extraKeys = new TreeSet<>(h.extraDatasets());
            extraIntKeys = new TreeSet<>(h.extraIntDatasets());
            notes.add("resuming after " + last.file() + " at config_index " + last.endConfigIndex());
        }
        manifest = m;
        if (adopted || !l.manifest) manifest.write(dir);
    }

    /** First difference between an existing ensemble's metadata and this run's (mflow_version ignored), or null. */
    static String metaDifference(EnsembleMeta existing, EnsembleMeta run) {
        return existing.runDifference(run);
    }

    public void append(GaugeField batch, double[] action, double[] plaquette) throws IOException {
        append(batch, action, plaquette, null, null);
    }

    /**
     * Appends {@code batch.batch} configurations with their action, plaquette (null: computed) and extra
     * per-configuration values (arrays of length batch.batch; null maps mean none). Publishes shards as they fill.
     */
    public void append(GaugeField batch, double[] action, double[] plaquette, Map<String, double[]> extra,
                       Map<String, int[]> extraInt) throws IOException {
        if (closed) throw new IllegalStateException("ensemble writer for " + dir + " is closed");
        if (batch.group != meta.group() || !batch.lattice.equals(meta.lattice()))
            throw new IllegalArgumentException("ensemble writer: batch is " + batch.group + " on " + batch.lattice + ", ensemble is "
                    + meta.group() + " on " + meta.lattice());
        int n = batch.batch;
        Map<String, double[]> ex = extra == null ? Map.of() : extra;
        Map<String, int[]> exi = extraInt == null ? Map.of() : extraInt;
        if (extraKeys == null) {
            extraKeys = new TreeSet<>(ex.keySet());
            extraIntKeys = new TreeSet<>(exi.keySet());
        } else if (!extraKeys.equals(new TreeSet<>(ex.keySet())) || !extraIntKeys.equals(new TreeSet<>(exi.keySet()))) {
            throw new IllegalArgumentException("ensemble writer: extra datasets " + new TreeSet<>(ex.keySet()) + " / " + new TreeSet<>(exi.keySet())
                    + " differ from the ensemble's " + extraKeys + " / " + extraIntKeys);
        }
        if (action != null && action.length != n || plaquette != null && plaquette.length != n)
            throw new IllegalArgumentException("ensemble writer: action and plaquette need " + n + " entries");
        for (Map.Entry<String, double[]> e : ex.entrySet())
            if (e.getValue() == null || e.getValue().length != n)
                throw new IllegalArgumentException("ensemble writer: extra '" + e.getKey() + "' needs " + n + " entries");
        for (Map.Entry<String, int[]> e : exi.entrySet())
            if (e.getValue() == null || e.getValue().length != n)
                throw new IllegalArgumentException("ensemble writer: extra '" + e.getKey() + "' needs " + n + " entries");
        if (action == null || plaquette == null) {
            Backend be = batch.backend();
            Buffer out = be.alloc(n);
            if (action == null) { be.action(batch, meta.beta(), out, 0); action = be.download(out); }
            if (plaquette == null) { be.meanPlaquette(batch, out, 0); plaquette = be.download(out); }
        }
        double[] data = batch.toHost();
        if (buf == null) {
            buf = new double[perShard * configSize];
            pAction = new double[perShard];
            pPlaq = new double[perShard];
            pExtra = new TreeMap<>();
            pExtraInt = new TreeMap<>();
            for (String k : extraKeys) pExtra.put(k, new double[perShard]);
            for (String k : extraIntKeys) pExtraInt.put(k, new int[perShard]);
        }
        for (int b = 0; b < n; ) {
            int m = Math.min(n - b, perShard - pending);
            System.arraycopy(data, b * configSize, buf, pending * configSize, m * configSize);
            System.arraycopy(action, b, pAction, pending, m);
            System.arraycopy(plaquette, b, pPlaq, pending, m);
            for (String k : extraKeys) System.arraycopy(ex.get(k), b, pExtra.get(k), pending, m);
            for (String k : extraIntKeys) System.arraycopy(exi.get(k), b, pExtraInt.get(k), pending, m);
            pending += m;
            b += m;
            if (pending == perShard) flush();
        }
    }

    /** Publishes the pending configurations now as one (possibly short) shard; no-op if none are pending. */
    public void flush() throws IOException {
        if (pending == 0) return;
        int n = pending;
        double[] data = n == perShard ? buf : Arrays.copyOf(buf, n * configSize);
        Map<String, double[]> ex = new TreeMap<>();
        for (Map.Entry<String, double[]> e : pExtra.entrySet()) ex.put(e.getKey(), Arrays.copyOf(e.getValue(), n));
        Map<String, int[]> exi = new TreeMap<>();
        for (Map.Entry<String, int[]> e : pExtraInt.entrySet()) exi.put(e.getKey(), Arrays.copyOf(e.getValue(), n));
        long first = manifest.endConfigIndex(0);
        ShardEntry e = ShardWriter.write(dir, manifest.nextShardIndex(), meta, meta.group(), meta.lattice(), n, data,
                Arrays.copyOf(pAction, n), Arrays.copyOf(pPlaq, n), ex, exi, first);
        Manifest next = manifest.with(e);
        try {
            next.write(dir);
        } catch (IOException failure) {
            // publishing is shard + manifest: if the manifest cannot be updated (e.g. a full disk), take the new shard
            // back, so that the directory stays exactly what the old manifest lists (resume writes the shard again)
            try { Files.deleteIfExists(dir.resolve(e.file())); } catch (IOException ignored) { /* resume adopts it if it stays */ }
            throw failure;
        }
        pending = 0;
        manifest = next;
    }

    /** Drops the pending (unpublished) configurations. */
    public void discardPending() { pending = 0; }

    /** Configurations appended but not yet in a published shard. */
    public int pending() { return pending; }

    /** config_index the next appended configuration will get (published + pending). */
    public long nextConfigIndex() { return manifest.endConfigIndex(0) + pending; }

    /** config_index after the last published shard. */
    public long publishedEnd() { return manifest.endConfigIndex(0); }

    /** The manifest as last written. */
    public Manifest manifest() { return manifest; }

    public Path directory() { return dir; }

    public EnsembleMeta meta() { return meta; }

    /** What resume mode found and did (deleted temporaries, adopted shards, where it continues). */
    public List<String> recoveryNotes() { return List.copyOf(notes); }

    /** Publishes the remaining configurations (if any). Idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) return;
        try {
            flush();
        } finally {
            closed = true;
            buf = null;
            unlock();
        }
    }
}
