package org.mflowhpc.io;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.lattice.GaugeField;

/**
 * A read-only view of an ensemble made of one or more shards, opened from any mix of
 * <ul>
 *   <li>ensemble directories: the shards listed in manifest.json, in order. Each must exist with the size the
 *       manifest records and agree with its entry (shard_index, n_configs, first_config_index) and with the
 *       manifest's run metadata (physics, algorithm, seed, extra attributes; not mflow_version); a shard-*.h5 file
 *       in the directory that the manifest does not list is an error (a dropped, swapped-in or half-adopted shard),
 *       and {@link #readShard} checks the file's SHA-256 against the manifest. Without a manifest, the files
 *       shard-*.h5 in shard-index order, whose config_index ranges must not overlap: completeness cannot be
 *       checked, which {@link #notes} says;
 *   <li>array ensemble directories ({@link ArrayEnsemble}): with index.json, the tasks' shards in task order after
 *       checking the index against the task directories (each task directory opened as above); without it,
 *       refused with a message that says to merge;
 *   <li>individual shard files (noted likewise: no manifest, so no completeness or file-hash check).
 * </ul>
 * Opening reads only headers (attributes, dataset shapes); all shards must describe the same theory (group,
 * lattice, beta, action kind), otherwise {@link EnsembleFormatException} names the first offending file. Several
 * directories (e.g. SLURM array tasks with different seeds) may be combined; their config_index ranges may repeat.
 * Bulk data is read on demand with full validation ({@link ShardReader#read}: per-configuration checksums and
 * the content hash). Inputs are never modified.
 */
public final class Ensemble {
    private final EnsembleMeta meta;
    private final List<ShardHeader> shards;
    private final List<ShardEntry> entries; // manifest entry per shard, null where there is no manifest
    private final List<String> notes;

    private Ensemble(EnsembleMeta meta, List<ShardHeader> shards, List<ShardEntry> entries, List<String> notes) {
        this.meta = meta;
        this.shards = List.copyOf(shards);
        this.entries = java.util.Collections.unmodifiableList(new ArrayList<>(entries));
        this.notes = List.copyOf(notes);
    }

    /** What could not be checked (inputs without a manifest), one line each; empty when everything was. */
    public List<String> notes() { return notes; }

    public static Ensemble open(Path... paths) throws IOException {
        return open(List.of(paths));
    }

    public static Ensemble open(List<Path> paths) throws IOException {
        if (paths.isEmpty()) throw new IllegalArgumentException("Ensemble.open: no paths given");
        List<ShardHeader> all = new ArrayList<>();
        List<ShardEntry> entries = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Map<Path, Path> seen = new HashMap<>();
        for (Path p : paths) {
            if (!Files.exists(p)) throw new EnsembleFormatException(p, "does not exist");
            List<ShardHeader> hs;
            if (Files.isDirectory(p)) {
                hs = openDirectory(p, entries, notes);
            } else {
                hs = List.of(ShardReader.readHeader(p));
                entries.add(null);
                notes.add(p + ": a shard file given on its own: no manifest, so completeness and the file hash are not checked"
                        + " (per-configuration checksums and the content hash are)");
            }
            for (ShardHeader h : hs) {
                Path real = h.file().toRealPath();
                if (seen.putIfAbsent(real, h.file()) != null)
                    throw new EnsembleFormatException(h.file(), "given more than once (also as " + seen.get(real) + ")");
            }
            all.addAll(hs);
        }
        ShardHeader first = all.get(0);
        for (ShardHeader h : all) {
            String d = first.meta().physicsDifference(h.meta());
            if (d != null) throw new EnsembleFormatException(h.file(), d + " in " + first.file() + "; shards of different theories cannot be mixed");
        }
        return new Ensemble(first.meta(), all, entries, notes);
    }

    static List<ShardHeader> openDirectory(Path dir, List<ShardEntry> entries, List<String> notes) throws IOException {
        Path mf = dir.resolve(HdfSchema.MANIFEST);
        if (!Files.exists(mf) && Files.exists(dir.resolve(ArrayEnsemble.INDEX))) return ArrayEnsemble.openShards(dir, entries, notes);
        List<ShardHeader> hs = new ArrayList<>();
        TreeMap<Integer, Path> onDisk = shardFiles(dir);
        if (Files.exists(mf)) {
            Manifest m = Manifest.read(mf);
            if (m.shards().isEmpty()) throw new EnsembleFormatException(mf, "lists no shards (the ensemble is empty)");
            java.util.Set<String> listed = new java.util.HashSet<>();
            for (ShardEntry e : m.shards()) {
                listed.add(e.file());
                Path sp = dir.resolve(e.file());
                if (!Files.isRegularFile(sp)) throw new EnsembleFormatException(sp, "listed in manifest.json but missing");
            }
            for (Path p : onDisk.values())
                if (!listed.contains(p.getFileName().toString()))
                    throw new EnsembleFormatException(p, "is not listed in " + mf + " (an unlisted, swapped-in or not yet adopted shard);"
                            + " run mflow verify " + dir);
            for (ShardEntry e : m.shards()) {
                Path sp = dir.resolve(e.file());
                if (!Files.isRegularFile(sp)) throw new EnsembleFormatException(sp, "listed in manifest.json but missing");
                if (Files.size(sp) != e.bytes())
                    throw new EnsembleFormatException(sp, "has " + Files.size(sp) + " bytes but manifest.json records " + e.bytes()
                            + " (truncated, replaced or modified)");
                ShardHeader h = ShardReader.readHeader(sp);
                if (h.nConfigs() != e.nConfigs() || h.firstConfigIndex() != e.firstConfigIndex() || h.shardIndex() != e.shardIndex())
                    throw new EnsembleFormatException(sp, "disagrees with manifest.json: shard_index/n_configs/first_config_index are "
                            + h.shardIndex() + "/" + h.nConfigs() + "/" + h.firstConfigIndex() + " in the file, "
                            + e.shardIndex() + "/" + e.nConfigs() + "/" + e.firstConfigIndex() + " in the manifest");
                String d = m.meta().runDifference(h.meta());
                if (d != null) throw new EnsembleFormatException(sp, d + " in manifest.json (a shard of another run?)");
                hs.add(h);
                entries.add(e);
            }
            return hs;
        }
        for (Path p : onDisk.values()) {
            hs.add(ShardReader.readHeader(p));
            entries.add(null);
        }
        if (hs.isEmpty() && !ArrayEnsemble.taskDirs(dir).isEmpty())
            throw new EnsembleFormatException(dir, "holds array tasks (task-NNNNN directories) but no " + ArrayEnsemble.INDEX
                    + ": run 'mflow merge " + dir + "' first, or name the task directories");
        if (hs.isEmpty()) throw new EnsembleFormatException(dir, "no manifest.json and no shard-*.h5 files");
        notes.add(dir + ": no manifest.json: " + hs.size() + " shard file(s) read by name; completeness and file hashes are not checked");
        List<ShardHeader> byIndex = new ArrayList<>(hs);
        byIndex.sort(Comparator.comparingLong(ShardHeader::firstConfigIndex));
        for (int i = 1; i < byIndex.size(); i++)
            if (byIndex.get(i).firstConfigIndex() < byIndex.get(i - 1).endConfigIndex())
                throw new EnsembleFormatException(byIndex.get(i).file(), "config_index range starting at " + byIndex.get(i).firstConfigIndex()
                        + " overlaps " + byIndex.get(i - 1).file().getFileName() + " (which ends at " + byIndex.get(i - 1).endConfigIndex() + ")");
        return hs;
    }

    /** shard-*.h5 files of a directory by shard index. */
    static TreeMap<Integer, Path> shardFiles(Path dir) throws IOException {
        TreeMap<Integer, Path> m = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, HdfSchema.SHARD_PREFIX + "*" + HdfSchema.SHARD_SUFFIX)) {
            for (Path p : ds) {
                int i = HdfSchema.parseShardIndex(p.getFileName().toString());
                if (i >= 0) m.put(i, p);
            }
        }
        return m;
    }

    /** Metadata of the first shard (all shards share its group, lattice, beta and action kind). */
    public EnsembleMeta meta() { return meta; }

    /** Shard headers in reading order. */
    public List<ShardHeader> shards() { return shards; }

    /** Total number of configurations. */
    public long size() {
        long n = 0;
        for (ShardHeader h : shards) n += h.nConfigs();
        return n;
    }

    /** Reads shard i with full validation (checksums, content hash, and the SHA-256 recorded in the manifest). */
    public Shard readShard(int i) throws IOException {
        ShardHeader h = shards.get(i);
        ShardEntry e = entries.get(i);
        if (e != null) {
            String sha = HdfSchema.sha256Hex(h.file());
            if (!sha.equals(e.sha256()))
                throw new EnsembleFormatException(h.file(), "SHA-256 " + sha.substring(0, 16) + "... differs from manifest.json ("
                        + e.sha256().substring(0, 16) + "...): the file was modified or replaced");
        }
        Shard s = ShardReader.read(h.file());
        if (s.n() != h.nConfigs() || s.header().firstConfigIndex() != h.firstConfigIndex() || !s.meta().equals(h.meta()))
            throw new EnsembleFormatException(h.file(), "changed since the ensemble was opened");
        return s;
    }

    /** All configurations in one batch on {@code be} (reads every shard; only for ensembles that fit in memory). */
    public GaugeField readAllConfigs(Backend be) throws IOException {
        return GaugeField.fromHost(be, meta.group(), meta.lattice(), (int) size(), readAllConfigData());
    }

    /** All configurations as host data in the {@link GaugeField} layout (reads every shard). */
    public double[] readAllConfigData() throws IOException {
        long total = size() * meta.lattice().d * meta.lattice().volume * meta.group().dof;
        if (total > Integer.MAX_VALUE - 16)
            throw new IllegalStateException("ensemble too large to hold in one array (" + total + " doubles); read shard by shard");
        double[] data = new double[(int) total];
        int o = 0;
        for (int i = 0; i < shards.size(); i++) {
            Shard s = readShard(i);
            System.arraycopy(s.configData(), 0, data, o, s.configData().length);
            o += s.configData().length;
        }
        return data;
    }

    /**
     * A per-configuration float64 dataset (action, plaquette or a float extra such as log_w) concatenated over all
     * shards, without reading the configurations.
     */
    public double[] readColumn(String dataset) throws IOException {
        if (size() > Integer.MAX_VALUE - 16) throw new IllegalStateException("ensemble too large for one column array");
        double[] out = new double[(int) size()];
        int o = 0;
        for (ShardHeader h : shards) {
            double[] c = ShardReader.readColumn(h.file(), dataset);
            if (c.length != h.nConfigs()) throw new EnsembleFormatException(h.file(), "changed since the ensemble was opened");
            System.arraycopy(c, 0, out, o, c.length);
            o += c.length;
        }
        return out;
    }
}
