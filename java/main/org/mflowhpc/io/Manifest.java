package org.mflowhpc.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.Lattice;

/**
 * manifest.json of an ensemble directory (format described in docs/hdf5-schema.md): the ensemble metadata and the
 * list of published shards in order (file, shard_index, n_configs, first_config_index, bytes, sha256 of the file).
 * Shards are contiguous: each starts at the previous one's end index, shard indices strictly increase.
 *
 * <p>{@link #read} validates everything (also: nothing after the JSON object, no duplicate keys) and throws
 * {@link EnsembleFormatException} (one line, naming manifest.json).
 * {@link #write} replaces the manifest atomically: .manifest.json.tmp, fsync, rename over manifest.json, fsync the
 * directory; readers see either the old or the new manifest, never a partial one. Immutable.
 */
public record Manifest(EnsembleMeta meta, List<ShardEntry> shards) {
    public static final String FORMAT = "mflow-hpc-ensemble";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Reading: trailing content after the JSON object and duplicate keys are errors, not silently ignored. */
    private static final com.fasterxml.jackson.databind.ObjectReader STRICT = JSON.reader()
            .with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .with(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION);

    public Manifest {
        shards = List.copyOf(shards);
        for (int i = 1; i < shards.size(); i++) {
            ShardEntry a = shards.get(i - 1), b = shards.get(i);
            if (b.shardIndex() <= a.shardIndex())
                throw new IllegalArgumentException("manifest: shard_index " + b.shardIndex() + " does not follow " + a.shardIndex());
            if (b.firstConfigIndex() != a.endConfigIndex())
                throw new IllegalArgumentException("manifest: " + b.file() + " starts at config_index " + b.firstConfigIndex()
                        + ", expected " + a.endConfigIndex() + " (end of " + a.file() + ")");
        }
    }

    public static Manifest empty(EnsembleMeta meta) { return new Manifest(meta, List.of()); }

    /** A copy with one more shard at the end. */
    public Manifest with(ShardEntry e) {
        List<ShardEntry> l = new ArrayList<>(shards);
        l.add(e);
        return new Manifest(meta, l);
    }

    public long totalConfigs() {
        long n = 0;
        for (ShardEntry e : shards) n += e.nConfigs();
        return n;
    }

    /** config_index after the last shard, or {@code start} if there are no shards. */
    public long endConfigIndex(long start) { return shards.isEmpty() ? start : shards.get(shards.size() - 1).endConfigIndex(); }

    /** Shard index after the last shard (0 if none). */
    public int nextShardIndex() { return shards.isEmpty() ? 0 : shards.get(shards.size() - 1).shardIndex() + 1; }

    // ------------------------------------------------------------------ JSON

    String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("format_version", HdfSchema.FORMAT_VERSION);
        root.set("meta", metaJson(meta));
        root.put("n_configs", totalConfigs());
        ArrayNode arr = root.putArray("shards");
        for (ShardEntry e : shards) {
            ObjectNode o = arr.addObject();
            o.put("file", e.file());
            o.put("shard_index", e.shardIndex());
            o.put("n_configs", e.nConfigs());
            o.put("first_config_index", e.firstConfigIndex());
            o.put("bytes", e.bytes());
            o.put("sha256", e.sha256());
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise manifest", e);
        }
    }

    static ObjectNode metaJson(EnsembleMeta m) {
        ObjectNode o = JSON.createObjectNode();
        o.put("group", m.group().name());
        ArrayNode l = o.putArray("lattice");
        for (int x : m.lattice().extents()) l.add(x);
        o.put("beta", m.beta());
        o.put("action_kind", m.actionKind());
        o.put("algorithm", m.algorithm());
        o.put("seed", m.seed());
        o.put("mflow_version", m.mflowVersion());
        ObjectNode ex = o.putObject("extra");
        for (Map.Entry<String, Object> e : m.extra().entrySet()) {
            Object v = e.getValue();
            if (v instanceof Long x) ex.put(e.getKey(), x);
            else if (v instanceof Double x) ex.put(e.getKey(), x);
            else ex.put(e.getKey(), (String) v);
        }
        return o;
    }

    /** Writes {@code dir/manifest.json} atomically (see class comment). */
    public void write(Path dir) throws IOException {
        Path tmp = dir.resolve("." + HdfSchema.MANIFEST + ".tmp");
        Path target = dir.resolve(HdfSchema.MANIFEST);
        byte[] bytes = toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                ByteBuffer bb = ByteBuffer.wrap(bytes);
                while (bb.hasRemaining()) ch.write(bb);
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try { Files.deleteIfExists(tmp); } catch (IOException ignored) { /* the failure below is what matters */ }
            throw IoErrors.at(target, e); // the old manifest.json is untouched
        }
        ShardWriter.fsync(dir, true);
    }

    /** Reads and validates a manifest.json file. */
    public static Manifest read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new EnsembleFormatException(file, "does not exist or is not a regular file");
        JsonNode root;
        try {
            root = STRICT.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            throw new EnsembleFormatException(file, "not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) throw new EnsembleFormatException(file, "not a JSON object");
        try {
            if (!FORMAT.equals(text(root, "format")))
                throw new IllegalArgumentException("'format' is '" + text(root, "format") + "', expected '" + FORMAT + "'");
            long fv = integer(root, "format_version");
            if (fv != HdfSchema.FORMAT_VERSION) throw new IllegalArgumentException("format_version " + fv + " is not supported");
            EnsembleMeta meta = parseMeta(node(root, "meta"));
            JsonNode arr = node(root, "shards");
            if (!arr.isArray()) throw new IllegalArgumentException("'shards' must be an array");
            List<ShardEntry> shards = new ArrayList<>();
            for (JsonNode o : arr) {
                if (!o.isObject()) throw new IllegalArgumentException("every entry of 'shards' must be an object");
                shards.add(new ShardEntry(text(o, "file"), toInt(integer(o, "shard_index"), "shard_index"), toInt(integer(o, "n_configs"), "n_configs"),
                        integer(o, "first_config_index"), integer(o, "bytes"), text(o, "sha256")));
            }
            Manifest m = new Manifest(meta, shards);
            if (root.has("n_configs") && integer(root, "n_configs") != m.totalConfigs())
                throw new IllegalArgumentException("'n_configs' " + integer(root, "n_configs") + " differs from the sum over shards " + m.totalConfigs());
            return m;
        } catch (IllegalArgumentException e) {
            throw new EnsembleFormatException(file, e.getMessage());
        }
    }

    static EnsembleMeta parseMeta(JsonNode m) {
        if (!m.isObject()) throw new IllegalArgumentException("'meta' must be an object");
        Group g = Group.parse(text(m, "group"));
        JsonNode l = node(m, "lattice");
        if (!l.isArray()) throw new IllegalArgumentException("'lattice' must be an array of integers");
        int[] ext = new int[l.size()];
        for (int i = 0; i < ext.length; i++) {
            if (!l.get(i).canConvertToInt() || !l.get(i).isIntegralNumber()) throw new IllegalArgumentException("'lattice' must be an array of integers");
            ext[i] = l.get(i).intValue();
        }
        JsonNode b = node(m, "beta");
        if (!b.isNumber()) throw new IllegalArgumentException("'beta' must be a number");
        Map<String, Object> extra = new TreeMap<>();
        JsonNode ex = m.get("extra");
        if (ex != null) {
            if (!ex.isObject()) throw new IllegalArgumentException("'extra' must be an object");
            for (Iterator<Map.Entry<String, JsonNode>> it = ex.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode v = e.getValue();
                if (v.isTextual()) extra.put(e.getKey(), v.textValue());
                else if (v.isIntegralNumber() && v.canConvertToLong()) extra.put(e.getKey(), v.longValue());
                else if (v.isFloatingPointNumber()) extra.put(e.getKey(), v.doubleValue());
                else throw new IllegalArgumentException("extra '" + e.getKey() + "' must be a string or a number");
            }
        }
        return new EnsembleMeta(g, new Lattice(ext), b.doubleValue(), text(m, "action_kind"), text(m, "algorithm"),
                integer(m, "seed"), text(m, "mflow_version"), extra);
    }

    private static JsonNode node(JsonNode o, String k) {
        JsonNode v = o.get(k);
        if (v == null || v.isNull()) throw new IllegalArgumentException("missing '" + k + "'");
        return v;
    }

    private static String text(JsonNode o, String k) {
        JsonNode v = node(o, k);
        if (!v.isTextual()) throw new IllegalArgumentException("'" + k + "' must be a string");
        return v.textValue();
    }

    private static long integer(JsonNode o, String k) {
        JsonNode v = node(o, k);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) throw new IllegalArgumentException("'" + k + "' must be an integer");
        return v.longValue();
    }

    private static int toInt(long v, String k) {
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw new IllegalArgumentException("'" + k + "' is out of range: " + v);
        return (int) v;
    }
}
