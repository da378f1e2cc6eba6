/*
 * Contract: everything the report shows about one ensemble (a directory of shards or one shard file), computed
 * exactly as `mflow measure` computes it, so the numbers agree with `measure --json` on the same input and the same
 * --skip / --s-tau (ReportCommandTest checks this):
 *   per configuration (ensemble order, the first `skip` dropped), recomputed from the stored links with
 *   observable.Observables: "plaquette" (1/N) Re tr P, "Q" = (1/2pi) sum_x arg P_01(x) and "chi_t" = Q^2/V (2D U(1)
 *   only), "|polyakov|" = |(1/V_s) sum (1/N) tr prod_t U_{d-1}|, and the planar Wilson loops "W(RxT)" asked for
 *   (measure's --loops, default 1x1, 1x2, 2x2; in the tables and the JSON, not drawn);
 *   estimates: Markov chains and independence-MH chains (an `accepted` dataset): Autocorrelation.analyze(x, S_tau);
 *   reweighted flow ensembles (`log_w` without `accepted`): the ratio <w x>/<w> via Autocorrelation.derived with
 *   w = exp(log w - max log w);
 *   exact values: 2D U(1) on the torus (plaquette, Wilson loops, chi_t, Q = 0), 2D SU(3) plaquette (infinite volume);
 *   flow data: acceptance = Autocorrelation.analyze(accepted); the proposals' log w (`proposal_log_w` of an MH chain,
 *   else `log_w`) -> FlowWeights (Ess.summary with B = 200, seed 1, as measure), log Z exact (2D: U(1) torus sum,
 *   SU(3) V log z0) and KL = log Z - mean log w.
 * Plus what only the report draws: running means (cumulative; reweighted: cumulative sum w x / sum w), and the
 * normalised autocorrelation function rho(t) past the window from Autocorrelation.rhoFunction (same sums, same bias
 * correction as the window that measure reports).
 * Every shard is read with full validation (checksums): a corrupt or changed shard is a ReportException.
 */
package org.mflowhpc.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.group.Group;
import org.mflowhpc.io.Ensemble;
import org.mflowhpc.io.EnsembleFormatException;
import org.mflowhpc.io.EnsembleMeta;
import org.mflowhpc.io.Shard;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.observable.exact.Exact2D;
import org.mflowhpc.observable.exact.SU3Characters;
import org.mflowhpc.observable.stats.Autocorrelation;

/** Analysis of one ensemble for the report. */
public final class EnsembleAnalysis {
    /** How the configurations are to be averaged. */
    public enum Sampler { MARKOV, FLOW_MH, FLOW_REWEIGHT }

    /** One observable: series, estimate, running mean, rho(t) past the window, exact value (or null). */
    public record Observable(String name, double[] series, Autocorrelation.Result result, double[] runningMean, double[] rho, Double exact) {}

    public final Path path;
    public final EnsembleMeta meta;
    public final Sampler sampler;
    public final int skip, n;
    public final double sTau;
    public final Map<String, Observable> observables = new LinkedHashMap<>();
    /** Reweighting weights exp(log w - max) of the kept configurations (FLOW_REWEIGHT), else null. */
    public final double[] weights;
    /** accepted flags of the kept configurations (FLOW_MH), else null. */
    public final double[] accepted;
    public final Autocorrelation.Result acceptance;
    /** Proposal log-weight diagnostics (flow ensembles), else null. */
    public final FlowWeights flow;
    public final Double logZExact, klExact;

    /** Reads and analyses the ensemble at {@code path}. */
    public EnsembleAnalysis(Path path, Backend be, int skip, double sTau, List<int[]> loops) throws ReportException {
        this.path = path;
        this.skip = skip;
        this.sTau = sTau;
        Ensemble ens;
        try {
            ens = Ensemble.open(List.of(path));
        } catch (EnsembleFormatException e) {
            throw new ReportException(e.getMessage(), e);
        } catch (IOException e) {
            throw new ReportException(path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new ReportException(path + ": unreadable ensemble (" + e.getMessage() + ")", e);
        }
        meta = ens.meta();
        if (ens.size() == 0) throw new ReportException(path + ": the ensemble holds no configurations");
        ShardSeries ss = new ShardSeries(be, meta, loops);
        for (int i = 0; i < ens.shards().size(); i++) {
            Shard s;
            try {
                s = ens.readShard(i);
            } catch (EnsembleFormatException e) {
                throw new ReportException(e.getMessage(), e);
            } catch (IOException e) {
                throw new ReportException(ens.shards().get(i).file() + ": cannot read: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw new ReportException(ens.shards().get(i).file() + ": unreadable shard (" + e.getMessage() + ")", e);
            }
            ss.add(s, s.configs(be));
        }
        Map<String, List<Double>> series = ss.series;
        List<Double> logw = ss.logw, acc = ss.accepted, proposalLogw = ss.proposalLogw;
        boolean hasLogW = ss.hasLogW(), hasAcc = ss.hasAccepted(), hasProposal = ss.hasProposalLogW();
        int total = series.get("plaquette").size();
        if (skip >= total) throw new ReportException("--skip " + skip + " leaves no configurations (" + path + " has " + total + ")");
        n = total - skip;
        sampler = hasAcc ? Sampler.FLOW_MH : hasLogW ? Sampler.FLOW_REWEIGHT : Sampler.MARKOV;
        double[] w = null;
        if (sampler == Sampler.FLOW_REWEIGHT) {
            double[] lw = tail(logw, skip);
            double mx = Double.NEGATIVE_INFINITY;
            for (double v : lw) mx = Math.max(mx, v);
            w = new double[lw.length];
            for (int k = 0; k < lw.length; k++) w[k] = Math.exp(lw[k] - mx);
        }
        weights = w;
        for (Map.Entry<String, List<Double>> e : series.entrySet()) {
            double[] x = tail(e.getValue(), skip);
            Autocorrelation.Result r;
            double[] rho;
            double[] run = new double[x.length];
            int show;
            if (w == null) {
                r = Autocorrelation.analyze(x, sTau);
                show = rhoLags(r, x.length);
                rho = Autocorrelation.rhoFunction(x, r, show);
                double s = 0;
                for (int k = 0; k < x.length; k++) { s += x[k]; run[k] = s / (k + 1); }
            } else {
                double[] wx = new double[x.length];
                for (int k = 0; k < x.length; k++) wx[k] = w[k] * x[k];
                double[][] d = {wx, w};
                r = Autocorrelation.derived(d, m -> m[0] / m[1], sTau);
                show = rhoLags(r, x.length);
                rho = Autocorrelation.rhoFunction(d, r, show);
                double sw = 0, swx = 0;
                for (int k = 0; k < x.length; k++) { sw += w[k]; swx += wx[k]; run[k] = swx / sw; }
            }
            observables.put(e.getKey(), new Observable(e.getKey(), x, r, run, rho, exact(meta, e.getKey())));
        }
        if (hasAcc) {
            accepted = tail(acc, skip);
            acceptance = Autocorrelation.analyze(accepted, sTau);
        } else {
            accepted = null;
            acceptance = null;
        }
        if (hasLogW) {
            double[] lwp = tail(hasAcc && hasProposal ? proposalLogw : logw, skip);
            if (lwp.length < 2) throw new ReportException(path + ": flow diagnostics need at least 2 proposals after --skip, have " + lwp.length);
            try {
                flow = new FlowWeights(lwp, bins(lwp.length));
            } catch (IllegalArgumentException e) {
                throw new ReportException(path + ": log-weights: " + e.getMessage(), e);
            }
            if (meta.lattice().d == 2) {
                logZExact = exactLogZ(meta);
                klExact = org.mflowhpc.observable.stats.Ess.klExact(lwp, logZExact);
            } else {
                logZExact = null;
                klExact = null;
            }
        } else {
            flow = null;
            logZExact = null;
            klExact = null;
        }
    }

    /** Lags of rho(t) to show: four windows, at least 20, at most half the series. */
    static int rhoLags(Autocorrelation.Result r, int n) {
        return Math.max(r.window(), Math.min(n / 2, Math.max(20, 4 * r.window())));
    }

    /** Histogram bins for N values: sqrt(N) clamped to [10, 60]. */
    static int bins(int n) {
        return (int) Math.max(10, Math.min(60, Math.round(Math.sqrt(n))));
    }

    /** Exact value of an observable where one is known (as `measure` prints it), else null. */
    public static Double exact(EnsembleMeta meta, String name) {
        Lattice lat = meta.lattice();
        if (lat.d != 2) return null;
        double b = meta.beta();
        if (meta.group() == Group.U1) {
            switch (name) {
                case "plaquette": case "W(1x1)": return Exact2D.u1Plaquette(b, lat.volume);
                case "chi_t": return Exact2D.u1TopologicalSusceptibility(b, lat.volume);
                case "Q": return 0.0;
                default:
                    if (name.startsWith("W(")) {
                        String[] p = name.substring(2, name.length() - 1).split("x");
                        return Exact2D.u1WilsonLoop(b, Integer.parseInt(p[0]), Integer.parseInt(p[1]), lat.extent(0), lat.extent(1));
                    }
                    return null;
            }
        }
        if (meta.group() == Group.SU3 && (name.equals("plaquette") || name.equals("W(1x1)"))) return Exact2D.suNPlaquette(3, b);
        return null;
    }

    /**
     * log Z of a 2D ensemble's theory, else null: U(1) the exact torus sum; SU(3) V log z0 (the trivial-representation
     * term of the torus sum; the others are suppressed by (c_r / d_r c_0)^V, negligible for V >= 64).
     */
    public static Double exactLogZ(EnsembleMeta meta) {
        Lattice lat = meta.lattice();
        if (lat.d != 2) return null;
        return meta.group() == Group.U1 ? Exact2D.u1LogZ(meta.beta(), lat.volume) : new SU3Characters(meta.beta()).logZ(lat.volume);
    }

    /** "2D U(1)" style name of the theory. */
    public static String theory(EnsembleMeta meta) {
        return meta.lattice().d + "D " + (meta.group() == Group.U1 ? "U(1)" : "SU(3)");
    }

    /** The model that proposed a flow ensemble (from the shard attributes), or null. */
    public String modelKind() {
        Object k = meta.extra().get("model_kind");
        return k == null ? null : k.toString();
    }

    /** One line: theory, lattice, beta, sampler (and model), configurations, path. */
    public String caption() {
        String m = modelKind();
        return theory(meta) + ", lattice " + meta.lattice().spec() + ", \u03b2 = " + meta.beta() + ", " + meta.algorithm()
                + (m != null ? " (model " + m + ")" : "") + ", " + n + " configurations" + (skip > 0 ? " after skipping " + skip : "")
                + "; " + path;
    }

    private static double[] tail(List<Double> l, int skip) { return ShardSeries.tail(l, skip); }
}
