package org.mflowhpc.io;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;

/**
 * Deep verification of ensembles (directories or shard files) that, unlike the readers, does not stop at the first
 * problem: it returns a {@link Report} listing every fault as one line naming the file. Checks:
 * <ul>
 *   <li>directories: manifest.json present and valid; every listed shard exists with the recorded size and
 *       SHA-256; its shard_index, n_configs and first_config_index and its whole run metadata (physics, algorithm,
 *       seed, extra attributes; not mflow_version) agree with the manifest; no shard file on disk is missing from
 *       the manifest (such files are verified too); shard file names match their shard_index; without a manifest,
 *       config_index ranges do not overlap;
 *   <li>each shard: schema, attributes, dtypes and shapes ({@link ShardReader}); the content hash
 *       ({@link ContentHash}: every attribute and every dataset but configs; a note for older shards without it);
 *       per configuration: finite values,
 *       checksum recomputed, unitarity (SU(3): {@link SU3#unitarityDeviation} &lt; {@value #UNITARITY_TOLERANCE}
 *       for every link; U(1): every angle finite and in [-pi, pi]), stored plaquette and Wilson action recomputed
 *       on the given backend (|dP| &lt;= {@value #PLAQUETTE_TOLERANCE}, |dS| &lt;= {@value #PLAQUETTE_TOLERANCE}
 *       x max(1, |beta| V planes)); no NaN in extras;
 *   <li>array ensembles (task-NNNNN directories with index.json, {@link ArrayEnsemble}): the index against the task
 *       directories, each task directory as above, no configuration repeated across tasks;
 *   <li>across all inputs: the same group, lattice, beta and action kind.
 * </ul>
 * Per shard and kind of fault at most {@value #LISTED_PER_KIND} configurations are listed, then a count. Temporary
 * files of a write in progress are reported as notes, not faults. Inputs are never modified.
 */
public final class Verifier {
    private Verifier() {}

    public static final double UNITARITY_TOLERANCE = 1e-10;
    public static final double PLAQUETTE_TOLERANCE = 1e-10;
    static final int LISTED_PER_KIND = 5;

    /** Outcome of a verification: faults (one line each), notes, and what was checked. */
    public static final class Report {
        private final List<String> faults = new ArrayList<>();
        private final List<String> notes = new ArrayList<>();
        private int shards;
        private long configs;
        /** Stored per-configuration checksums of every shard read (for duplicate detection across array tasks). */
        private final Map<Path, long[]> checksums = new HashMap<>();

        public boolean ok() { return faults.isEmpty(); }
        public List<String> faults() { return List.copyOf(faults); }
        public List<String> notes() { return List.copyOf(notes); }
        public int shardsChecked() { return shards; }
        public long configsChecked() { return configs; }

        public String summary() {
            return "verified " + shards + " shard(s), " + configs + " configuration(s): "
                    + (ok() ? "OK" : faults.size() + " fault(s)");
        }

        void fault(String s) { faults.add(EnsembleFormatException.oneLine(s)); }
        void fault(Path f, String s) { fault(f + ": " + s); }
    }

    /** Verifies ensemble directories and shard files; action and plaquette are recomputed on {@code be}. */
    public static Report verify(Backend be, Path... paths) {
        return verify(be, List.of(paths));
    }

    public static Report verify(Backend be, List<Path> paths) {
        if (be == null) throw new IllegalArgumentException("verifier: backend is null");
        Report r = new Report();
        List<ShardHeader> headers = new ArrayList<>();
        for (Path p : paths) {
            if (!Files.exists(p)) r.fault(p, "does not exist");
            else if (Files.isDirectory(p)) verifyDirectory(p, r, headers, be);
            else verifyShard(p, null, null, r, headers, be);
        }
        if (!headers.isEmpty()) {
            ShardHeader first = headers.get(0);
            for (ShardHeader h : headers) {
                String d = first.meta().physicsDifference(h.meta());
                if (d != null) r.fault(h.file(), d + " in " + first.file() + " (shards of different theories mixed)");
            }
        }
        return r;
    }

    private static void verifyDirectory(Path dir, Report r, List<ShardHeader> headers, Backend be) {
        try {
            if (!Files.exists(dir.resolve(HdfSchema.MANIFEST)) && ArrayEnsemble.isArrayDirectory(dir)) {
                verifyArray(dir, r, headers, be);
                return;
            }
        } catch (IOException e) {
            r.fault(dir, "cannot list directory: " + e);
            return;
        }
        TreeMap<Integer, Path> onDisk;
        try {
            onDisk = Ensemble.shardFiles(dir);
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, ".*.tmp")) {
                for (Path t : ds) r.notes.add(t + ": temporary file (a write in progress, or left by an interrupted run)");
            }
        } catch (IOException e) {
            r.fault(dir, "cannot list directory: " + e);
            return;
        }
        Path mf = dir.resolve(HdfSchema.MANIFEST);
        Manifest m = null;
        if (!Files.exists(mf)) {
            r.fault(mf, "missing");
        } else {
            try {
                m = Manifest.read(mf);
            } catch (IOException e) {
                r.fault(e.getMessage());
            }
        }
        if (m == null) { // check the shard files on their own
            List<ShardHeader> local = new ArrayList<>();
            for (Path p : onDisk.values()) verifyShard(p, null, null, r, local, be);
            local.sort(Comparator.comparingLong(ShardHeader::firstConfigIndex));
            for (int i = 1; i < local.size(); i++)
                if (local.get(i).firstConfigIndex() < local.get(i - 1).endConfigIndex())
                    r.fault(local.get(i).file(), "config_index range overlaps " + local.get(i - 1).file().getFileName());
            headers.addAll(local);
            return;
        }
        if (m.shards().isEmpty()) r.notes.add(mf + ": lists no shards (empty ensemble)");
        TreeSet<String> listed = new TreeSet<>();
        for (ShardEntry e : m.shards()) {
            listed.add(e.file());
            Path sp = dir.resolve(e.file());
            if (!Files.isRegularFile(sp)) {
                r.fault(sp, "listed in manifest.json but missing");
                continue;
            }
            try {
                long size = Files.size(sp);
                if (size != e.bytes()) {
                    r.fault(sp, "size " + size + " bytes differs from manifest.json (" + e.bytes() + "): the file was modified or replaced");
                } else {
                    String sha = HdfSchema.sha256Hex(sp);
                    if (!sha.equals(e.sha256())) r.fault(sp, "SHA-256 " + sha + " differs from manifest.json (" + e.sha256() + ")");
                }
            } catch (IOException ex) {
                r.fault(sp, "cannot read: " + ex);
                continue;
            }
            verifyShard(sp, e, m.meta(), r, headers, be);
        }
        for (Path p : onDisk.values())
            if (!listed.contains(p.getFileName().toString())) {
                r.fault(p, "not listed in manifest.json");
                verifyShard(p, null, m.meta(), r, headers, be);
            }
    }

    /**
     * An array ensemble ({@link ArrayEnsemble}): index.json present and valid; every task directory on disk listed,
     * every listed one present with the manifest the index recorded (SHA-256, shard list, common metadata, the
     * task's own number in {@value ArrayEnsemble#TASK_EXTRA}); every task directory verified as an ensemble
     * directory; no configuration (per-configuration checksum) of one task repeated in another.
     */
    private static void verifyArray(Path dir, Report r, List<ShardHeader> headers, Backend be) throws IOException {
        TreeMap<Integer, Path> onDisk = ArrayEnsemble.taskDirs(dir);
        Path ip = dir.resolve(ArrayEnsemble.INDEX);
        ArrayEnsemble.Index idx = null;
        if (!Files.exists(ip)) {
            r.fault(ip, "missing: the task directories have not been merged (run 'mflow merge " + dir + "')");
        } else {
            try {
                idx = ArrayEnsemble.Index.read(ip);
            } catch (IOException e) {
                r.fault(e.getMessage());
            }
        }
        if (idx != null) {
            for (ArrayEnsemble.Task t : idx.tasks()) {
                Path td = dir.resolve(t.dir());
                String p = ArrayEnsemble.checkTaskAgainstIndex(idx, t, td);
                if (p != null) r.fault(td.resolve(HdfSchema.MANIFEST), p);
            }
            for (Map.Entry<Integer, Path> e : onDisk.entrySet())
                if (!idx.taskIds().contains(e.getKey()))
                    r.fault(e.getValue(), "is not listed in index.json (its configurations are not part of the merged ensemble; rerun 'mflow merge')");
        }
        Map<Long, Integer> firstTaskOf = new HashMap<>();
        for (Map.Entry<Integer, Path> e : onDisk.entrySet()) {
            int task = e.getKey();
            int before = headers.size();
            verifyDirectory(e.getValue(), r, headers, be);
            for (ShardHeader h : headers.subList(before, headers.size())) {
                String q = ArrayEnsemble.taskMetaProblem(task, h.meta());
                if (q != null) r.fault(h.file(), q);
            }
            int dups = 0;
            String example = null;
            TreeSet<Path> files = new TreeSet<>();
            for (ShardHeader h : headers.subList(before, headers.size())) files.add(h.file());
            for (Path f : files) {
                long[] cs = r.checksums.getOrDefault(f, new long[0]);
                for (int b = 0; b < cs.length; b++) {
                    Integer other = firstTaskOf.putIfAbsent(cs[b], task);
                    if (other != null && other != task) {
                        dups++;
                        if (example == null) example = f + " configuration " + b + " repeats a configuration of " + ArrayEnsemble.taskDirName(other);
                    }
                }
            }
            if (dups > 0) r.fault(e.getValue(), dups + " configuration(s) duplicate those of other tasks, e.g. " + example
                    + " (a task run twice or a directory copied)");
        }
    }

    private static void verifyShard(Path f, ShardEntry expected, EnsembleMeta manifestMeta, Report r, List<ShardHeader> headers, Backend be) {
        Shard s;
        List<String> contentFaults = new ArrayList<>();
        try {
            s = ShardReader.read(f, false, contentFaults);
        } catch (IOException e) {
            r.fault(e instanceof EnsembleFormatException ? e.getMessage() : f + ": cannot read: " + e);
            return;
        }
        for (String c : contentFaults) r.fault(f, c);
        if (!ShardReader.hasContentHash(f))
            r.notes.add(f + ": no content_sha256 attribute (an older shard): its attributes and extra datasets are covered only by manifest.json's SHA-256");
        ShardHeader h = s.header();
        headers.add(h);
        r.checksums.put(f, s.checksum());
        r.shards++;
        r.configs += s.n();
        if (expected != null && (h.shardIndex() != expected.shardIndex() || h.nConfigs() != expected.nConfigs()
                || h.firstConfigIndex() != expected.firstConfigIndex()))
            r.fault(f, "shard_index/n_configs/first_config_index " + h.shardIndex() + "/" + h.nConfigs() + "/" + h.firstConfigIndex()
                    + " differ from manifest.json (" + expected.shardIndex() + "/" + expected.nConfigs() + "/" + expected.firstConfigIndex() + ")");
        if (manifestMeta != null) {
            String d = manifestMeta.runDifference(h.meta());
            if (d != null) r.fault(f, d + " in manifest.json (a shard of another run?)");
        }
        int fromName = HdfSchema.parseShardIndex(f.getFileName().toString());
        if (fromName >= 0 && fromName != h.shardIndex())
            r.fault(f, "file name says shard " + fromName + " but attribute shard_index is " + h.shardIndex());

        Faults faults = new Faults(f);
        double[] data = s.configData();
        int cs = s.configSize(), n = s.n();
        Group g = h.meta().group();
        Buffer out = be.alloc(1);
        int planes = h.meta().lattice().planes();
        double actionTol = PLAQUETTE_TOLERANCE * Math.max(1.0, Math.abs(h.meta().beta()) * h.meta().lattice().volume * planes);
        for (int b = 0; b < n; b++) {
            String where = "configuration " + b + " (config_index " + s.configIndex()[b] + ")";
            int o = b * cs;
            boolean finite = true;
            for (int i = o; i < o + cs; i++) if (!Double.isFinite(data[i])) { finite = false; break; }
            if (!finite) faults.add("non-finite link values", where);
            long c = HdfSchema.configChecksum(data, o, cs);
            if (c != s.checksum()[b])
                faults.add("checksum mismatch", where + ": stored " + ShardReader.hex(s.checksum()[b]) + ", computed " + ShardReader.hex(c));
            double worst = 0;
            if (g == Group.SU3) {
                for (int l = o; l < o + cs; l += 18) {
                    double dev = SU3.unitarityDeviation(data, l);
                    if (Double.isNaN(dev)) { worst = dev; break; }
                    worst = Math.max(worst, dev);
                }
                if (!(worst < UNITARITY_TOLERANCE)) faults.add("not SU(3)", where + ": max unitarity deviation " + worst);
            } else {
                for (int i = o; i < o + cs; i++) {
                    double a = data[i];
                    if (!(Math.abs(a) <= Math.PI)) { faults.add("U(1) angle outside [-pi, pi]", where + ": angle " + a + " at element " + (i - o)); break; }
                }
            }
            if (!Double.isFinite(s.action()[b])) faults.add("non-finite action", where + ": " + s.action()[b]);
            if (!Double.isFinite(s.plaquette()[b])) faults.add("non-finite plaquette", where + ": " + s.plaquette()[b]);
            if (finite) {
                GaugeField one = s.config(be, b);
                be.meanPlaquette(one, out, 0);
                double[] plq = be.download(out);
                be.action(one, h.meta().beta(), out, 0);
                double[] act = be.download(out);
                if (!(Math.abs(plq[0] - s.plaquette()[b]) <= PLAQUETTE_TOLERANCE))
                    faults.add("stored plaquette disagrees with the configuration", where + ": stored " + s.plaquette()[b] + ", recomputed " + plq[0]);
                if (!(Math.abs(act[0] - s.action()[b]) <= actionTol))
                    faults.add("stored action disagrees with the configuration", where + ": stored " + s.action()[b] + ", recomputed " + act[0]);
            }
            for (Map.Entry<String, double[]> e : s.extra().entrySet())
                if (Double.isNaN(e.getValue()[b])) faults.add("NaN in " + e.getKey(), where);
        }
        faults.report(r);
    }

    /** Per-shard fault collector: lists the first few occurrences of each kind, then counts the rest. */
    private static final class Faults {
        private final Path file;
        private final Map<String, List<String>> listed = new LinkedHashMap<>();
        private final Map<String, Integer> counts = new LinkedHashMap<>();

        Faults(Path file) { this.file = file; }

        void add(String kind, String detail) {
            counts.merge(kind, 1, Integer::sum);
            List<String> l = listed.computeIfAbsent(kind, k -> new ArrayList<>());
            if (l.size() < LISTED_PER_KIND) l.add(detail);
        }

        void report(Report r) {
            for (Map.Entry<String, List<String>> e : listed.entrySet()) {
                for (String d : e.getValue()) r.fault(file, e.getKey() + ": " + d);
                int more = counts.get(e.getKey()) - e.getValue().size();
                if (more > 0) r.fault(file, e.getKey() + ": " + more + " more configuration(s)");
            }
        }
    }
}
