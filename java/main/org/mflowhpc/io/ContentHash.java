package org.mflowhpc.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The shard attribute {@value #ATTRIBUTE}: a SHA-256 over everything in a shard that the per-configuration
 * checksums do not cover, so that a shard on its own (without manifest.json and its file hashes) still proves its
 * content. Definition (docs/hdf5-schema.md, with a Python reference):
 * <pre>
 *   for every root dataset except "configs", in name order:
 *       UTF-8 "name\n" + dtype ("float64" | "int64" | "int32") + "\n" + n + "\n", then the n values little-endian
 *   for every root attribute except "content_sha256" and names starting with "_", in name order:
 *       UTF-8 "name\n" + type + "\n" + byte length + "\n", then the value:
 *         string  UTF-8 bytes
 *         int64   any scalar integer, 8 bytes little-endian
 *         float64 any scalar float, 8 bytes little-endian (IEEE-754)
 *         int[]   an integer array (lattice), each element as 8 bytes little-endian
 *   content_sha256 = lowercase hex of the digest
 * </pre>
 * "configs" is left out because dataset "checksum" commits to every configuration (and is itself hashed here), so
 * checking a shard costs one pass over the links (the checksums) plus a hash of a few small arrays. Name order is
 * Java {@link String#compareTo} order, which equals byte order for the ASCII names the schema allows.
 */
public final class ContentHash {
    private ContentHash() {}

    public static final String ATTRIBUTE = "content_sha256";

    /**
     * @param datasets   name -> double[] (float64), long[] (int64) or int[] (int32); "configs" must not be in it
     * @param attributes name -> String, an integer or float scalar (boxed), int[] or long[]; content_sha256 and
     *                   names starting with "_" are skipped
     */
    public static String of(Map<String, ?> datasets, Map<String, ?> attributes) {
        MessageDigest md = sha256();
        for (Map.Entry<String, ?> e : new TreeMap<>(datasets).entrySet()) {
            String k = e.getKey();
            if (k.equals(HdfSchema.DS_CONFIGS)) continue;
            Object v = e.getValue();
            ByteBuffer bb;
            String dtype;
            if (v instanceof double[] a) {
                dtype = "float64";
                bb = ByteBuffer.allocate(8 * a.length).order(ByteOrder.LITTLE_ENDIAN);
                bb.asDoubleBuffer().put(a);
            } else if (v instanceof long[] a) {
                dtype = "int64";
                bb = ByteBuffer.allocate(8 * a.length).order(ByteOrder.LITTLE_ENDIAN);
                bb.asLongBuffer().put(a);
            } else if (v instanceof int[] a) {
                dtype = "int32";
                bb = ByteBuffer.allocate(4 * a.length).order(ByteOrder.LITTLE_ENDIAN);
                bb.asIntBuffer().put(a);
            } else {
                throw new IllegalArgumentException("content hash: dataset '" + k + "' is a " + (v == null ? "null" : v.getClass().getSimpleName()));
            }
            int n = bb.capacity() / (dtype.equals("int32") ? 4 : 8);
            md.update((k + "\n" + dtype + "\n" + n + "\n").getBytes(StandardCharsets.UTF_8));
            md.update(bb.array());
        }
        for (Map.Entry<String, ?> e : new TreeMap<>(attributes).entrySet()) {
            String k = e.getKey();
            if (k.equals(ATTRIBUTE) || k.startsWith("_")) continue;
            Object v = e.getValue();
            String type;
            byte[] b;
            if (v instanceof String s) {
                type = "string";
                b = s.getBytes(StandardCharsets.UTF_8);
            } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
                type = "int64";
                b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(((Number) v).longValue()).array();
            } else if (v instanceof Double || v instanceof Float) {
                type = "float64";
                b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(((Number) v).doubleValue()).array();
            } else if (v instanceof int[] a) {
                type = "int[]";
                ByteBuffer bb = ByteBuffer.allocate(8 * a.length).order(ByteOrder.LITTLE_ENDIAN);
                for (int x : a) bb.putLong(x);
                b = bb.array();
            } else if (v instanceof long[] a) {
                type = "int[]";
                ByteBuffer bb = ByteBuffer.allocate(8 * a.length).order(ByteOrder.LITTLE_ENDIAN);
                for (long x : a) bb.putLong(x);
                b = bb.array();
            } else {
                throw new IllegalArgumentException("content hash: attribute '" + k + "' is a " + (v == null ? "null" : v.getClass().getSimpleName()));
            }
            md.update((k + "\n" + type + "\n" + b.length + "\n").getBytes(StandardCharsets.UTF_8));
            md.update(b);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }
}
