package org.mflowhpc.io;

/**
 * One published shard as listed in manifest.json: its file name (relative to the ensemble directory), shard index,
 * number of configurations, config_index of its first configuration, size in bytes, and lowercase hex SHA-256 of the
 * whole file. Per-configuration checksums live inside the shard (dataset {@code checksum}).
 */
public record ShardEntry(String file, int shardIndex, int nConfigs, long firstConfigIndex, long bytes, String sha256) {
    public ShardEntry {
        if (file == null || file.isEmpty() || file.contains("/") || file.contains("\\"))
            throw new IllegalArgumentException("shard entry: file must be a plain file name, got '" + file + "'");
        if (shardIndex < 0) throw new IllegalArgumentException("shard entry: shard_index must be >= 0, got " + shardIndex);
        if (nConfigs < 1) throw new IllegalArgumentException("shard entry: n_configs must be >= 1, got " + nConfigs);
        if (firstConfigIndex < 0) throw new IllegalArgumentException("shard entry: first_config_index must be >= 0, got " + firstConfigIndex);
        if (bytes < 0) throw new IllegalArgumentException("shard entry: bytes must be >= 0, got " + bytes);
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}"))
            throw new IllegalArgumentException("shard entry: sha256 must be 64 lowercase hex digits, got '" + sha256 + "'");
    }

    /** config_index one past the last configuration of this shard. */
    public long endConfigIndex() { return firstConfigIndex + nConfigs; }
}
