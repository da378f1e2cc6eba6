package org.mflowhpc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.io.Ensemble;
import org.mflowhpc.io.EnsembleFormatException;
import org.mflowhpc.io.EnsembleMeta;
import org.mflowhpc.io.Shard;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.observable.Measurement;
import org.mflowhpc.observable.Smoothing;
import org.mflowhpc.observable.WilsonFlow;
import org.mflowhpc.observable.stats.Autocorrelation;
import org.mflowhpc.observable.stats.Ess;
import org.mflowhpc.report.EnsembleAnalysis;
import org.mflowhpc.report.ShardSeries;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mflow measure}: observables of an ensemble with errors and integrated autocorrelation times (Wolff's
 * Gamma method, automatic windowing). Observables are recomputed from the stored configurations: plaquette
 * (1/N) Re tr P, planar Wilson loops W(R,T), topological charge Q and chi_t = <Q^2>/V (2D U(1)), Polyakov loop
 * |P| along the last direction. Flow ensembles: with an `accepted` dataset the configurations are a Markov chain
 * (independence Metropolis) and are averaged plainly, acceptance reported; with `log_w` only, averages are
 * reweighted, <O> = <w O>/<w>. ESS (with a bootstrap error), log Z, var(log w) and KL are computed from the
 * proposals' log w (dataset proposal_log_w of an MH chain, else log_w). Next to each value, the exact result where one
 * is known (2D U(1) on the torus, 2D SU(3) plaquette in infinite volume).
 *
 * <p>What is read is verified first ({@link Ensemble#open}, {@link Ensemble#readShard}): for a directory,
 * manifest.json (valid, nothing trailing), no missing, extra or resized shard, each shard's SHA-256, shard_index and
 * config range, and its run metadata equal to the manifest's (a shard swapped in from another run is refused); for
 * every shard the per-configuration checksums and the content hash. A directory without manifest.json is refused
 * (completeness cannot be checked), except an array ensemble, whose index.json and task manifests Ensemble.open
 * checks (task directories not yet merged are refused there, with a message to run mflow merge); shard files given directly are measured with a note on stderr saying what was
 * not checked. Default Wilson loops are those that fit the lattice (R, T below every extent); a requested loop that
 * does not fit is an error. With fewer than two configurations left there is no error estimate: errors are shown as
 * n/a (null in JSON) with a warning.
 *
 * <p>Smoothed observables (docs/physics.md §7; observable/Smoothing, WilsonFlow, Topology): on a copy of every
 * configuration smoothed by the Wilson gradient flow (Luescher RK3, flow time t/a^2 = --flow-time, steps of at most
 * --flow-step) or by --stout-steps stout steps of --stout-rho: Q_clover and chi_t_clover = Q^2/V (4D), E_clover,
 * E_plaq, and for the flow t2E_clover, t2E_plaq. On by default in 4D (flow, t = 1); in 2D/3D only with an explicit
 * --flow-time or --smoothing stout; --smoothing none turns it off. The JSON gains a "smoothing" object with the
 * prescription, units and conventions; all other keys are unchanged. Q_imp, chi_t_imp: the same charge with the
 * tree-level improved field strength. --series FILE writes the per-configuration values as '#' comment lines and a
 * tab-separated table (never over an existing file).
 */
@Command(name = "measure", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure observables of ensembles (directories or shard files) with errors and autocorrelation times.",
                "",
                "Smoothed observables (on by default in 4D; docs/physics.md section 7), on a smoothed copy of each configuration: "
                + "Q_clover = (1/32 pi^2) sum_x eps_{mnrs} tr(F_mn F_rs) with the clover F (4D; integer-normalised: constant U(1) "
                + "fluxes n1 in plane (0,1) and n2 in (2,3) give Q = n1 n2), chi_t_clover = Q^2/V, E_clover = sum_{m<n} tr F_mn^2, "
                + "E_plaq = 2 sum_{m<n} Re tr(1 - P_mn) (site averages) and t2E_* = t^2 E.",
                "",
                "Units: lattice units throughout: the flow time t is t/a^2 (smoothing radius sqrt(8t) lattice spacings), E is a^4 E, "
                + "V the number of sites. Flow: dV/dt = -g0^2 dS_W(V) V (Luescher), his RK3 integrator; U(1) takes S_W at beta = 1, "
                + "SU(3) at beta = 6 (g0 = 1).",
                ""})
final class MeasureCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "DIR|FILE", description = "Ensemble directories or shard files (one ensemble).") List<Path> inputs;
    @Option(names = "--json", description = "Print JSON instead of a table.") boolean json;
    static final List<String> DEFAULT_LOOPS = List.of("1x1", "1x2", "2x2");
    @Option(names = "--loops", split = ",", description = "Wilson loops RxT to measure. Default: 1x1,1x2,2x2 (those that fit the lattice).") List<String> loops;
    @Option(names = "--skip", defaultValue = "0", description = "Configurations to drop from the start (extra thermalisation).") int skip;
    @Option(names = "--s-tau", defaultValue = "1.5", description = "Wolff's S_tau for automatic windowing. Default: ${DEFAULT-VALUE}.") double sTau;
    @Option(names = "--smoothing", defaultValue = "flow", description = {
            "Smoothing before the clover observables Q_clover, chi_t_clover (4D), E_clover, E_plaq, t2E_*: flow (Wilson gradient flow, "
            + "Luescher's RK3), stout (isotropic stout steps), none. On by default in 4D only. Default: ${DEFAULT-VALUE}."}) String smoothing;
    @Option(names = "--flow-time", paramLabel = "T", description = {
            "Gradient-flow time t/a^2 in lattice units (smoothing radius sqrt(8t) lattice spacings). Default: 1.0 in 4D; in 2D/3D the "
            + "flow observables are measured only when this is given. 0 = the unsmoothed field."}) Double flowTime;
    @Option(names = "--flow-step", paramLabel = "EPS", defaultValue = "0.02", description = {
            "Largest RK3 step in t/a^2: t is reached in ceil(T/EPS) equal steps (error O(EPS^3); stable up to 2.5/(4d)). Default: ${DEFAULT-VALUE}."}) double flowStep;
    @Option(names = "--stout-rho", paramLabel = "RHO", defaultValue = "0.1", description = {
            "Stout parameter (one stout step = one Euler flow step of RHO; stable up to 1/(2d)). Default: ${DEFAULT-VALUE}."}) double stoutRho;
    @Option(names = "--stout-steps", paramLabel = "N", defaultValue = "10", description = "Stout steps (nominal flow time N*RHO). Default: ${DEFAULT-VALUE}.") int stoutSteps;
    @Option(names = "--series", paramLabel = "FILE", description = {
            "Also write every observable per configuration (after --skip, in ensemble order) to FILE (must not exist): "
            + "'#' comment lines with the ensemble, units and smoothing, then a tab-separated table with a header."}) Path seriesFile;
    @CommandLine.Mixin ComputeOptions compute = new ComputeOptions();

    /** One observable's estimate. */
    record Estimate(String name, double value, double error, double tauInt, double tauIntError, Double exact) {}

    @Override public Integer call() throws IOException {
        if (skip < 0) throw new UserError("--skip must be >= 0");
        if (!(sTau > 0) || !Double.isFinite(sTau)) throw new UserError("--s-tau must be finite and > 0, got " + sTau);
        for (Path in : inputs)
            // an array ensemble (index.json, or task directories not merged yet) is checked by Ensemble.open itself
            if (Files.isDirectory(in) && !Files.exists(in.resolve(org.mflowhpc.io.HdfSchema.MANIFEST))
                    && !org.mflowhpc.io.ArrayEnsemble.isArrayDirectory(in))
                throw new UserError(in + " has no manifest.json, so measure cannot check that no shard is missing or foreign;"
                        + " run 'mflow verify " + in + "', or pass its shard files themselves");
        if (seriesFile != null) {
            if (java.nio.file.Files.exists(seriesFile)) throw new UserError("--series " + seriesFile + " already exists (not overwritten)");
            Path parent = seriesFile.toAbsolutePath().getParent();
            if (parent == null || !java.nio.file.Files.isDirectory(parent)) throw new UserError("--series " + seriesFile + ": no such directory " + parent);
        }
        Ensemble ens;
        try {
            ens = Ensemble.open(inputs);
        } catch (EnsembleFormatException e) {
            throw new UserError(e.getMessage());
        }
        PrintWriter err = spec.commandLine().getErr();
        EnsembleMeta meta = ens.meta();
        // before any (smoothing) work: the same check as below, on the ensemble's size
        if (skip >= ens.size()) throw new UserError("--skip " + skip + " leaves no configurations (ensemble has " + ens.size() + ")");
        List<int[]> rt = new ArrayList<>();
        int minExtent = Integer.MAX_VALUE;
        for (int x : meta.lattice().extents()) minExtent = Math.min(minExtent, x);
        for (String l : loops == null ? DEFAULT_LOOPS : loops) {
            String[] p = l.trim().split("[xX]");
            int r, t;
            try {
                if (p.length != 2) throw new NumberFormatException();
                r = Integer.parseInt(p[0].trim());
                t = Integer.parseInt(p[1].trim());
            } catch (NumberFormatException e) {
                throw new UserError("bad Wilson loop '" + l + "' (expected RxT, e.g. 2x2)");
            }
            if (r < 1 || t < 1) throw new UserError("bad Wilson loop '" + l + "': R and T must be >= 1");
            if (r >= minExtent || t >= minExtent) {
                if (loops == null) continue; // a default loop that does not fit this lattice
                throw new UserError("Wilson loop " + r + "x" + t + " does not fit the lattice " + meta.lattice().spec()
                        + " (R and T must be below every extent, " + minExtent + ")");
            }
            rt.add(new int[] {r, t});
        }
        Lattice lat = meta.lattice();
        Smoothing smooth = smoothing(lat.d);
        Progress progress = smooth == null ? null : new Progress(smooth.method() == Smoothing.Method.FLOW ? "flow" : "stout",
                ens.size(), new java.io.PrintStream(System.err, true));
        ShardSeries ss;
        try (Backend be = compute.create()) {
            ss = new ShardSeries(be, meta, rt);
            for (int i = 0; i < ens.shards().size(); i++) {
                Shard s;
                try {
                    s = ens.readShard(i);
                } catch (EnsembleFormatException e) {
                    throw new UserError(e.getMessage());
                }
                GaugeField u = ss.add(s, s.configs(be));
                if (smooth != null) {
                    Measurement sm = smooth.measure(u, k -> progress.step(k));
                    for (String name : sm.names()) ss.add(name, sm.get(name));
                }
            }
        } finally {
            if (progress != null) progress.close();
        }
        Map<String, List<Double>> series = ss.series;
        List<Double> logw = ss.logw, acc = ss.accepted, proposalLogw = ss.proposalLogw;
        boolean hasLogW = ss.hasLogW(), hasAcc = ss.hasAccepted(), hasProposal = ss.hasProposalLogW();
        int n = series.get("plaquette").size();
        if (skip >= n) throw new UserError("--skip " + skip + " leaves no configurations (ensemble has " + n + ")");
        boolean noErrors = n - skip < 2;
        if (noErrors) {
            err.println("mflow measure: warning: only " + (n - skip) + " configuration" + (skip > 0 ? " after --skip " + skip : "")
                    + ": no error estimates (shown as n/a)");
            err.flush();
        }
        boolean reweight = hasLogW && !hasAcc;
        double[] w = null;
        if (reweight) {
            double[] lw = tail(logw, skip);
            double mx = Double.NEGATIVE_INFINITY;
            for (double v : lw) mx = Math.max(mx, v);
            w = new double[lw.length];
            for (int k = 0; k < lw.length; k++) w[k] = Math.exp(lw[k] - mx);
        }
        List<Estimate> est = new ArrayList<>();
        for (Map.Entry<String, List<Double>> e : series.entrySet()) {
            double[] x = tail(e.getValue(), skip);
            Autocorrelation.Result r;
            if (w == null) r = Autocorrelation.analyze(x, sTau);
            else {
                double[] wx = new double[x.length];
                for (int k = 0; k < x.length; k++) wx[k] = w[k] * x[k];
                r = Autocorrelation.derived(new double[][] {wx, w}, m -> m[0] / m[1], sTau);
            }
            est.add(noErrors ? new Estimate(e.getKey(), r.value(), Double.NaN, Double.NaN, Double.NaN, exact(meta, e.getKey()))
                    : new Estimate(e.getKey(), r.value(), r.error(), r.tauInt(), r.tauIntError(), exact(meta, e.getKey())));
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("configurations", n - skip);
        extra.put("algorithm", meta.algorithm());
        if (smooth != null) extra.put("smoothing", describe(smooth, lat.d));
        if (hasAcc) {
            Autocorrelation.Result a = Autocorrelation.analyze(tail(acc, skip), sTau);
            extra.put("acceptance", a.value());
            extra.put("acceptance_error", noErrors ? null : a.error());
        }
        if (hasLogW) {
            // ESS, log Z and KL describe the model's proposals: for an MH chain use the proposals' log w
            double[] lwp = tail(hasAcc && hasProposal ? proposalLogw : logw, skip);
            Ess.Summary es = Ess.summary(lwp, 200, 1);
            extra.put("ess", es.essFraction());
            extra.put("ess_error", es.essError());
            extra.put("log_z", es.logZ());
            extra.put("log_z_error", es.logZError());
            extra.put("var_log_w", es.varLogW());
            // <log w> = -E_q[log q + S]: KL = log Z - <log w> for any log Z (e.g. thermodynamic integration in d >= 3)
            extra.put("mean_log_w", es.meanLogW());
            extra.put("mean_log_w_error", Math.sqrt(es.varLogW() / lwp.length));
            if (lat.d == 2) {
                double lz = EnsembleAnalysis.exactLogZ(meta);
                extra.put("log_z_exact", lz);
                extra.put("kl_exact", Ess.klExact(lwp, lz));
            }
        }
        if (seriesFile != null) writeSeries(meta, series, extra);
        print(meta, est, extra);
        for (String note : ens.notes()) err.println("mflow measure: note: " + note); // after success: an error stays one line
        err.flush();
        return 0;
    }

    /** Writes the per-configuration series (class contract of --series), via a temporary file renamed into place. */
    private void writeSeries(EnsembleMeta meta, Map<String, List<Double>> series, Map<String, Object> extra) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("# mflow measure series: ").append(meta.group()).append(' ').append(meta.lattice().spec()).append(" beta=").append(meta.beta())
                .append(" algorithm=").append(meta.algorithm()).append('\n');
        sb.append("# one row per configuration (index in the ensemble), unweighted values; lattice units; plaquette = (1/N) Re tr P")
                .append(extra.containsKey("smoothing") ? "; smoothing: " + extra.get("smoothing") : "").append('\n');
        sb.append("config");
        for (String k : series.keySet()) sb.append('\t').append(k);
        sb.append('\n');
        int n = series.get("plaquette").size();
        List<List<Double>> cols = new ArrayList<>(series.values());
        for (int i = skip; i < n; i++) {
            sb.append(i);
            for (List<Double> c : cols) sb.append('\t').append(String.format(java.util.Locale.ROOT, "%.17g", c.get(i)));
            sb.append('\n');
        }
        Path abs = seriesFile.toAbsolutePath();
        Path tmpFile = abs.resolveSibling("." + abs.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            java.nio.file.Files.writeString(tmpFile, sb.toString(), java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE);
            java.nio.file.Files.move(tmpFile, abs, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            java.nio.file.Files.deleteIfExists(tmpFile);
            throw new UserError("--series " + seriesFile + ": " + e.getMessage());
        }
    }

    /** The smoothing prescription from the options (validated against the lattice dimension), or null when off. */
    Smoothing smoothing(int d) {
        String m = smoothing.trim().toLowerCase();
        switch (m) {
            case "none": return null;
            case "flow": {
                if (flowTime == null && d != 4) return null;
                double t = flowTime == null ? 1.0 : flowTime;
                if (!(t >= 0) || Double.isInfinite(t)) throw new UserError("--flow-time must be finite and >= 0, got " + t);
                double max = WilsonFlow.maxStableFlowStep(d);
                if (!(flowStep > 0) || flowStep > max)
                    throw new UserError("--flow-step must be in (0, " + fmt(max) + "] (RK3 stability in " + d + "D), got " + flowStep);
                if (t / flowStep > 1e7) throw new UserError("--flow-time / --flow-step = " + fmt(t / flowStep) + " steps: more than 1e7");
                return Smoothing.flow(t, flowStep);
            }
            case "stout": {
                double max = WilsonFlow.maxStableStoutRho(d);
                if (!(stoutRho > 0) || stoutRho > max)
                    throw new UserError("--stout-rho must be in (0, " + fmt(max) + "] (stability in " + d + "D), got " + stoutRho);
                if (stoutSteps < 0) throw new UserError("--stout-steps must be >= 0, got " + stoutSteps);
                return Smoothing.stout(stoutRho, stoutSteps);
            }
            default: throw new UserError("unknown --smoothing '" + smoothing + "' (expected flow, stout or none)");
        }
    }

    private static String fmt(double x) { return String.format(java.util.Locale.ROOT, "%.6g", x); }

    /** The JSON "smoothing" object: prescription, units, conventions. */
    static Map<String, Object> describe(Smoothing s, int d) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (s.method() == Smoothing.Method.FLOW) {
            m.put("method", "gradient_flow");
            m.put("integrator", "Luescher RK3 (arXiv:1006.4518), dV/dt = -g0^2 dS_W(V) V");
            m.put("flow_time", s.flowTime());
            m.put("flow_step", s.actualFlowStep());
            m.put("steps", s.steps());
        } else {
            m.put("method", "stout");
            m.put("rho", s.rho());
            m.put("steps", s.steps());
            m.put("nominal_flow_time", s.rho() * s.steps());
        }
        m.put("units", "lattice units: flow time t in a^2, E in a^-4, chi_t_clover = Q^2/V with V in a^4; t2E dimensionless");
        if (d == 4) m.put("q_convention", "Q = (1/32 pi^2) sum_x eps_{mnrs} tr(F_mn F_rs), eps_0123 = 1, clover F = -i [(C - C^dag)/8]_traceless "
                + "(C the four plaquettes at x); U(1): F = (1/4) sum of the sines of the four plaquette angles; integer-normalised "
                + "(constant U(1) fluxes n1 in (0,1), n2 in (2,3): Q = n1 n2 up to O(a^2))");
        m.put("e_convention", "E_clover = (1/V) sum_x sum_{m<n} tr(F_mn F_mn); E_plaq = (1/V) sum_x 2 sum_{m<n} Re tr(1 - P_mn(x)); "
                + "t2E = t^2 E (scale t0: t^2 <E> = 0.3)");
        return m;
    }

    static Double exact(EnsembleMeta meta, String name) { return EnsembleAnalysis.exact(meta, name); }

    private void print(EnsembleMeta meta, List<Estimate> est, Map<String, Object> extra) throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ObjectNode root = om.createObjectNode();
            ObjectNode m = root.putObject("ensemble");
            m.put("group", meta.group().name());
            ArrayNode l = m.putArray("lattice");
            for (int x : meta.lattice().extents()) l.add(x);
            m.put("beta", meta.beta());
            m.put("algorithm", meta.algorithm());
            m.put("plaquette_convention", "(1/N) Re tr P averaged over all plaquettes");
            for (Map.Entry<String, Object> e : extra.entrySet())
                if (e.getValue() instanceof Double x && !Double.isFinite(x)) root.putNull(e.getKey());
                else root.putPOJO(e.getKey(), e.getValue());
            ObjectNode obs = root.putObject("observables");
            for (Estimate e : est) {
                ObjectNode o = obs.putObject(e.name());
                putNumber(o, "value", e.value());
                putNumber(o, "error", e.error());
                putNumber(o, "tau_int", e.tauInt());
                putNumber(o, "tau_int_error", e.tauIntError());
                if (e.exact() != null) o.put("exact", e.exact());
            }
            out.println(om.writeValueAsString(root));
        } else {
            out.printf("ensemble: %s %s beta=%s algorithm=%s, %s configurations%n", meta.group(), meta.lattice().spec(), meta.beta(),
                    meta.algorithm(), extra.get("configurations"));
            if (extra.get("smoothing") instanceof Map<?, ?> sm)
                out.printf("smoothing: %s%n", sm.get("method").equals("stout")
                        ? String.format(java.util.Locale.ROOT, "%s stout steps of rho = %s (nominal flow time %s), lattice units", sm.get("steps"), sm.get("rho"), sm.get("nominal_flow_time"))
                        : String.format(java.util.Locale.ROOT, "Wilson gradient flow to t/a^2 = %s in %s RK3 steps of %.6g; Q (4D) and E in lattice units", sm.get("flow_time"), sm.get("steps"), (Double) sm.get("flow_step")));
            out.printf("%-14s %14s %12s %12s %14s %8s%n", "observable", "value", "error", "tau_int", "exact", "pull");
            for (Estimate e : est) {
                String ex = e.exact() == null ? "" : String.format("%.8f", e.exact());
                String pull = e.exact() == null || !(e.error() > 0) ? "" : String.format("%+.1f", (e.value() - e.exact()) / e.error());
                if (Double.isNaN(e.error()))
                    out.printf("%-14s %14.8f %12s %12s %14s %8s%n", e.name(), e.value(), "n/a", "n/a", ex, pull);
                else
                    out.printf("%-14s %14.8f %12.8f %6.2f(%4.2f) %14s %8s%n", e.name(), e.value(), e.error(), e.tauInt(), e.tauIntError(), ex, pull);
            }
            int w = 14;
            for (String k : extra.keySet()) w = Math.max(w, k.length());
            for (Map.Entry<String, Object> e : extra.entrySet())
                if (!e.getKey().equals("configurations") && !e.getKey().equals("algorithm") && !e.getKey().equals("smoothing"))
                    out.printf("%-" + w + "s %s%n", e.getKey(), e.getValue() instanceof Double ? String.format("%.6g", (Double) e.getValue()) : e.getValue());
        }
        out.flush();
    }

    private static void putNumber(ObjectNode o, String k, double v) {
        if (Double.isFinite(v)) o.put(k, v); else o.putNull(k);
    }

    private static double[] tail(List<Double> l, int skip) { return ShardSeries.tail(l, skip); }
}
