package org.mflowhpc.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Array ensembles: one ensemble directory written by many independent tasks (SLURM array tasks, or the same tasks
 * run one after another in one process), each task into its own task directory, joined by a top-level index.
 * <pre>
 *   ENS/
 *     index.json          written by `mflow merge ENS` ({@link #build} + {@link Index#write}); never by a task
 *     task-00000/         a complete ensemble directory of task 0 (manifest.json, shard-*.h5, sampler-state.json)
 *     task-00001/         ...
 * </pre>
 * The ensemble is the concatenation of the tasks in increasing task order, each task's shards in manifest order:
 * configuration j (local config_index) of task k has the global index {@code first_config_index(k) + j}, with
 * first_config_index(k) the number of configurations of all listed tasks before k. Every task writes only inside
 * its own directory (its own writer lock, manifest and state), so tasks never race with each other.
 *
 * <p>index.json (format {@value #FORMAT}, format_version 1):
 * {@code {format, format_version, meta, n_tasks, n_configs, tasks: [{task, dir, first_config_index, n_configs,
 * manifest_sha256, shards: [manifest shard entries]}]}}. {@code meta} is the metadata common to all tasks: task 0's
 * manifest meta without the extra attribute {@value #TASK_EXTRA}. Tasks are listed in strictly increasing order,
 * first_config_index is contiguous from 0, each task's n_configs is the sum over its shards, and manifest_sha256 is
 * the SHA-256 of the task's manifest.json when the index was written. The index holds no wall-clock time, so two
 * runs that produce the same configurations produce byte-identical index files.
 *
 * <p>Consistency rules (checked by {@link #build}, by {@link #openShards} on every open, and by the
 * {@link Verifier}): every task directory on disk is listed and every listed one exists; each task's manifest is the
 * one the index recorded (same SHA-256, same shard list); all tasks share group, lattice, beta, action kind,
 * algorithm, seed and extras except {@value #TASK_EXTRA}, which, where present, equals the task's number (a task
 * directory renamed or swapped is caught). {@link #build} additionally refuses a task whose writer lock is held (still
 * running), a task without configurations, and whatever the caller's {@link Completeness} check reports (e.g. a
 * sampler that has not reached its target). All messages are one line naming the offending file.
 */
public final class ArrayEnsemble {
    private ArrayEnsemble() {}

    public static final String INDEX = "index.json";
    public static final String FORMAT = "mflow-hpc-ensemble-index";
    public static final String TASK_PREFIX = "task-";
    /** Extra attribute that records the writing task's number in every shard and manifest. */
    public static final String TASK_EXTRA = "slurm_task";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** One task of the index. */
    public record Task(int task, String dir, long firstConfigIndex, long nConfigs, String manifestSha256, List<ShardEntry> shards) {
        public Task {
            if (task < 0) throw new IllegalArgumentException("task must be >= 0, got " + task);
            if (!taskDirName(task).equals(dir)) throw new IllegalArgumentException("task " + task + " must live in " + taskDirName(task) + ", not '" + dir + "'");
            if (firstConfigIndex < 0) throw new IllegalArgumentException("first_config_index of task " + task + " must be >= 0");
            if (manifestSha256 == null || !manifestSha256.matches("[0-9a-f]{64}"))
                throw new IllegalArgumentException("manifest_sha256 of task " + task + " must be 64 lowercase hex digits");
            shards = List.copyOf(shards);
            if (shards.isEmpty()) throw new IllegalArgumentException("task " + task + " lists no shards");
            long n = 0;
            for (ShardEntry e : shards) n += e.nConfigs();
            if (n != nConfigs) throw new IllegalArgumentException("n_configs " + nConfigs + " of task " + task + " differs from the sum over its shards " + n);
            for (int i = 0; i < shards.size(); i++) {
                ShardEntry e = shards.get(i);
                long expect = i == 0 ? 0 : shards.get(i - 1).endConfigIndex();
                if (e.firstConfigIndex() != expect)
                    throw new IllegalArgumentException(e.file() + " of task " + task + " starts at config_index " + e.firstConfigIndex() + ", expected " + expect);
                if (i > 0 && e.shardIndex() <= shards.get(i - 1).shardIndex())
                    throw new IllegalArgumentException("shard_index " + e.shardIndex() + " of task " + task + " does not follow " + shards.get(i - 1).shardIndex());
            }
        }

        public long endConfigIndex() { return firstConfigIndex + nConfigs; }
    }

    /** The contents of index.json. Immutable; validated on construction (IllegalArgumentException). */
    public record Index(EnsembleMeta meta, List<Task> tasks) {
        public Index {
            if (meta == null) throw new IllegalArgumentException("index: missing meta");
            if (meta.extra().containsKey(TASK_EXTRA)) throw new IllegalArgumentException("index: meta must not carry the per-task extra " + TASK_EXTRA);
            tasks = List.copyOf(tasks);
            if (tasks.isEmpty()) throw new IllegalArgumentException("index: lists no tasks");
            long next = 0;
            int prev = -1;
            for (Task t : tasks) {
                if (t.task() <= prev) throw new IllegalArgumentException("index: task " + t.task() + " does not follow task " + prev);
                if (t.firstConfigIndex() != next)
                    throw new IllegalArgumentException("index: task " + t.task() + " starts at first_config_index " + t.firstConfigIndex() + ", expected " + next);
                next = t.endConfigIndex();
                prev = t.task();
            }
        }

        public long totalConfigs() { return tasks.get(tasks.size() - 1).endConfigIndex(); }

        public SortedSet<Integer> taskIds() {
            TreeSet<Integer> s = new TreeSet<>();
            for (Task t : tasks) s.add(t.task());
            return s;
        }

        String toJson() {
            ObjectNode root = JSON.createObjectNode();
            root.put("format", FORMAT);
            root.put("format_version", HdfSchema.FORMAT_VERSION);
            root.set("meta", Manifest.metaJson(meta));
            root.put("n_tasks", tasks.size());
            root.put("n_configs", totalConfigs());
            ArrayNode arr = root.putArray("tasks");
            for (Task t : tasks) {
                ObjectNode o = arr.addObject();
                o.put("task", t.task());
                o.put("dir", t.dir());
                o.put("first_config_index", t.firstConfigIndex());
                o.put("n_configs", t.nConfigs());
                o.put("manifest_sha256", t.manifestSha256());
                ArrayNode sh = o.putArray("shards");
                for (ShardEntry e : t.shards()) {
                    ObjectNode s = sh.addObject();
                    s.put("file", e.file());
                    s.put("shard_index", e.shardIndex());
                    s.put("n_configs", e.nConfigs());
                    s.put("first_config_index", e.firstConfigIndex());
                    s.put("bytes", e.bytes());
                    s.put("sha256", e.sha256());
                }
            }
            try {
                return JSON.writeValueAsString(root) + "\n";
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot serialise index", e);
            }
        }

        /** Writes {@code dir/index.json} atomically (temporary file, fsync, rename, fsync of the directory). */
        public void write(Path dir) throws IOException {
            Path tmp = dir.resolve("." + INDEX + ".tmp");
            byte[] bytes = toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                ByteBuffer bb = ByteBuffer.wrap(bytes);
                while (bb.hasRemaining()) ch.write(bb);
                ch.force(true);
            }
            Files.move(tmp, dir.resolve(INDEX), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            ShardWriter.fsync(dir, true);
        }

        /** Reads and validates an index.json file ({@link EnsembleFormatException} naming the file). */
        public static Index read(Path file) throws IOException {
            if (!Files.isRegularFile(file)) throw new EnsembleFormatException(file, "does not exist or is not a regular file");
            JsonNode root;
            try {
                root = JSON.readTree(Files.readAllBytes(file));
            } catch (JsonProcessingException e) {
                throw new EnsembleFormatException(file, "not valid JSON (" + e.getOriginalMessage() + ")");
            }
            if (root == null || !root.isObject()) throw new EnsembleFormatException(file, "not a JSON object");
            try {
                if (!FORMAT.equals(text(root, "format")))
                    throw new IllegalArgumentException("'format' is '" + text(root, "format") + "', expected '" + FORMAT + "'");
                if (integer(root, "format_version") != HdfSchema.FORMAT_VERSION)
                    throw new IllegalArgumentException("format_version " + integer(root, "format_version") + " is not supported");
                EnsembleMeta meta = Manifest.parseMeta(node(root, "meta"));
                JsonNode arr = node(root, "tasks");
                if (!arr.isArray()) throw new IllegalArgumentException("'tasks' must be an array");
                List<Task> tasks = new ArrayList<>();
                for (JsonNode o : arr) {
                    if (!o.isObject()) throw new IllegalArgumentException("every entry of 'tasks' must be an object");
                    JsonNode sh = node(o, "shards");
                    if (!sh.isArray()) throw new IllegalArgumentException("'shards' of a task must be an array");
                    List<ShardEntry> shards = new ArrayList<>();
                    for (JsonNode s : sh) {
                        if (!s.isObject()) throw new IllegalArgumentException("every shard entry must be an object");
                        shards.add(new ShardEntry(text(s, "file"), toInt(integer(s, "shard_index")), toInt(integer(s, "n_configs")),
                                integer(s, "first_config_index"), integer(s, "bytes"), text(s, "sha256")));
                    }
                    tasks.add(new Task(toInt(integer(o, "task")), text(o, "dir"), integer(o, "first_config_index"), integer(o, "n_configs"),
                            text(o, "manifest_sha256"), shards));
                }
                Index idx = new Index(meta, tasks);
                if (integer(root, "n_tasks") != tasks.size())
                    throw new IllegalArgumentException("'n_tasks' " + integer(root, "n_tasks") + " differs from the " + tasks.size() + " listed tasks");
                if (integer(root, "n_configs") != idx.totalConfigs())
                    throw new IllegalArgumentException("'n_configs' " + integer(root, "n_configs") + " differs from the sum over tasks " + idx.totalConfigs());
                return idx;
            } catch (IllegalArgumentException e) {
                throw new EnsembleFormatException(file, e.getMessage());
            }
        }
    }

    /** A caller's test that a task has finished its work: null if complete, else a one-line problem. */
    @FunctionalInterface
    public interface Completeness {
        String check(int task, Path taskDir, Manifest manifest) throws IOException;
    }

    // ------------------------------------------------------------------ names and task lists

    /** Directory name of task {@code task}: task-00000 (at least five digits). */
    public static String taskDirName(int task) {
        if (task < 0) throw new IllegalArgumentException("task must be >= 0, got " + task);
        return String.format("%s%05d", TASK_PREFIX, task);
    }

    /** Task number parsed from a directory name task-NNNNN, or -1. */
    public static int parseTaskDir(String name) {
        if (!name.startsWith(TASK_PREFIX)) return -1;
        String digits = name.substring(TASK_PREFIX.length());
        if (digits.length() < 5 || digits.length() > 9 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) return -1;
        return Integer.parseInt(digits);
    }

    /** The task directories in {@code dir} by task number (only directories named task-NNNNN). */
    public static TreeMap<Integer, Path> taskDirs(Path dir) throws IOException {
        TreeMap<Integer, Path> m = new TreeMap<>();
        if (!Files.isDirectory(dir)) return m;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, TASK_PREFIX + "*")) {
            for (Path p : ds) {
                int t = parseTaskDir(p.getFileName().toString());
                if (t >= 0 && Files.isDirectory(p)) m.put(t, p);
            }
        }
        return m;
    }

    /** True if {@code dir} holds an index.json or task directories (an array ensemble, merged or not). */
    public static boolean isArrayDirectory(Path dir) throws IOException {
        return Files.exists(dir.resolve(INDEX)) || !taskDirs(dir).isEmpty();
    }

    /**
     * Parses a task list such as {@code 0-3}, {@code 0,2,5} or {@code 0-3,8,10-11} (SLURM --array syntax without
     * step or limit suffixes) into a sorted set; IllegalArgumentException with a one-line message otherwise.
     */
    public static SortedSet<Integer> parseTasks(String spec) {
        TreeSet<Integer> out = new TreeSet<>();
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("empty task list (expected e.g. 0-3 or 0,2,5)");
        for (String part : spec.trim().split(",")) {
            String p = part.trim();
            try {
                int dash = p.indexOf('-', 1);
                int a, b;
                if (dash < 0) a = b = Integer.parseInt(p);
                else { a = Integer.parseInt(p.substring(0, dash).trim()); b = Integer.parseInt(p.substring(dash + 1).trim()); }
                if (a < 0 || b < a) throw new NumberFormatException();
                if ((long) b - a >= 1_000_000) throw new IllegalArgumentException("task range '" + p + "' is too large (at most 1000000 tasks)");
                for (int t = a; t <= b; t++) out.add(t);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad task list '" + spec + "': '" + p + "' is not a task number or range a-b with 0 <= a <= b");
            }
        }
        return out;
    }

    /** The shortest range notation of a task set, e.g. "0-3,8". */
    public static String formatTasks(Collection<Integer> tasks) {
        StringBuilder sb = new StringBuilder();
        Integer start = null, prev = null;
        for (int t : new TreeSet<>(tasks)) {
            if (start == null) { start = prev = t; continue; }
            if (t == prev + 1) { prev = t; continue; }
            append(sb, start, prev);
            start = prev = t;
        }
        if (start != null) append(sb, start, prev);
        return sb.toString();
    }

    private static void append(StringBuilder sb, int a, int b) {
        if (sb.length() > 0) sb.append(',');
        sb.append(a);
        if (b > a) sb.append('-').append(b);
    }

    // ------------------------------------------------------------------ merge

    /**
     * Builds the index of the array ensemble in {@code dir} from its task directories. {@code expected}: the tasks
     * that must be there (null: those on disk, which must then be contiguous). Reads manifests and shard headers
     * only; contents and file hashes are the {@link Verifier}'s job. Nothing is written.
     */
    public static Index build(Path dir, SortedSet<Integer> expected, Completeness completeness) throws IOException {
        if (!Files.isDirectory(dir)) throw new EnsembleFormatException(dir, "is not a directory");
        if (Files.exists(dir.resolve(HdfSchema.MANIFEST)) || !Ensemble.shardFiles(dir).isEmpty())
            throw new EnsembleFormatException(dir, "is a plain ensemble directory (manifest.json or shard files at top level), not an array ensemble of task-NNNNN directories");
        TreeMap<Integer, Path> onDisk = taskDirs(dir);
        if (onDisk.isEmpty()) throw new EnsembleFormatException(dir, "holds no task-NNNNN directories (nothing to merge)");
        if (expected != null) {
            for (int t : expected)
                if (!onDisk.containsKey(t))
                    throw new EnsembleFormatException(dir.resolve(taskDirName(t)), "is missing (expected tasks " + formatTasks(expected) + ")");
            for (int t : onDisk.keySet())
                if (!expected.contains(t))
                    throw new EnsembleFormatException(onDisk.get(t), "exists but task " + t + " is not among the expected tasks " + formatTasks(expected)
                            + "; remove it or include it in the task list");
        } else {
            int first = onDisk.firstKey();
            for (int t = first; t <= onDisk.lastKey(); t++)
                if (!onDisk.containsKey(t))
                    throw new EnsembleFormatException(dir.resolve(taskDirName(t)), "is missing: the task directories on disk are "
                            + formatTasks(onDisk.keySet()) + "; name the tasks explicitly to merge a non-contiguous set");
        }
        List<Task> tasks = new ArrayList<>();
        EnsembleMeta common = null;
        Path commonFrom = null;
        long next = 0;
        for (Map.Entry<Integer, Path> e : onDisk.entrySet()) {
            int t = e.getKey();
            Path td = e.getValue();
            Path mf = td.resolve(HdfSchema.MANIFEST);
            if (!Files.exists(mf)) throw new EnsembleFormatException(mf, "missing: task " + t + " has not started writing (or its directory is not an ensemble)");
            String active = activeWriter(td);
            if (active != null) throw new EnsembleFormatException(td, active);
            Manifest m = Manifest.read(mf);
            String p = taskMetaProblem(t, m.meta());
            if (p != null) throw new EnsembleFormatException(mf, p);
            if (common == null) { common = commonMeta(m.meta()); commonFrom = mf; }
            else {
                String d = metaDifference(common, m.meta());
                if (d != null) throw new EnsembleFormatException(mf, d + " in " + commonFrom + "; all tasks of an array ensemble must share their metadata");
            }
            if (m.shards().isEmpty()) throw new EnsembleFormatException(mf, "lists no shards: task " + t + " has published no configurations");
            if (completeness != null) {
                String c = completeness.check(t, td, m);
                if (c != null) throw new EnsembleFormatException(td, c);
            }
            for (ShardEntry se : m.shards()) {
                Path sp = td.resolve(se.file());
                if (!Files.isRegularFile(sp)) throw new EnsembleFormatException(sp, "listed in manifest.json but missing");
                if (Files.size(sp) != se.bytes())
                    throw new EnsembleFormatException(sp, "has " + Files.size(sp) + " bytes but manifest.json records " + se.bytes());
                ShardHeader h = ShardReader.readHeader(sp);
                if (h.nConfigs() != se.nConfigs() || h.firstConfigIndex() != se.firstConfigIndex() || h.shardIndex() != se.shardIndex())
                    throw new EnsembleFormatException(sp, "disagrees with manifest.json (shard_index/n_configs/first_config_index)");
                String d = m.meta().physicsDifference(h.meta());
                if (d != null) throw new EnsembleFormatException(sp, d + " in manifest.json");
                if (!h.meta().extra().equals(m.meta().extra()) || h.meta().seed() != m.meta().seed() || !h.meta().algorithm().equals(m.meta().algorithm()))
                    throw new EnsembleFormatException(sp, "metadata (seed, algorithm or extras) differs from its manifest.json");
            }
            long n = m.totalConfigs();
            try {
                tasks.add(new Task(t, taskDirName(t), next, n, HdfSchema.sha256Hex(mf), m.shards()));
            } catch (IllegalArgumentException ex) {
                throw new EnsembleFormatException(mf, ex.getMessage());
            }
            next += n;
        }
        return new Index(common, tasks);
    }

    /** Non-null (a problem) if another process holds the task's writer lock. */
    static String activeWriter(Path taskDir) {
        Path lockFile = taskDir.resolve(EnsembleWriter.LOCK);
        if (!Files.exists(lockFile)) return null;
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) return "is still being written (its " + EnsembleWriter.LOCK + " is locked by a running writer)";
            l.release();
            return null;
        } catch (IOException e) {
            return null; // read-only or lock-less file system: nothing can be decided, the content checks still apply
        }
    }

    /** Problem with the per-task extra of a task's metadata, or null. */
    static String taskMetaProblem(int task, EnsembleMeta m) {
        Object v = m.extra().get(TASK_EXTRA);
        if (v != null && !(v instanceof Long l && l == task))
            return "records " + TASK_EXTRA + " = " + v + " but lies in " + taskDirName(task) + " (a task directory renamed, swapped or copied)";
        return null;
    }

    /** The metadata common to all tasks: {@code m} without {@value #TASK_EXTRA}. */
    static EnsembleMeta commonMeta(EnsembleMeta m) {
        Map<String, Object> ex = new TreeMap<>(m.extra());
        ex.remove(TASK_EXTRA);
        return new EnsembleMeta(m.group(), m.lattice(), m.beta(), m.actionKind(), m.algorithm(), m.seed(), m.mflowVersion(), ex);
    }

    /** First difference between the common metadata and a task's (mflow_version and the task extra ignored), or null. */
    static String metaDifference(EnsembleMeta common, EnsembleMeta task) {
        return EnsembleWriter.metaDifference(common.withMflowVersion(task.mflowVersion()), commonMeta(task));
    }

    // ------------------------------------------------------------------ reading

    /**
     * The shard headers of a merged array ensemble in reading order (tasks in index order), after checking that the
     * index describes what is on disk (see the class comment); used by {@link Ensemble#open}. Each task directory is
     * opened by {@code Ensemble.openDirectory}, which appends one manifest entry per shard to {@code entries} (so
     * readShard checks every shard's SHA-256) and what it could not check to {@code notes}.
     */
    static List<ShardHeader> openShards(Path dir, List<ShardEntry> entries, List<String> notes) throws IOException {
        Path ip = dir.resolve(INDEX);
        Index idx = Index.read(ip);
        TreeMap<Integer, Path> onDisk = taskDirs(dir);
        for (Map.Entry<Integer, Path> e : onDisk.entrySet())
            if (!idx.taskIds().contains(e.getKey()))
                throw new EnsembleFormatException(e.getValue(), "is not listed in " + ip + " (the index is out of date: rerun 'mflow merge " + dir + "')");
        List<ShardHeader> hs = new ArrayList<>();
        for (Task t : idx.tasks()) {
            Path td = dir.resolve(t.dir());
            Path mf = td.resolve(HdfSchema.MANIFEST);
            String p = checkTaskAgainstIndex(idx, t, td);
            if (p != null) throw new EnsembleFormatException(mf, p);
            List<ShardHeader> th = Ensemble.openDirectory(td, entries, notes);
            for (ShardHeader h : th) {
                String q = taskMetaProblem(t.task(), h.meta());
                if (q != null) throw new EnsembleFormatException(h.file(), q);
            }
            hs.addAll(th);
        }
        return hs;
    }

    /** Null if task directory {@code td} is what the index recorded for task {@code t}; else the problem. */
    static String checkTaskAgainstIndex(Index idx, Task t, Path td) throws IOException {
        Path mf = td.resolve(HdfSchema.MANIFEST);
        if (!Files.isDirectory(td)) return "task directory " + td + " is listed in index.json but missing";
        if (!Files.isRegularFile(mf)) return "missing (task " + t.task() + " is listed in index.json)";
        String sha = HdfSchema.sha256Hex(mf);
        if (!sha.equals(t.manifestSha256()))
            return "changed since index.json was written (SHA-256 " + sha + ", index records " + t.manifestSha256()
                    + "): the task was resumed or modified; rerun 'mflow merge'";
        Manifest m = Manifest.read(mf);
        if (!m.shards().equals(t.shards())) return "lists other shards than index.json records for task " + t.task();
        String p = taskMetaProblem(t.task(), m.meta());
        if (p != null) return p;
        String d = metaDifference(idx.meta(), m.meta());
        if (d != null) return d + " in index.json";
        return null;
    }

    // ------------------------------------------------------------------ JSON helpers

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

    private static int toInt(long v) {
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw new IllegalArgumentException("value out of range: " + v);
        return (int) v;
    }
}
