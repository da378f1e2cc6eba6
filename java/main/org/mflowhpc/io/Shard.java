package org.mflowhpc.io;

import java.nio.file.Path;
import java.util.Map;

import org.mflowhpc.lattice.GaugeField;

/**
 * The full contents of one shard as read by {@link ShardReader#read}: header (file, metadata, indices), the
 * configurations as a {@link GaugeField} batch of n, and per-configuration arrays of length n: config_index,
 * Wilson action, mean plaquette, checksums, extra float64 and int32 datasets (maps sorted by name, unmodifiable;
 * the arrays themselves are fresh copies owned by the caller).
 */
public record Shard(ShardHeader header, GaugeField configs, long[] configIndex, double[] action, double[] plaquette,
                    long[] checksum, Map<String, double[]> extra, Map<String, int[]> extraInt) {

    public Path file() { return header.file(); }

    public EnsembleMeta meta() { return header.meta(); }

    /** Number of configurations. */
    public int n() { return configs.batch; }
}
