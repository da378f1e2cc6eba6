package org.mflowhpc.io;

import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;

import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.Lattice;

/**
 * Metadata of an ensemble, written as root attributes of every shard and into manifest.json: gauge group, lattice,
 * beta, action kind (only {@value #WILSON} in format version 1), the generating algorithm (heatbath, hmc,
 * flow-reweight, flow-mh, ...: a lowercase token), the RNG seed, the mflow-hpc version, and free-form extras.
 *
 * <p>Extras are scalar attributes (sweeps between configurations, thermalisation sweeps, model id...): keys match
 * {@code [A-Za-z][A-Za-z0-9_]*} and avoid {@link HdfSchema#RESERVED_ATTRIBUTES}; values are String, integers
 * (stored as Long, HDF5 int64) or finite floating point numbers (stored as Double, HDF5 float64). The map is sorted
 * by key and unmodifiable. Instances are immutable and validated on construction (IllegalArgumentException).
 */
public record EnsembleMeta(Group group, Lattice lattice, double beta, String actionKind, String algorithm, long seed,
                           String mflowVersion, Map<String, Object> extra) {

    public static final String WILSON = "wilson";
    private static final Pattern TOKEN = Pattern.compile("[a-z0-9][a-z0-9._-]*");
    private static final Pattern KEY = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");

    public EnsembleMeta {
        if (group == null) throw new IllegalArgumentException("ensemble meta: missing gauge group");
        if (lattice == null) throw new IllegalArgumentException("ensemble meta: missing lattice");
        if (!Double.isFinite(beta)) throw new IllegalArgumentException("ensemble meta: beta must be finite, got " + beta);
        if (!WILSON.equals(actionKind))
            throw new IllegalArgumentException("ensemble meta: action_kind must be '" + WILSON + "' (format version 1), got '" + actionKind + "'");
        if (algorithm == null || !TOKEN.matcher(algorithm).matches())
            throw new IllegalArgumentException("ensemble meta: algorithm must be a lowercase token like hmc, heatbath, flow-mh, got '" + algorithm + "'");
        if (mflowVersion == null || mflowVersion.isBlank() || mflowVersion.indexOf('\n') >= 0)
            throw new IllegalArgumentException("ensemble meta: mflow_version must be a non-empty single line");
        extra = normaliseExtra(extra);
    }

    /** Wilson action, current mflow-hpc version, no extras. */
    public static EnsembleMeta of(Group group, Lattice lattice, double beta, String algorithm, long seed) {
        return new EnsembleMeta(group, lattice, beta, WILSON, algorithm, seed, currentVersion(), Map.of());
    }

    /** A copy with one more extra attribute (String, integer or finite floating point value). */
    public EnsembleMeta withExtra(String key, Object value) {
        Map<String, Object> m = new TreeMap<>(extra);
        m.put(key, value);
        return new EnsembleMeta(group, lattice, beta, actionKind, algorithm, seed, mflowVersion, m);
    }

    /** A copy with another mflow_version (used when comparing a resumed run with the original one). */
    public EnsembleMeta withMflowVersion(String v) {
        return new EnsembleMeta(group, lattice, beta, actionKind, algorithm, seed, v, extra);
    }

    /** True if both describe the same physical theory: group, lattice, beta (exactly) and action kind. */
    public boolean samePhysics(EnsembleMeta o) {
        return group == o.group && lattice.equals(o.lattice) && Double.compare(beta, o.beta) == 0 && actionKind.equals(o.actionKind);
    }

    /**
     * One-line description of the first physics difference (group, lattice, beta, action kind) from {@code o},
     * or null if {@link #samePhysics} holds.
     */
    public String physicsDifference(EnsembleMeta o) {
        if (group != o.group) return "group " + o.group + " differs from " + group;
        if (!lattice.equals(o.lattice)) return "lattice " + o.lattice.spec() + " differs from " + lattice.spec();
        if (Double.compare(beta, o.beta) != 0) return "beta " + o.beta + " differs from " + beta;
        if (!actionKind.equals(o.actionKind)) return "action_kind " + o.actionKind + " differs from " + actionKind;
        return null;
    }

    /**
     * First difference in what identifies a run (physics, algorithm, seed, extra attributes; not mflow_version, which
     * a resumed run may have changed), or null. Every shard of one ensemble directory has its manifest's run identity.
     */
    public String runDifference(EnsembleMeta o) {
        String d = physicsDifference(o);
        if (d != null) return d;
        if (!algorithm.equals(o.algorithm)) return "algorithm " + o.algorithm + " differs from " + algorithm;
        if (seed != o.seed) return "seed " + o.seed + " differs from " + seed;
        if (!extra.equals(o.extra)) {
            for (Map.Entry<String, Object> e : extra.entrySet())
                if (!e.getValue().equals(o.extra.get(e.getKey())))
                    return "extra attribute " + e.getKey() + " = " + o.extra.get(e.getKey()) + " differs from " + e.getValue();
            for (String k : o.extra.keySet())
                if (!extra.containsKey(k)) return "extra attribute " + k + " = " + o.extra.get(k) + " is not in " + extra.keySet();
        }
        return null;
    }

    /** Version of this build (from version.properties), or "unknown". */
    public static String currentVersion() {
        try (InputStream in = EnsembleMeta.class.getResourceAsStream("/org/mflowhpc/version.properties")) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown").trim();
            return v.isEmpty() || v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }

    static Map<String, Object> normaliseExtra(Map<String, ?> in) {
        TreeMap<String, Object> out = new TreeMap<>();
        if (in == null) return Collections.unmodifiableMap(out);
        for (Map.Entry<String, ?> e : in.entrySet()) {
            String k = e.getKey();
            if (k == null || !KEY.matcher(k).matches())
                throw new IllegalArgumentException("ensemble meta: extra key '" + k + "' must match [A-Za-z][A-Za-z0-9_]*");
            if (HdfSchema.RESERVED_ATTRIBUTES.contains(k))
                throw new IllegalArgumentException("ensemble meta: extra key '" + k + "' is a reserved attribute name");
            out.put(k, normaliseValue(k, e.getValue()));
        }
        return Collections.unmodifiableMap(out);
    }

    private static Object normaliseValue(String k, Object v) {
        if (v instanceof String s) {
            if (s.indexOf('\0') >= 0) throw new IllegalArgumentException("ensemble meta: extra '" + k + "' contains a NUL character");
            return s;
        }
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) throw new IllegalArgumentException("ensemble meta: extra '" + k + "' must be finite, got " + d);
            return d;
        }
        throw new IllegalArgumentException("ensemble meta: extra '" + k + "' must be a String, an integer or a floating point number, got "
                + (v == null ? "null" : v.getClass().getSimpleName()));
    }
}
