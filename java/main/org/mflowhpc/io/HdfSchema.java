package org.mflowhpc.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;

/**
 * The ensemble shard schema, format version {@value #FORMAT_VERSION}: names of every dataset and root attribute,
 * the convention strings stored in every shard, and the checksum definitions. docs/hdf5-schema.md is the prose
 * version of this class; the two must agree.
 *
 * <p>Checksums: {@link #configChecksum} of configuration i is the first 8 bytes of SHA-256 over that
 * configuration's doubles (shape [d, sites, dof], C order) encoded as IEEE-754 float64 little-endian, read as a
 * big-endian signed int64. In Python: {@code int.from_bytes(hashlib.sha256(cfg.astype('<f8').tobytes()).digest()[:8],
 * 'big', signed=True)}. The manifest stores {@link #sha256Hex} (lowercase hex) of each whole shard file.
 */
public final class HdfSchema {
    private HdfSchema() {}

    /** Value of the root attribute {@code format}. */
    public static final String FORMAT = "mflow-hpc-ensemble-shard";
    /** Value of the root attribute {@code format_version}; readers reject other values. */
    public static final long FORMAT_VERSION = 1;

    // ---- datasets
    public static final String DS_CONFIGS = "configs";
    public static final String DS_ACTION = "action";
    public static final String DS_PLAQUETTE = "plaquette";
    public static final String DS_CONFIG_INDEX = "config_index";
    public static final String DS_CHECKSUM = "checksum";
    /** Dataset names that extra per-configuration datasets may not use. */
    public static final Set<String> RESERVED_DATASETS = Set.of(DS_CONFIGS, DS_ACTION, DS_PLAQUETTE, DS_CONFIG_INDEX, DS_CHECKSUM);

    // ---- root attributes
    public static final String A_FORMAT = "format";
    public static final String A_FORMAT_VERSION = "format_version";
    public static final String A_GROUP = "group";
    public static final String A_LATTICE = "lattice";
    public static final String A_BETA = "beta";
    public static final String A_ACTION_KIND = "action_kind";
    public static final String A_ACTION_CONVENTION = "action_convention";
    public static final String A_PLAQUETTE_CONVENTION = "plaquette_convention";
    public static final String A_SITE_ORDER = "site_order";
    public static final String A_LINK_LAYOUT = "link_layout";
    public static final String A_CHECKSUM_CONVENTION = "checksum_convention";
    public static final String A_SEED = "seed";
    public static final String A_ALGORITHM = "algorithm";
    public static final String A_MFLOW_VERSION = "mflow_version";
    public static final String A_N_CONFIGS = "n_configs";
    public static final String A_SHARD_INDEX = "shard_index";
    public static final String A_FIRST_CONFIG_INDEX = "first_config_index";
    /** SHA-256 of everything the per-configuration checksums do not cover ({@link ContentHash}); optional on read. */
    public static final String A_CONTENT_SHA256 = ContentHash.ATTRIBUTE;
    /** Attribute names that extra metadata may not use (names starting with '_' are reserved too, e.g. _jHDF). */
    public static final Set<String> RESERVED_ATTRIBUTES = Set.of(A_FORMAT, A_FORMAT_VERSION, A_GROUP, A_LATTICE, A_BETA,
            A_ACTION_KIND, A_ACTION_CONVENTION, A_PLAQUETTE_CONVENTION, A_SITE_ORDER, A_LINK_LAYOUT, A_CHECKSUM_CONVENTION,
            A_SEED, A_ALGORITHM, A_MFLOW_VERSION, A_N_CONFIGS, A_SHARD_INDEX, A_FIRST_CONFIG_INDEX, A_CONTENT_SHA256);

    // ---- convention strings (docs/conventions.md), stored verbatim in every shard
    public static final String ACTION_CONVENTION = "S = -(beta/N) sum_x sum_{mu<nu} Re tr P_munu(x), "
            + "P_munu(x) = U_mu(x) U_nu(x+mu) U_mu(x+nu)^dag U_nu(x)^dag, N=1 for U1, N=3 for SU3";
    public static final String PLAQUETTE_CONVENTION = "(1/N) Re tr P averaged over all plaquettes (all sites, all planes mu<nu), "
            + "N=1 for U1, N=3 for SU3";
    public static final String SITE_ORDER = "lexicographic, direction 0 fastest: site = x0 + L0*(x1 + L1*(x2 + L2*x3))";
    public static final String LINK_LAYOUT = "configs[b, mu, site, k]; U1: k=0 only, angle theta in (-pi,pi], U=exp(i theta); "
            + "SU3: 3x3 complex row-major, re/im interleaved, 18 doubles, element (i,j) at k=2*(3i+j) (re), 2*(3i+j)+1 (im)";
    public static final String CHECKSUM_CONVENTION = "checksum[b] = first 8 bytes of SHA-256 of configs[b] as float64 "
            + "little-endian in C order, read as a big-endian signed int64";

    public static final String SHARD_PREFIX = "shard-";
    public static final String SHARD_SUFFIX = ".h5";
    public static final String MANIFEST = "manifest.json";

    /** File name of shard {@code index}: shard-00000.h5 (at least five digits). */
    public static String shardName(int index) {
        if (index < 0) throw new IllegalArgumentException("shard index must be >= 0, got " + index);
        return String.format("%s%05d%s", SHARD_PREFIX, index, SHARD_SUFFIX);
    }

    /** Temporary name under which a shard is written before it is published: .shard-00000.h5.tmp */
    public static String tempName(String finalName) { return "." + finalName + ".tmp"; }

    /** Shard index parsed from a file name shard-NNNNN.h5, or -1 if the name is not a shard name. */
    public static int parseShardIndex(String fileName) {
        if (!fileName.startsWith(SHARD_PREFIX) || !fileName.endsWith(SHARD_SUFFIX)) return -1;
        String digits = fileName.substring(SHARD_PREFIX.length(), fileName.length() - SHARD_SUFFIX.length());
        if (digits.length() < 5 || digits.length() > 9 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) return -1;
        return Integer.parseInt(digits);
    }

    /** Per-configuration checksum (see class comment) of {@code len} doubles starting at {@code off}. */
    public static long configChecksum(double[] data, int off, int len) {
        MessageDigest md = sha256();
        ByteBuffer bb = ByteBuffer.allocate(8 * 4096).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < len; ) {
            bb.clear();
            int m = Math.min(4096, len - i);
            bb.asDoubleBuffer().put(data, off + i, m);
            md.update(bb.array(), 0, 8 * m);
            i += m;
        }
        return ByteBuffer.wrap(md.digest()).order(ByteOrder.BIG_ENDIAN).getLong(0);
    }

    /** Checksums of every configuration of a flat [n, configSize] array. */
    public static long[] configChecksums(double[] data, int n, int configSize) {
        long[] c = new long[n];
        for (int b = 0; b < n; b++) c[b] = configChecksum(data, b * configSize, configSize);
        return c;
    }

    /** Lowercase hex SHA-256 of a whole file (read-only access). */
    public static String sha256Hex(Path file) throws IOException {
        MessageDigest md = sha256();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer bb = ByteBuffer.allocate(1 << 20);
            while (ch.read(bb) >= 0) {
                bb.flip();
                md.update(bb);
                bb.clear();
            }
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
