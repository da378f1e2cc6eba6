package org.mflowhpc.io;

import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Node;
import io.jhdf.dataset.DatasetBase;
import io.jhdf.object.datatype.DataType;
import io.jhdf.object.datatype.FixedPoint;
import io.jhdf.object.datatype.FloatingPoint;
import io.jhdf.object.datatype.StringData;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;

/**
 * Reads and validates one ensemble shard (schema in {@link HdfSchema}). Files are opened read-only and never modified.
 *
 * <p>{@link #read} checks, in order: the file exists and is HDF5 (signature), is not truncated (size against the
 * superblock's end-of-file address), every required root attribute is present with the right type and value
 * (format, format_version, conventions exactly as in {@link HdfSchema}, a valid group, lattice, finite beta...),
 * every dataset has the right dtype and shape ([n, d, V, dof] float64 configs; [n] float64 action, plaquette,
 * extras; [n] int64 config_index, checksum; [n] int32 integer extras) with n = n_configs, config_index is
 * first_config_index + i, no value is NaN (configs, action and plaquette must be finite), and every configuration's
 * checksum matches. Any violation is an {@link EnsembleFormatException} with a one-line message naming the file;
 * library exceptions from unreadable HDF5 structures are wrapped the same way. {@link #readHeader} stops before the
 * bulk data.
 */
public final class ShardReader {
    private ShardReader() {}

    private static final byte[] SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

    /** Reads a whole shard with every check (see class comment). */
    public static Shard read(Path file) throws IOException {
        return read(file, true);
    }

    /** Attributes and dataset types/shapes only, without reading the bulk data. */
    public static ShardHeader readHeader(Path file) throws IOException {
        preflight(file);
        try (HdfFile h = new HdfFile(file)) {
            return parse(h, file).header;
        } catch (EnsembleFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw unreadable(file, e);
        }
    }

    /**
     * Reads a shard. With {@code verifyContent} false only the structure (attributes, dtypes, shapes, config_index)
     * is checked, so that {@link Verifier} can list every content fault (NaN, checksum) itself.
     */
    static Shard read(Path file, boolean verifyContent) throws IOException {
        return read(file, verifyContent, null);
    }

    /**
     * As {@link #read(Path, boolean)}; a {@value ContentHash#ATTRIBUTE} mismatch is thrown when
     * {@code verifyContent}, else added to {@code contentFaults} (if not null) for the {@link Verifier}.
     */
    static Shard read(Path file, boolean verifyContent, List<String> contentFaults) throws IOException {
        preflight(file);
        try (HdfFile h = new HdfFile(file)) {
            Parsed p = parse(h, file);
            ShardHeader hd = p.header;
            int n = hd.nConfigs();
            EnsembleMeta meta = hd.meta();
            double[] cfg = readDoubles(file, p.configs, HdfSchema.DS_CONFIGS, (long) n * meta.lattice().d * meta.lattice().volume * meta.group().dof);
            GaugeField.checkedSize(meta.group(), meta.lattice(), n); // the batch must fit in one field
            double[] action = readDoubles(file, p.action, HdfSchema.DS_ACTION, n);
            double[] plaq = readDoubles(file, p.plaquette, HdfSchema.DS_PLAQUETTE, n);
            long[] index = readLongs(file, p.configIndex, HdfSchema.DS_CONFIG_INDEX, n);
            long[] sums = readLongs(file, p.checksum, HdfSchema.DS_CHECKSUM, n);
            Map<String, double[]> extra = new TreeMap<>();
            for (String k : hd.extraDatasets()) extra.put(k, readDoubles(file, p.extras.get(k), k, n));
            Map<String, int[]> extraInt = new TreeMap<>();
            for (String k : hd.extraIntDatasets()) extraInt.put(k, readInts(file, p.extras.get(k), k, n));

            for (int i = 0; i < n; i++)
                if (index[i] != hd.firstConfigIndex() + i)
                    throw new EnsembleFormatException(file, "config_index[" + i + "] = " + index[i] + ", expected first_config_index + " + i
                            + " = " + (hd.firstConfigIndex() + i));
            if (verifyContent) {
                int cs = meta.lattice().d * meta.lattice().volume * meta.group().dof;
                for (int b = 0; b < n; b++) {
                    for (int i = b * cs, e = i + cs; i < e; i++)
                        if (!Double.isFinite(cfg[i]))
                            throw new EnsembleFormatException(file, "configuration " + b + " (config_index " + index[b] + ") contains "
                                    + cfg[i] + " at element " + (i - b * cs));
                    if (!Double.isFinite(action[b])) throw new EnsembleFormatException(file, "action[" + b + "] is " + action[b]);
                    if (!Double.isFinite(plaq[b])) throw new EnsembleFormatException(file, "plaquette[" + b + "] is " + plaq[b]);
                    for (Map.Entry<String, double[]> e : extra.entrySet())
                        if (Double.isNaN(e.getValue()[b])) throw new EnsembleFormatException(file, e.getKey() + "[" + b + "] is NaN");
                }
                for (int b = 0; b < n; b++) {
                    long c = HdfSchema.configChecksum(cfg, b * cs, cs);
                    if (c != sums[b])
                        throw new EnsembleFormatException(file, "checksum mismatch in configuration " + b + " (config_index " + index[b]
                                + "): stored " + hex(sums[b]) + ", computed " + hex(c) + "; the configuration data is corrupt");
                }
            }
            // last: the specific checks above name the problem when there is one
            if (p.contentSha256 != null) {
                Map<String, Object> ds = new TreeMap<>();
                ds.put(HdfSchema.DS_ACTION, action);
                ds.put(HdfSchema.DS_PLAQUETTE, plaq);
                ds.put(HdfSchema.DS_CONFIG_INDEX, index);
                ds.put(HdfSchema.DS_CHECKSUM, sums);
                ds.putAll(extra);
                ds.putAll(extraInt);
                String got = ContentHash.of(ds, p.rawAttributes);
                if (!got.equals(p.contentSha256)) {
                    String msg = "content_sha256 mismatch: stored " + p.contentSha256.substring(0, 16) + "..., computed " + got.substring(0, 16)
                            + "...; an attribute or a per-configuration dataset other than configs was modified";
                    if (verifyContent) throw new EnsembleFormatException(file, msg);
                    if (contentFaults != null) contentFaults.add(msg);
                }
            }
            return new Shard(hd, cfg, index, action, plaq, sums, Collections.unmodifiableMap(extra), Collections.unmodifiableMap(extraInt));
        } catch (EnsembleFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw unreadable(file, e);
        }
    }

    /**
     * One per-configuration float64 dataset (action, plaquette or a float extra) after the structural checks,
     * without reading the configurations; action and plaquette must be finite, extras not NaN.
     */
    public static double[] readColumn(Path file, String dataset) throws IOException {
        preflight(file);
        try (HdfFile h = new HdfFile(file)) {
            Parsed p = parse(h, file);
            int n = p.header.nConfigs();
            Dataset ds;
            boolean finite = true;
            if (dataset.equals(HdfSchema.DS_ACTION)) ds = p.action;
            else if (dataset.equals(HdfSchema.DS_PLAQUETTE)) ds = p.plaquette;
            else if (p.header.extraDatasets().contains(dataset)) { ds = p.extras.get(dataset); finite = false; }
            else throw new EnsembleFormatException(file, "has no float64 per-configuration dataset '" + dataset + "'");
            double[] v = readDoubles(file, ds, dataset, n);
            for (int i = 0; i < n; i++)
                if (finite ? !Double.isFinite(v[i]) : Double.isNaN(v[i]))
                    throw new EnsembleFormatException(file, dataset + "[" + i + "] is " + v[i]);
            return v;
        } catch (EnsembleFormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw unreadable(file, e);
        }
    }

    /** True if the shard carries a content_sha256 attribute (structure is not checked here). */
    static boolean hasContentHash(Path file) {
        try (HdfFile h = new HdfFile(file)) {
            return h.getAttributes().containsKey(HdfSchema.A_CONTENT_SHA256);
        } catch (RuntimeException e) {
            return false;
        }
    }

    static String hex(long v) { return String.format("0x%016x", v); }

    private static EnsembleFormatException unreadable(Path file, RuntimeException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
        return new EnsembleFormatException(file, "unreadable or corrupt HDF5 structure (" + m + ")", e);
    }

    // ------------------------------------------------------------------ file-level checks

    /** Exists, regular, has an HDF5 signature, and is at least as long as its superblock says. */
    static void preflight(Path file) throws EnsembleFormatException {
        if (!Files.exists(file)) throw new EnsembleFormatException(file, "does not exist");
        if (!Files.isRegularFile(file)) throw new EnsembleFormatException(file, "is not a regular file");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            long sb = -1;
            byte[] sig = new byte[8];
            for (long off = 0; off + 8 <= size; off = off == 0 ? 512 : off * 2) {
                ByteBuffer bb = ByteBuffer.wrap(sig);
                while (bb.hasRemaining() && ch.read(bb, off + bb.position()) > 0) { /* fill */ }
                if (!bb.hasRemaining() && Arrays.equals(sig, SIGNATURE)) { sb = off; break; }
            }
            if (sb < 0) throw new EnsembleFormatException(file, "not an HDF5 file (no HDF5 signature; " + size + " bytes)");
            ByteBuffer s = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            while (s.hasRemaining() && ch.read(s, sb + s.position()) > 0) { /* fill */ }
            s.flip();
            if (s.limit() < 48) throw new EnsembleFormatException(file, "truncated: the HDF5 superblock is incomplete (" + size + " bytes)");
            int version = s.get(8) & 0xff;
            int offsetSize;
            int eofAt;
            switch (version) {
                case 0: offsetSize = s.get(13) & 0xff; eofAt = 40; break;
                case 1: offsetSize = s.get(13) & 0xff; eofAt = 44; break;
                case 2: case 3: offsetSize = s.get(9) & 0xff; eofAt = 28; break;
                default: throw new EnsembleFormatException(file, "unsupported HDF5 superblock version " + version);
            }
            if (offsetSize == 8 && s.limit() >= eofAt + 8) {
                // the end-of-file address is absolute (it includes a user block, as libhdf5 writes it)
                long eof = s.getLong(eofAt);
                if (eof > 0 && size < eof)
                    throw new EnsembleFormatException(file, "truncated: " + size + " bytes on disk but the HDF5 superblock records " + eof);
            }
        } catch (EnsembleFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new EnsembleFormatException(file, "cannot read: " + e, e);
        }
    }

    // ------------------------------------------------------------------ structure

    private static final class Parsed {
        ShardHeader header;
        Dataset configs, action, plaquette, configIndex, checksum;
        final Map<String, Dataset> extras = new TreeMap<>();
        final Map<String, Object> rawAttributes = new TreeMap<>();
        String contentSha256; // null: the shard predates the attribute
    }

    private static Parsed parse(HdfFile h, Path f) throws EnsembleFormatException {
        Map<String, Attribute> attrs = h.getAttributes();
        if (!attrs.containsKey(HdfSchema.A_FORMAT))
            throw new EnsembleFormatException(f, "missing attribute '" + HdfSchema.A_FORMAT + "' (not an mflow-hpc ensemble shard)");
        String format = stringAttr(attrs, f, HdfSchema.A_FORMAT);
        if (!HdfSchema.FORMAT.equals(format))
            throw new EnsembleFormatException(f, "attribute 'format' is '" + format + "', expected '" + HdfSchema.FORMAT + "'");
        long fv = longAttr(attrs, f, HdfSchema.A_FORMAT_VERSION);
        if (fv != HdfSchema.FORMAT_VERSION)
            throw new EnsembleFormatException(f, "format_version " + fv + " is not supported (this build reads " + HdfSchema.FORMAT_VERSION + ")");
        expectString(attrs, f, HdfSchema.A_ACTION_CONVENTION, HdfSchema.ACTION_CONVENTION);
        expectString(attrs, f, HdfSchema.A_PLAQUETTE_CONVENTION, HdfSchema.PLAQUETTE_CONVENTION);
        expectString(attrs, f, HdfSchema.A_SITE_ORDER, HdfSchema.SITE_ORDER);
        expectString(attrs, f, HdfSchema.A_LINK_LAYOUT, HdfSchema.LINK_LAYOUT);
        expectString(attrs, f, HdfSchema.A_CHECKSUM_CONVENTION, HdfSchema.CHECKSUM_CONVENTION);

        Group group;
        try {
            group = Group.parse(stringAttr(attrs, f, HdfSchema.A_GROUP));
        } catch (IllegalArgumentException e) {
            throw new EnsembleFormatException(f, "attribute 'group': " + e.getMessage());
        }
        int[] ext = intArrayAttr(attrs, f, HdfSchema.A_LATTICE);
        Lattice lattice;
        try {
            lattice = new Lattice(ext);
        } catch (IllegalArgumentException e) {
            throw new EnsembleFormatException(f, "attribute 'lattice' " + Arrays.toString(ext) + ": " + e.getMessage());
        }
        double beta = doubleAttr(attrs, f, HdfSchema.A_BETA);
        String actionKind = stringAttr(attrs, f, HdfSchema.A_ACTION_KIND);
        String algorithm = stringAttr(attrs, f, HdfSchema.A_ALGORITHM);
        long seed = longAttr(attrs, f, HdfSchema.A_SEED);
        String version = stringAttr(attrs, f, HdfSchema.A_MFLOW_VERSION);
        long nl = longAttr(attrs, f, HdfSchema.A_N_CONFIGS);
        long shardIndex = longAttr(attrs, f, HdfSchema.A_SHARD_INDEX);
        long first = longAttr(attrs, f, HdfSchema.A_FIRST_CONFIG_INDEX);
        if (nl < 1 || nl > Integer.MAX_VALUE) throw new EnsembleFormatException(f, "attribute 'n_configs' = " + nl + " is out of range");
        if (shardIndex < 0 || shardIndex > Integer.MAX_VALUE) throw new EnsembleFormatException(f, "attribute 'shard_index' = " + shardIndex + " is out of range");
        if (first < 0) throw new EnsembleFormatException(f, "attribute 'first_config_index' = " + first + " is negative");
        int n = (int) nl;

        Map<String, Object> extra = new TreeMap<>();
        for (Map.Entry<String, Attribute> e : attrs.entrySet()) {
            String k = e.getKey();
            if (HdfSchema.RESERVED_ATTRIBUTES.contains(k) || k.startsWith("_")) continue;
            Object v = data(e.getValue(), f, k);
            if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) v = ((Number) v).longValue();
            else if (v instanceof Float) v = ((Float) v).doubleValue();
            else if (!(v instanceof String) && !(v instanceof Double))
                throw new EnsembleFormatException(f, "extra attribute '" + k + "' must be a scalar string, integer or float, found " + describe(v));
            extra.put(k, v);
        }
        EnsembleMeta meta;
        try {
            meta = new EnsembleMeta(group, lattice, beta, actionKind, algorithm, seed, version, extra);
        } catch (IllegalArgumentException e) {
            throw new EnsembleFormatException(f, "invalid metadata: " + e.getMessage());
        }

        Parsed p = new Parsed();
        for (Map.Entry<String, Attribute> e : attrs.entrySet()) {
            if (e.getKey().startsWith("_")) continue;
            Object v = data(e.getValue(), f, e.getKey());
            if (v instanceof String || v instanceof Number || v instanceof int[] || v instanceof long[]) p.rawAttributes.put(e.getKey(), v);
            else throw new EnsembleFormatException(f, "attribute '" + e.getKey() + "' has an unsupported type: " + describe(v));
        }
        if (attrs.containsKey(HdfSchema.A_CONTENT_SHA256)) {
            String c = stringAttr(attrs, f, HdfSchema.A_CONTENT_SHA256);
            if (!c.matches("[0-9a-f]{64}")) throw new EnsembleFormatException(f, "attribute 'content_sha256' is not 64 lowercase hex digits");
            p.contentSha256 = c;
        }
        int[] cfgShape = {n, lattice.d, lattice.volume, group.dof};
        p.configs = dataset(h, f, HdfSchema.DS_CONFIGS, Kind.F64, cfgShape);
        p.action = dataset(h, f, HdfSchema.DS_ACTION, Kind.F64, new int[] {n});
        p.plaquette = dataset(h, f, HdfSchema.DS_PLAQUETTE, Kind.F64, new int[] {n});
        p.configIndex = dataset(h, f, HdfSchema.DS_CONFIG_INDEX, Kind.I64, new int[] {n});
        p.checksum = dataset(h, f, HdfSchema.DS_CHECKSUM, Kind.I64, new int[] {n});
        List<String> exD = new ArrayList<>(), exI = new ArrayList<>();
        for (Map.Entry<String, Node> e : new TreeMap<>(h.getChildren()).entrySet()) {
            String k = e.getKey();
            if (HdfSchema.RESERVED_DATASETS.contains(k)) continue;
            if (!(e.getValue() instanceof Dataset ds)) throw new EnsembleFormatException(f, "unexpected non-dataset object '" + k + "'");
            DataType t = ds.getDataType();
            Kind kind = Kind.F64.matches(t) ? Kind.F64 : Kind.I32.matches(t) ? Kind.I32 : null;
            if (kind == null)
                throw new EnsembleFormatException(f, "extra dataset '" + k + "' has dtype " + describe(t) + ", expected float64 or int32");
            dataset(h, f, k, kind, new int[] {n});
            p.extras.put(k, ds);
            (kind == Kind.F64 ? exD : exI).add(k);
        }
        p.header = new ShardHeader(f, meta, (int) shardIndex, first, n, exD, exI);
        return p;
    }

    private enum Kind {
        F64("float64"), I64("int64"), I32("int32");
        final String label;
        Kind(String label) { this.label = label; }
        boolean matches(DataType t) {
            switch (this) {
                case F64: return t instanceof FloatingPoint && t.getSize() == 8;
                case I64: return t instanceof FixedPoint fp && fp.isSigned() && t.getSize() == 8;
                default: return t instanceof FixedPoint fp && fp.isSigned() && t.getSize() == 4;
            }
        }
    }

    private static Dataset dataset(HdfFile h, Path f, String name, Kind kind, int[] shape) throws EnsembleFormatException {
        Node node = h.getChildren().get(name);
        if (node == null) throw new EnsembleFormatException(f, "missing dataset '" + name + "'");
        if (!(node instanceof Dataset ds)) throw new EnsembleFormatException(f, "'" + name + "' is not a dataset");
        DataType t = ds.getDataType();
        if (!kind.matches(t))
            throw new EnsembleFormatException(f, "dataset '" + name + "' has dtype " + describe(t) + ", expected " + kind.label);
        int[] dims = ds.isEmpty() ? new int[0] : ds.getDimensions();
        if (!Arrays.equals(dims, shape))
            throw new EnsembleFormatException(f, "dataset '" + name + "' has shape " + Arrays.toString(dims) + ", expected "
                    + Arrays.toString(shape) + " (from n_configs, lattice and group)");
        return ds;
    }

    private static ByteBuffer raw(Path f, Dataset ds, String name, long bytes, ByteOrder order) throws EnsembleFormatException {
        if (!(ds instanceof DatasetBase db)) throw new EnsembleFormatException(f, "dataset '" + name + "' cannot be read (unsupported storage)");
        ByteBuffer bb = db.getDataBuffer().duplicate().order(order);
        if (bb.remaining() < bytes)
            throw new EnsembleFormatException(f, "dataset '" + name + "' is truncated: " + bb.remaining() + " bytes, expected " + bytes);
        return bb;
    }

    private static double[] readDoubles(Path f, Dataset ds, String name, long count) throws EnsembleFormatException {
        ByteBuffer bb = raw(f, ds, name, 8 * count, ((FloatingPoint) ds.getDataType()).getByteOrder());
        double[] out = new double[(int) count];
        bb.asDoubleBuffer().get(out);
        return out;
    }

    private static long[] readLongs(Path f, Dataset ds, String name, int count) throws EnsembleFormatException {
        ByteBuffer bb = raw(f, ds, name, 8L * count, ((FixedPoint) ds.getDataType()).getByteOrder());
        long[] out = new long[count];
        bb.asLongBuffer().get(out);
        return out;
    }

    private static int[] readInts(Path f, Dataset ds, String name, int count) throws EnsembleFormatException {
        ByteBuffer bb = raw(f, ds, name, 4L * count, ((FixedPoint) ds.getDataType()).getByteOrder());
        int[] out = new int[count];
        bb.asIntBuffer().get(out);
        return out;
    }

    // ------------------------------------------------------------------ attributes

    private static Object data(Attribute a, Path f, String name) throws EnsembleFormatException {
        try {
            return a.getData();
        } catch (RuntimeException e) {
            throw new EnsembleFormatException(f, "attribute '" + name + "' is unreadable (" + e + ")", e);
        }
    }

    private static Object attr(Map<String, Attribute> attrs, Path f, String name) throws EnsembleFormatException {
        Attribute a = attrs.get(name);
        if (a == null) throw new EnsembleFormatException(f, "missing attribute '" + name + "'");
        return data(a, f, name);
    }

    private static String stringAttr(Map<String, Attribute> attrs, Path f, String name) throws EnsembleFormatException {
        Object v = attr(attrs, f, name);
        if (v instanceof String s) return s;
        throw new EnsembleFormatException(f, "attribute '" + name + "' must be a string, found " + describe(v));
    }

    private static void expectString(Map<String, Attribute> attrs, Path f, String name, String expected) throws EnsembleFormatException {
        String s = stringAttr(attrs, f, name);
        if (!s.equals(expected))
            throw new EnsembleFormatException(f, "attribute '" + name + "' is '" + s + "', expected '" + expected + "'");
    }

    private static long longAttr(Map<String, Attribute> attrs, Path f, String name) throws EnsembleFormatException {
        Object v = attr(attrs, f, name);
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        throw new EnsembleFormatException(f, "attribute '" + name + "' must be a scalar integer, found " + describe(v));
    }

    private static double doubleAttr(Map<String, Attribute> attrs, Path f, String name) throws EnsembleFormatException {
        Object v = attr(attrs, f, name);
        if (v instanceof Double || v instanceof Float) return ((Number) v).doubleValue();
        throw new EnsembleFormatException(f, "attribute '" + name + "' must be a scalar float, found " + describe(v));
    }

    private static int[] intArrayAttr(Map<String, Attribute> attrs, Path f, String name) throws EnsembleFormatException {
        Object v = attr(attrs, f, name);
        if (v instanceof int[] a) return a.clone();
        if (v instanceof long[] a) {
            int[] r = new int[a.length];
            for (int i = 0; i < a.length; i++) {
                if (a[i] < Integer.MIN_VALUE || a[i] > Integer.MAX_VALUE)
                    throw new EnsembleFormatException(f, "attribute '" + name + "' has an out-of-range entry " + a[i]);
                r[i] = (int) a[i];
            }
            return r;
        }
        throw new EnsembleFormatException(f, "attribute '" + name + "' must be an integer array, found " + describe(v));
    }

    private static String describe(Object v) {
        if (v == null) return "nothing";
        if (v.getClass().isArray()) return "an array of " + Array.getLength(v) + " " + v.getClass().getComponentType().getSimpleName();
        String s = String.valueOf(v);
        if (s.length() > 40) s = s.substring(0, 40) + "...";
        return v.getClass().getSimpleName() + " " + s;
    }

    private static String describe(DataType t) {
        if (t instanceof FloatingPoint) return "float" + 8 * t.getSize();
        if (t instanceof FixedPoint fp) return (fp.isSigned() ? "int" : "uint") + 8 * t.getSize();
        if (t instanceof StringData) return "string";
        return t == null ? "unknown" : t.getClass().getSimpleName();
    }
}
