package org.mflowhpc.flow;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.flow.multiscale.ExactMultiscaleSU3;
import org.mflowhpc.flow.multiscale.ExactMultiscaleU1;
import org.mflowhpc.flow.multiscale.MultiscaleFlow;
import org.mflowhpc.group.Group;
import org.mflowhpc.io.Checkpoint;
import org.mflowhpc.lattice.Lattice;

/**
 * The model families by name, for the CLI, run cards and checkpoints. User names: {@code haar} ("Haar + flow",
 * Kanwar et al. coupling layers on a Haar prior), {@code multiscale} (coarse prior + learned doubling layers),
 * {@code multiscale+flow} (the same followed by refinement coupling layers; 8 unless refine_layers is given),
 * {@code exact} (the exact-conditional multiscale oracle for 2D U(1) and 2D SU(3): no parameters, ESS = 1). Checkpoint kinds
 * ("haar+flow", "multiscale", "multiscale+flow", "multiscale-exact") map back to the same constructors.
 * {@code haar}, {@code multiscale} and {@code multiscale+flow} exist for U(1) and SU(3) in d = 2, 3, 4; the
 * multiscale models are {@link MultiscaleFlow} (the doubling construction of every theory; checkpoint config key
 * "doubling" = "staple"). It replaced the first 2D U(1) multiscale model, which matched it at the same budget
 * (benchmarks/results/2026-12-02-multiscale-noise.md and -flows-u1-2d-seeds.md) and was removed; a checkpoint of that
 * model (no "doubling" key) is refused with a one-line message.
 * {@code exact} is 2D only (U(1): {@link ExactMultiscaleU1}; SU(3): {@link ExactMultiscaleSU3}, beta <= 5.3).
 */
public final class Models {
    public static final List<String> NAMES = List.of("haar", "multiscale", "multiscale+flow", "exact");
    /** Model kinds as written in checkpoints. */
    public static final String KIND_MULTISCALE = "multiscale", KIND_REFINED = "multiscale+flow";

    private Models() {}

    public static FlowModel create(String name, Backend be, Group g, Lattice lat, double beta, Map<String, Object> overrides, long initSeed) {
        if (!NAMES.contains(name) && !List.of("haar+flow", "multiscale-exact").contains(name))
            throw new IllegalArgumentException("unknown model '" + name + "' (expected one of " + String.join(", ", NAMES) + ")");
        if (name.contains("exact") && lat.d != 2)
            throw new IllegalArgumentException("model exact (the exact multiscale oracle) exists in 2D only; got " + g + " on " + lat.spec());
        Map<String, Object> cfg;
        switch (name) {
            case "haar": case "haar+flow":
                cfg = new LinkedHashMap<>(HaarFlowModel.defaultConfig(initSeed));
                cfg.putAll(overrides);
                return new HaarFlowModel(be, g, lat, cfg);
            case "multiscale": case "multiscale+flow":
                cfg = new LinkedHashMap<>(MultiscaleFlow.defaultConfig(initSeed));
                cfg.put("beta", beta); // read by the U(1) base and the SU(3) base starts; written to checkpoints only where used
                if (name.equals("multiscale+flow")) cfg.put("refine_layers", 8);
                cfg.putAll(overrides);
                if (name.equals("multiscale+flow") && Configs.intOf(cfg, "refine_layers", 0) < 1)
                    throw new IllegalArgumentException("model multiscale+flow needs refine_layers >= 1");
                return new MultiscaleFlow(be, g, lat, cfg);
            case "exact": case "multiscale-exact":
                // its only configuration is beta (as written in checkpoints), which must then be the training beta
                boolean onlyBeta = overrides.isEmpty() || (overrides.size() == 1 && overrides.get("beta") instanceof Number b
                        && b.doubleValue() == beta);
                if (!onlyBeta) throw new IllegalArgumentException("model exact takes no configuration, got " + overrides.keySet());
                return g == Group.U1 ? new ExactMultiscaleU1(be, lat, beta) : new ExactMultiscaleSU3(be, lat, beta);
            default:
                throw new IllegalArgumentException("unknown model '" + name + "' (expected one of " + String.join(", ", NAMES) + ")");
        }
    }

    /** Rebuilds the model a checkpoint was written for (parameters not yet loaded). */
    public static FlowModel fromCheckpoint(Checkpoint ck, Backend be) {
        Map<String, Object> cfg = new LinkedHashMap<>(ck.config);
        switch (ck.kind) {
            case "haar+flow":
                return new HaarFlowModel(be, ck.group, ck.lattice, cfg);
            case "multiscale": case "multiscale+flow":
                if (!MultiscaleFlow.DOUBLING.equals(cfg.get("doubling")))
                    throw new IllegalArgumentException("checkpoint holds the first 2D U(1) multiscale model (doubling=" + cfg.getOrDefault("doubling", "legacy2d")
                            + "), which this version no longer has: retrain with --model " + ck.kind);
                return new MultiscaleFlow(be, ck.group, ck.lattice, cfg);
            case "multiscale-exact":
                return ck.group == Group.U1 ? new ExactMultiscaleU1(be, ck.lattice, ck.beta) : new ExactMultiscaleSU3(be, ck.lattice, ck.beta);
            default:
                throw new IllegalArgumentException("checkpoint holds an unknown model kind '" + ck.kind + "'");
        }
    }

    /** Parses "key=value" model options: integers, doubles, booleans, comma lists of integers, else strings. */
    public static Map<String, Object> parseOptions(List<String> kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (kv == null) return m;
        for (String s : kv) {
            int e = s.indexOf('=');
            if (e <= 0) throw new IllegalArgumentException("bad model option '" + s + "' (expected key=value)");
            String k = s.substring(0, e).trim(), v = s.substring(e + 1).trim();
            m.put(k, parseValue(v));
        }
        return m;
    }

    private static Object parseValue(String v) {
        if (v.equals("true") || v.equals("false")) return Boolean.parseBoolean(v);
        if (v.contains(",")) {
            String[] p = v.split(",");
            List<Object> l = new java.util.ArrayList<>();
            for (String x : p) l.add(parseValue(x.trim()));
            return l;
        }
        try { return Integer.parseInt(v); } catch (NumberFormatException ignored) { }
        try { return Double.parseDouble(v); } catch (NumberFormatException ignored) { }
        return v;
    }
}
