package org.mflowhpc.io;

import java.nio.file.Path;
import java.util.List;

/**
 * What a shard says about itself without its bulk data: the file, its metadata (root attributes), shard index,
 * first config_index, number of configurations and the names of its extra per-configuration datasets (float64 and
 * int32), sorted. Produced by {@link ShardReader#readHeader}, which has already checked every dataset's type and shape.
 */
public record ShardHeader(Path file, EnsembleMeta meta, int shardIndex, long firstConfigIndex, int nConfigs,
                          List<String> extraDatasets, List<String> extraIntDatasets) {
    public ShardHeader {
        extraDatasets = List.copyOf(extraDatasets);
        extraIntDatasets = List.copyOf(extraIntDatasets);
    }

    /** config_index one past the last configuration of this shard. */
    public long endConfigIndex() { return firstConfigIndex + nConfigs; }
}
