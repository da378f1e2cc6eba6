package org.mflowhpc.io;

import java.nio.file.Path;
import java.util.Map;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.lattice.GaugeField;

/**
 * The full contents of one shard as read by {@link ShardReader#read}: header (file, metadata, indices), the
 * configurations as host data in the {@link GaugeField} layout ({@code configData}, n x configSize doubles; put them
 * on a backend with {@link #configs(Backend)}), and per-configuration arrays of length n: config_index, Wilson
 * action, mean plaquette, checksums, extra float64 and int32 datasets (maps sorted by name, unmodifiable; the arrays
 * themselves are fresh copies owned by the caller).
 */
public record Shard(ShardHeader header, double[] configData, long[] configIndex, double[] action, double[] plaquette,
                    long[] checksum, Map<String, double[]> extra, Map<String, int[]> extraInt) {

    public Path file() { return header.file(); }

    public EnsembleMeta meta() { return header.meta(); }

    /** Number of configurations. */
    public int n() { return header.nConfigs(); }

    /** Doubles per configuration: d * V * dof. */
    public int configSize() { return meta().lattice().d * meta().lattice().volume * meta().group().dof; }

    /** The configurations as a batch of n on {@code be} (a copy of {@link #configData}). */
    public GaugeField configs(Backend be) {
        return GaugeField.fromHost(be, meta().group(), meta().lattice(), n(), configData);
    }

    /** Configuration b as a batch-1 field on {@code be}. */
    public GaugeField config(Backend be, int b) {
        GaugeField f = new GaugeField(be, meta().group(), meta().lattice(), 1);
        f.setConfigFromHost(0, configData, b * configSize());
        return f;
    }
}
