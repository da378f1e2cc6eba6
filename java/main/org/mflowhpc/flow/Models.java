package org.mflowhpc.flow;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.flow.multiscale.ExactMultiscaleU1;
import org.mflowhpc.flow.multiscale.LearnedMultiscaleU1;
import org.mflowhpc.flow.multiscale.MultiscaleFlow;
import org.mflowhpc.group.Group;
import org.mflowhpc.io.Checkpoint;
import org.mflowhpc.lattice.Lattice;

/**
 * The model families by name, for the CLI, run cards and checkpoints. User names: {@code haar} ("Haar + flow",
 * Kanwar et al. coupling layers on a Haar prior), {@code multiscale} (coarse prior + learned doubling layers),
 * {@code multiscale+flow} (the same followed by refinement coupling layers; 8 unless refine_layers is given),
 * {@code exact} (the exact-conditional multiscale oracle for 2D U(1): no parameters, ESS = 1). Checkpoint kinds
 * ("haar+flow", "multiscale", "multiscale+flow", "multiscale-exact") map back to the same constructors.
 * {@code haar}, {@code multiscale} and {@code multiscale+flow} exist for U(1) and SU(3) in d = 2, 3, 4; the
 * multiscale models are {@link MultiscaleFlow} (the doubling construction of every theory; checkpoint config key
 * "doubling" = "staple"). Since it matches or beats it at the same budget (docs/flows.md), it replaced the first
 * 2D U(1) model, {@link LearnedMultiscaleU1}, as the 2D U(1) default; that one stays for comparison runs
 * ({@code --model-option doubling=legacy2d}) and for checkpoints written before (no "doubling" key).
 * {@code exact} is 2D U(1) only.
 */
public final class Models {
    public static final List<String> NAMES = List.of("haar", "multiscale", "multiscale+flow", "exact");
    /** {@code --model-option doubling=legacy2d}: the first 2D U(1) multiscale model ({@link LearnedMultiscaleU1}). */
    public static final String LEGACY_2D = LearnedMultiscaleU1.LEGACY;

    private Models() {}

    public static FlowModel create(String name, Backend be, Group g, Lattice lat, double beta, Map<String, Object> overrides, long initSeed) {
        if (!NAMES.contains(name) && !List.of("haar+flow", "multiscale-exact").contains(name))
            throw new IllegalArgumentException("unknown model '" + name + "' (expected one of " + String.join(", ", NAMES) + ")");
        boolean u1in2d = g == Group.U1 && lat.d == 2;
        if (name.contains("exact") && !u1in2d)
            throw new IllegalArgumentException("model exact (the exact multiscale oracle) exists for 2D U(1) only; got " + g + " on " + lat.spec());
        Map<String, Object> cfg;
        switch (name) {
            case "haar": case "haar+flow":
                cfg = new LinkedHashMap<>(HaarFlowModel.defaultConfig(initSeed));
                cfg.putAll(overrides);
                return new HaarFlowModel(be, g, lat, cfg);
            case "multiscale": case "multiscale+flow":
                if (!LEGACY_2D.equals(overrides.get("doubling"))) {
                    cfg = new LinkedHashMap<>(MultiscaleFlow.defaultConfig(initSeed));
                    if (g == Group.U1) cfg.put("beta", beta);
                    if (name.equals("multiscale+flow")) cfg.put("refine_layers", 8);
                    cfg.putAll(overrides);
                    if (name.equals("multiscale+flow") && Configs.intOf(cfg, "refine_layers", 0) < 1)
                        throw new IllegalArgumentException("model multiscale+flow needs refine_layers >= 1");
                    return new MultiscaleFlow(be, g, lat, cfg);
                }
                if (!u1in2d) throw new IllegalArgumentException("multiscale doubling=" + LEGACY_2D + " (the first 2D U(1) model) exists for 2D U(1) only; got "
                        + g + " on " + lat.spec());
                cfg = new LinkedHashMap<>(LearnedMultiscaleU1.defaultConfig(beta, initSeed));
                if (name.equals("multiscale+flow")) cfg.put("refine_layers", 8);
                cfg.putAll(overrides);
                if (name.equals("multiscale+flow") && Configs.intOf(cfg, "refine_layers", 0) < 1)
                    throw new IllegalArgumentException("model multiscale+flow needs refine_layers >= 1");
                return new LearnedMultiscaleU1(be, lat, cfg);
            case "exact": case "multiscale-exact":
                // its only configuration is beta (as written in checkpoints), which must then be the training beta
                boolean onlyBeta = overrides.isEmpty() || (overrides.size() == 1 && overrides.get("beta") instanceof Number b
                        && b.doubleValue() == beta);
                if (!onlyBeta) throw new IllegalArgumentException("model exact takes no configuration, got " + overrides.keySet());
                return new ExactMultiscaleU1(be, lat, beta);
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
                if (cfg.containsKey("doubling") && !LEGACY_2D.equals(cfg.get("doubling"))) return new MultiscaleFlow(be, ck.group, ck.lattice, cfg);
                if (ck.group != Group.U1 || ck.lattice.d != 2)
                    throw new IllegalArgumentException("checkpoint holds a 2D U(1) multiscale model for " + ck.group + " on " + ck.lattice);
                return new LearnedMultiscaleU1(be, ck.lattice, cfg);
            case "multiscale-exact":
                return new ExactMultiscaleU1(be, ck.lattice, ck.beta);
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
