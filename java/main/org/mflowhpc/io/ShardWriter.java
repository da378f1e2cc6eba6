package org.mflowhpc.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;

/**
 * Writes one ensemble shard, a complete HDF5 file (schema in {@link HdfSchema} and docs/hdf5-schema.md), safely:
 * <ol>
 *   <li>inputs are validated (shapes, group/lattice against the metadata, finite configurations/action/plaquette,
 *       U(1) angles in [-pi, pi], no NaN in extras, extra names; SU(3) unitarity and the physics of action/plaquette
 *       are left to {@link Verifier}) and the file size is bounded by {@link #MAX_SHARD_BYTES} (below 2 GiB);
 *   <li>the root attribute {@value HdfSchema#A_CONTENT_SHA256} is computed ({@link ContentHash}: every attribute and every
 *       dataset but configs, which the per-configuration checksums cover);
 *   <li>the file is built in memory and written once by jhdf to {@code .shard-NNNNN.h5.tmp} in the same directory
 *       (claimed with create-new, so two writers cannot share it), fsynced, then read back and checked
 *       (per-configuration checksums, i.e. bit-exact configurations, and every per-configuration array);
 *   <li>it is published under its final name without ever replacing an existing file: a hard link (atomic, fails if
 *       the name exists) then removal of the temporary name; where hard links are unsupported, an existence check
 *       then {@code ATOMIC_MOVE}. If the final shard already exists the call fails with
 *       {@link FileAlreadyExistsException} and the existing file is untouched.
 * </ol>
 * On any failure the temporary file is removed and the IOException names the shard ({@link IoErrors#at}, e.g. a full
 * disk). Configurations get config_index firstConfigIndex, +1, ...
 *
 * <p>Memory: jhdf needs nested Java arrays, so writing n configurations needs about
 * {@link #heapBytesToWrite} of heap on top of the input (~4.5x the data for U(1), ~1.2x for SU(3)).
 */
public final class ShardWriter {
    private ShardWriter() {}

    /** Upper bound on a shard file's size: 2 GiB - 1 MiB (jhdf and Java buffers are int-indexed). */
    public static final long MAX_SHARD_BYTES = (1L << 31) - (1L << 20);
    /** Generous allowance for HDF5 metadata (superblock, object headers, attributes) per shard. */
    static final long METADATA_ALLOWANCE = 256 << 10;
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");

    /** Bytes one configuration occupies in a shard: links plus action, plaquette, config_index, checksum and extras. */
    public static long bytesPerConfig(Group g, Lattice lat, int extraDoubles, int extraInts) {
        return 8L * lat.d * lat.volume * g.dof + 4 * 8 + 8L * extraDoubles + 4L * extraInts;
    }

    /** Estimated shard file size for n configurations. */
    public static long estimatedShardBytes(Group g, Lattice lat, int n, int extraDoubles, int extraInts) {
        return METADATA_ALLOWANCE + (long) n * bytesPerConfig(g, lat, extraDoubles, extraInts);
    }

    /**
     * How many configurations fit in one shard below {@link #MAX_SHARD_BYTES}, allowing up to 16 extra float64 and
     * 16 extra int32 per-configuration datasets. 0 if not even one fits (a single SU(3) configuration over ~2 GiB).
     */
    public static int maxConfigsPerShard(Group g, Lattice lat) {
        return maxConfigsPerShard(g, lat, 16, 16);
    }

    public static int maxConfigsPerShard(Group g, Lattice lat, int extraDoubles, int extraInts) {
        long n = (MAX_SHARD_BYTES - METADATA_ALLOWANCE) / bytesPerConfig(g, lat, extraDoubles, extraInts);
        return (int) Math.min(n, Integer.MAX_VALUE - 16);
    }

    /** Approximate extra heap needed to write n configurations (jhdf's nested arrays plus read-back check). */
    public static long heapBytesToWrite(Group g, Lattice lat, int n) {
        long links = (long) n * lat.d * lat.volume;
        long perRow = 16 + 8L * g.dof + 4; // array header + payload + reference (compressed oops)
        return links * perRow + 8L * links * g.dof; // nested copy + the read-back copy
    }

    /**
     * Writes shard {@code shardIndex} of an ensemble into {@code dir} (created if missing) and returns its manifest
     * entry. {@code action} and {@code plaquette} (length n = configs.batch) follow the conventions in
     * {@link HdfSchema}; the maps (may be null or empty) hold extra per-configuration float64 and int32 datasets
     * of length n, names matching [A-Za-z][A-Za-z0-9_]* and not reserved.
     *
     * @throws FileAlreadyExistsException if the final shard file exists (it is left untouched)
     * @throws IllegalArgumentException   on invalid input
     * @throws IOException                on I/O failure, or if the read-back check fails
     */
    public static ShardEntry write(Path dir, int shardIndex, EnsembleMeta meta, GaugeField configs, double[] action,
                                   double[] plaquette, Map<String, double[]> extraPerConfig,
                                   Map<String, int[]> extraIntPerConfig, long firstConfigIndex) throws IOException {
        return write(dir, plan(shardIndex, meta, configs, action, plaquette, extraPerConfig, extraIntPerConfig, firstConfigIndex),
                shardIndex, firstConfigIndex);
    }

    /**
     * As {@link #write(Path, int, EnsembleMeta, GaugeField, double[], double[], Map, Map, long)} for n
     * configurations of the given group and lattice held as host data in the {@link GaugeField} layout
     * (n x configSize doubles).
     */
    public static ShardEntry write(Path dir, int shardIndex, EnsembleMeta meta, Group group, Lattice lattice, int n,
                                   double[] configData, double[] action, double[] plaquette,
                                   Map<String, double[]> extraPerConfig, Map<String, int[]> extraIntPerConfig,
                                   long firstConfigIndex) throws IOException {
        return write(dir, plan(shardIndex, meta, group, lattice, n, configData, action, plaquette, extraPerConfig, extraIntPerConfig,
                firstConfigIndex), shardIndex, firstConfigIndex);
    }

    private static ShardEntry write(Path dir, Plan plan, int shardIndex, long firstConfigIndex) throws IOException {
        String name = HdfSchema.shardName(shardIndex);
        Files.createDirectories(dir);
        Path target = dir.resolve(name);
        if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS))
            throw new FileAlreadyExistsException(target.toString(), null, "shard already exists; refusing to overwrite it");
        Path tmp = dir.resolve(HdfSchema.tempName(name));
        try {
            Files.createFile(tmp); // create-new: claims the temporary name
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException(tmp.toString(), null,
                    "temporary shard file exists: another writer is active or a crashed run left it (resume mode removes it)");
        }
        boolean published = false;
        try {
            writePlan(tmp, plan);
            fsync(tmp, false);
            checkReadBack(tmp, plan);
            long bytes = Files.size(tmp);
            String sha = HdfSchema.sha256Hex(tmp);
            publish(tmp, target);
            published = true;
            fsync(dir, true);
            return new ShardEntry(name, shardIndex, plan.n, firstConfigIndex, bytes, sha);
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (IOException e) {
            throw IoErrors.at(target, e); // e.g. a full disk: name the shard being written
        } finally {
            if (!published) Files.deleteIfExists(tmp);
        }
    }

    /** Hard link (never replaces) then unlink of the temporary name; falls back to check + ATOMIC_MOVE. */
    private static void publish(Path tmp, Path target) throws IOException {
        try {
            Files.createLink(target, tmp);
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException(target.toString(), null, "shard already exists; refusing to overwrite it");
        } catch (UnsupportedOperationException | IOException e) {
            if (Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                throw new FileAlreadyExistsException(target.toString(), null, "shard already exists; refusing to overwrite it");
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        Files.delete(tmp);
    }

    /** fsync a file (errors propagate) or a directory (best effort: not every platform can). */
    static void fsync(Path p, boolean directory) throws IOException {
        if (!directory) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) { ch.force(true); }
            return;
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // directories cannot be fsynced on some platforms; the rename itself is still atomic
        }
    }

    /** Everything that goes into one shard file: root attributes and datasets, in writing order. */
    static final class Plan {
        final LinkedHashMap<String, Object> attributes = new LinkedHashMap<>();
        final LinkedHashMap<String, Object> datasets = new LinkedHashMap<>();
        int n;
        long[] checksums;

        /** Recomputes content_sha256 after the plan was edited (tests that build malformed files on purpose). */
        void rehash() { attributes.put(HdfSchema.A_CONTENT_SHA256, ContentHash.of(datasets, attributes)); }
    }

    /** Plan for a field (downloaded to the host once). */
    static Plan plan(int shardIndex, EnsembleMeta meta, GaugeField configs, double[] action, double[] plaquette,
                     Map<String, double[]> extra, Map<String, int[]> extraInt, long firstConfigIndex) {
        if (configs == null) throw new IllegalArgumentException("shard writer: meta, configs, action and plaquette are required");
        return plan(shardIndex, meta, configs.group, configs.lattice, configs.batch, configs.toHost(), action, plaquette, extra, extraInt,
                firstConfigIndex);
    }

    /** Plan for n configurations of (group, lattice) as host data in the {@link GaugeField} layout. */
    static Plan plan(int shardIndex, EnsembleMeta meta, Group group, Lattice lattice, int n, double[] data, double[] action,
                     double[] plaquette, Map<String, double[]> extra, Map<String, int[]> extraInt, long firstConfigIndex) {
        if (meta == null || data == null || group == null || lattice == null || action == null || plaquette == null)
            throw new IllegalArgumentException("shard writer: meta, configs, action and plaquette are required");
        if (shardIndex < 0) throw new IllegalArgumentException("shard writer: shard index must be >= 0, got " + shardIndex);
        if (firstConfigIndex < 0) throw new IllegalArgumentException("shard writer: first config index must be >= 0, got " + firstConfigIndex);
        if (group != meta.group())
            throw new IllegalArgumentException("shard writer: configurations are " + group + " but meta says " + meta.group());
        if (!lattice.equals(meta.lattice()))
            throw new IllegalArgumentException("shard writer: configurations are on " + lattice + " but meta says " + meta.lattice());
        if (n < 1) throw new IllegalArgumentException("shard writer: need at least one configuration, got " + n);
        int cs = lattice.d * lattice.volume * group.dof;
        if ((long) n * cs != data.length)
            throw new IllegalArgumentException("shard writer: configuration data has " + data.length + " doubles, expected " + n + " x " + cs);
        checkLength("action", action.length, n);
        checkLength("plaquette", plaquette.length, n);
        Map<String, double[]> ex = extra == null ? Map.of() : new TreeMap<>(extra);
        Map<String, int[]> exi = extraInt == null ? Map.of() : new TreeMap<>(extraInt);
        long size = estimatedShardBytes(group, lattice, n, ex.size(), exi.size());
        if (size > MAX_SHARD_BYTES)
            throw new IllegalArgumentException("shard writer: " + n + " configurations need about " + size + " bytes, over the shard limit "
                    + MAX_SHARD_BYTES + "; use at most " + maxConfigsPerShard(group, lattice, ex.size(), exi.size()) + " per shard");
        for (Map.Entry<String, double[]> e : ex.entrySet()) {
            checkExtraName(e.getKey());
            if (e.getValue() == null) throw new IllegalArgumentException("shard writer: extra dataset '" + e.getKey() + "' is null");
            checkLength(e.getKey(), e.getValue().length, n);
            for (int i = 0; i < n; i++)
                if (Double.isNaN(e.getValue()[i]))
                    throw new IllegalArgumentException("shard writer: extra dataset '" + e.getKey() + "' is NaN at configuration " + i);
        }
        for (Map.Entry<String, int[]> e : exi.entrySet()) {
            checkExtraName(e.getKey());
            if (ex.containsKey(e.getKey())) throw new IllegalArgumentException("shard writer: extra dataset '" + e.getKey() + "' given twice");
            if (e.getValue() == null) throw new IllegalArgumentException("shard writer: extra dataset '" + e.getKey() + "' is null");
            checkLength(e.getKey(), e.getValue().length, n);
        }
        for (int b = 0; b < n; b++) {
            for (int i = b * cs, end = i + cs; i < end; i++) {
                double v = data[i];
                if (!Double.isFinite(v))
                    throw new IllegalArgumentException("shard writer: configuration " + b + " contains a non-finite value " + v);
                if (group == Group.U1 && Math.abs(v) > Math.PI)
                    throw new IllegalArgumentException("shard writer: configuration " + b + " contains the U(1) angle " + v
                            + " outside [-pi, pi] (wrap angles before writing)");
            }
            if (!Double.isFinite(action[b])) throw new IllegalArgumentException("shard writer: action[" + b + "] = " + action[b] + " is not finite");
            if (!Double.isFinite(plaquette[b])) throw new IllegalArgumentException("shard writer: plaquette[" + b + "] = " + plaquette[b] + " is not finite");
        }

        Plan p = new Plan();
        p.n = n;
        p.checksums = HdfSchema.configChecksums(data, n, cs);
        long[] index = new long[n];
        for (int b = 0; b < n; b++) index[b] = firstConfigIndex + b;

        Map<String, Object> a = p.attributes;
        a.put(HdfSchema.A_FORMAT, HdfSchema.FORMAT);
        a.put(HdfSchema.A_FORMAT_VERSION, HdfSchema.FORMAT_VERSION);
        a.put(HdfSchema.A_GROUP, meta.group().name());
        a.put(HdfSchema.A_LATTICE, meta.lattice().extents());
        a.put(HdfSchema.A_BETA, meta.beta());
        a.put(HdfSchema.A_ACTION_KIND, meta.actionKind());
        a.put(HdfSchema.A_ACTION_CONVENTION, HdfSchema.ACTION_CONVENTION);
        a.put(HdfSchema.A_PLAQUETTE_CONVENTION, HdfSchema.PLAQUETTE_CONVENTION);
        a.put(HdfSchema.A_SITE_ORDER, HdfSchema.SITE_ORDER);
        a.put(HdfSchema.A_LINK_LAYOUT, HdfSchema.LINK_LAYOUT);
        a.put(HdfSchema.A_CHECKSUM_CONVENTION, HdfSchema.CHECKSUM_CONVENTION);
        a.put(HdfSchema.A_SEED, meta.seed());
        a.put(HdfSchema.A_ALGORITHM, meta.algorithm());
        a.put(HdfSchema.A_MFLOW_VERSION, meta.mflowVersion());
        a.put(HdfSchema.A_N_CONFIGS, (long) n);
        a.put(HdfSchema.A_SHARD_INDEX, (long) shardIndex);
        a.put(HdfSchema.A_FIRST_CONFIG_INDEX, firstConfigIndex);
        a.putAll(meta.extra());

        Map<String, Object> d = p.datasets;
        d.put(HdfSchema.DS_CONFIGS, nested(data, n, lattice, group));
        d.put(HdfSchema.DS_ACTION, action.clone());
        d.put(HdfSchema.DS_PLAQUETTE, plaquette.clone());
        d.put(HdfSchema.DS_CONFIG_INDEX, index);
        d.put(HdfSchema.DS_CHECKSUM, p.checksums.clone());
        for (Map.Entry<String, double[]> e : ex.entrySet()) d.put(e.getKey(), e.getValue().clone());
        for (Map.Entry<String, int[]> e : exi.entrySet()) d.put(e.getKey(), e.getValue().clone());
        a.put(HdfSchema.A_CONTENT_SHA256, ContentHash.of(d, a));
        return p;
    }

    private static void checkLength(String what, int len, int n) {
        if (len != n) throw new IllegalArgumentException("shard writer: '" + what + "' has length " + len + ", expected " + n + " (one per configuration)");
    }

    private static void checkExtraName(String k) {
        if (k == null || !NAME.matcher(k).matches())
            throw new IllegalArgumentException("shard writer: extra dataset name '" + k + "' must match [A-Za-z][A-Za-z0-9_]*");
        if (HdfSchema.RESERVED_DATASETS.contains(k))
            throw new IllegalArgumentException("shard writer: extra dataset name '" + k + "' is reserved");
    }

    /** [n][d][V][dof] copy of the flat C-order data (jhdf derives the HDF5 shape from nested arrays). */
    private static double[][][][] nested(double[] data, int n, Lattice lat, Group g) {
        int d = lat.d, v = lat.volume, dof = g.dof;
        double[][][][] out = new double[n][d][v][];
        int o = 0;
        for (int b = 0; b < n; b++)
            for (int mu = 0; mu < d; mu++)
                for (int s = 0; s < v; s++, o += dof)
                    out[b][mu][s] = Arrays.copyOfRange(data, o, o + dof);
        return out;
    }

    /** Writes a plan with jhdf into an existing empty file (through the write-buffering path shim). */
    static void writePlan(Path file, Plan p) throws IOException {
        if (Files.size(file) != 0) throw new IOException(file + ": refusing to write a shard over a non-empty file");
        BufferedWritePath path = BufferedWritePath.of(file);
        try (WritableHdfFile h = HdfFile.write(path)) {
            for (Map.Entry<String, Object> e : p.attributes.entrySet()) h.putAttribute(e.getKey(), e.getValue());
            for (Map.Entry<String, Object> e : p.datasets.entrySet()) h.putDataset(e.getKey(), e.getValue());
        } catch (RuntimeException e) {
            throw new IOException(file + ": HDF5 writing failed: " + EnsembleFormatException.oneLine(String.valueOf(e)), e);
        } finally {
            path.closeChannels(); // jhdf may leave its channel open when its close fails (a full disk)
        }
    }

    /** Reads the written file back and compares it with the plan; IOException on any difference. */
    private static void checkReadBack(Path tmp, Plan p) throws IOException {
        Shard s;
        try {
            s = ShardReader.read(tmp); // verifies every configuration against the checksums computed from the input
        } catch (EnsembleFormatException e) {
            throw new IOException("read-back check of the freshly written shard failed: " + e.getMessage(), e);
        }
        if (!Arrays.equals(s.checksum(), p.checksums)) throw new IOException(tmp + ": read-back check failed: checksums differ");
        for (Map.Entry<String, Object> e : p.datasets.entrySet()) {
            String k = e.getKey();
            boolean same;
            if (k.equals(HdfSchema.DS_CONFIGS) || k.equals(HdfSchema.DS_CHECKSUM)) continue;
            else if (k.equals(HdfSchema.DS_ACTION)) same = Arrays.equals(s.action(), (double[]) e.getValue());
            else if (k.equals(HdfSchema.DS_PLAQUETTE)) same = Arrays.equals(s.plaquette(), (double[]) e.getValue());
            else if (k.equals(HdfSchema.DS_CONFIG_INDEX)) same = Arrays.equals(s.configIndex(), (long[]) e.getValue());
            else if (e.getValue() instanceof double[] v) same = Arrays.equals(s.extra().get(k), v);
            else same = Arrays.equals(s.extraInt().get(k), (int[]) e.getValue());
            if (!same) throw new IOException(tmp + ": read-back check failed: dataset '" + k + "' differs from what was written");
        }
    }
}
