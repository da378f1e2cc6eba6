/*
 * Contract: the report's figures, built from the analyses (no computation of physics here, only arrangement):
 * ensembles:  Monte Carlo histories of plaquette, Q (2D U(1)) and |Polyakov loop| with the running mean and the
 *             exact value; Gamma(t)/Gamma(0) with the automatic window W and tau_int(W') = 1/2 + sum_{t<=W'} rho(t)
 *             (whose value at W is the tau_int `measure` reports); flow ensembles: histogram of log w - log Zhat
 *             (log count axis), ESS/n against n with the bootstrap 95% band, the top-k share of sum w, and for MH
 *             chains the acceptance history; several ensembles of one theory: charge (else plaquette) histories
 *             side by side on a shared axis;
 * training:   loss and KL = loss + log Z against step, batch ESS against step with the fresh-sample ESS of the
 *             final model, KL (or log q and log p) by doubling layer against step and for the final model, and
 *             the fresh samples' weight diagnostics.
 * Every axis label carries the quantity's definition or unit; every caption names theory, lattice, beta, sampler
 * or model, sample size and path. Ids are "<section>-<name>", section = e1, e2, ... (ensembles), t1, ... (training
 * runs), c1, ... (comparisons).
 */
package org.mflowhpc.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.mflowhpc.observable.stats.Autocorrelation;

/** Figure builders (static). */
final class Figures {
    private Figures() {}

    static String f(String fmt, Object... a) { return String.format(Locale.ROOT, fmt, a); }

    static String yLabel(String obs) {
        switch (obs) {
            case "plaquette": return "plaquette (1/N) Re tr P  (mean over all plaquettes)";
            case "Q": return "topological charge Q = (1/2\u03c0) \u03a3\u2093 arg P\u2080\u2081(x)";
            case "chi_t": return "Q\u00b2/V  (\u03c7_t estimator)";
            case "|polyakov|": return "|P| = |(1/V\u209b) \u03a3 (1/N) tr \u03a0\u209c U(d\u22121)|  (last direction)";
            default: return obs;
        }
    }

    static String pretty(String obs) {
        switch (obs) {
            case "plaquette": return "plaquette";
            case "Q": return "topological charge Q";
            case "chi_t": return "\u03c7_t = \u27e8Q\u00b2\u27e9/V";
            case "|polyakov|": return "|Polyakov loop|";
            default: return obs;
        }
    }

    static String slug(String obs) {
        switch (obs) {
            case "|polyakov|": return "polyakov";
            case "chi_t": return "chi-t";
            case "Q": return "q";
            default: return obs.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        }
    }

    static String estimate(Autocorrelation.Result r) {
        return f("%.6g \u00b1 %.2g, \u03c4_int = %.3g \u00b1 %.2g, W = %d", r.value(), r.error(), r.tauInt(), r.tauIntError(), r.window());
    }

    static double[] range(int from, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = from + i;
        return x;
    }

    // ------------------------------------------------------------------ ensembles

    static List<Figure> ensemble(String sec, EnsembleAnalysis e) {
        List<Figure> out = new ArrayList<>();
        for (String obs : new String[] {"plaquette", "Q", "|polyakov|"}) {
            EnsembleAnalysis.Observable o = e.observables.get(obs);
            if (o != null) out.add(history(sec, e, o));
        }
        for (EnsembleAnalysis.Observable o : e.observables.values()) {
            if (o.name().startsWith("W(")) continue; // Wilson loops: in the tables only
            Figure a = acf(sec, e, o);
            if (a != null) out.add(a);
        }
        if (e.flow != null) {
            String who = e.n + " proposals of the ensemble";
            out.add(logWeightHistogram(sec, e.flow, e.caption(), who));
            out.add(essCurve(sec, e.flow, e.caption(), who));
            out.add(topShare(sec, e.flow, e.caption(), who));
        }
        if (e.accepted != null) out.add(acceptance(sec, e));
        return out;
    }

    static Figure history(String sec, EnsembleAnalysis e, EnsembleAnalysis.Observable o) {
        double[] x = range(e.skip, e.n);
        boolean rw = e.sampler == EnsembleAnalysis.Sampler.FLOW_REWEIGHT;
        Figure.Panel p = new Figure.Panel(xLabel(e), yLabel(o.name()));
        p.integerY = o.name().equals("Q");
        p.line(rw ? "per proposal (unweighted)" : "per configuration", x, o.series());
        p.line(rw ? "running reweighted mean \u03a3 w O / \u03a3 w" : "running mean", x, o.runningMean());
        if (o.exact() != null) p.hmark("exact " + (o.exact() == 0 ? "0" : f("%.6g", o.exact())) + exactNote(e, o.name()), o.exact());
        String cap = e.caption() + ". Estimate " + estimate(o.result()) + " (Wolff's \u0393 method, S_\u03c4 = " + e.sTau + ")"
                + (o.exact() != null ? "; exact " + (o.exact() == 0 ? "0" : f("%.8g", o.exact())) : "") + ".";
        return Figure.single(sec + "-history-" + slug(o.name()), "Monte Carlo history: " + pretty(o.name()), cap, p).size(1000, 560);
    }

    static String xLabel(EnsembleAnalysis e) {
        switch (e.sampler) {
            case FLOW_MH: return "chain step (independence Metropolis\u2013Hastings, one proposal per step)";
            case FLOW_REWEIGHT: return "proposal index (independent flow samples)";
            default: return "configuration (Monte Carlo time, " + e.meta.algorithm() + ")";
        }
    }

    static String exactNote(EnsembleAnalysis e, String obs) {
        if (e.meta.group() == org.mflowhpc.group.Group.SU3) return " (infinite volume)";
        return obs.equals("Q") ? "" : " (torus, V = " + e.meta.lattice().volume + ")";
    }

    static Figure acf(String sec, EnsembleAnalysis e, EnsembleAnalysis.Observable o) {
        Autocorrelation.Result r = o.result();
        double[] rho = o.rho();
        if (rho.length < 2) return null;
        double[] t = range(0, rho.length), tau = new double[rho.length];
        double s = 0.5;
        tau[0] = 0.5;
        for (int k = 1; k < rho.length; k++) { s += rho[k]; tau[k] = s; }
        boolean rw = e.sampler == EnsembleAnalysis.Sampler.FLOW_REWEIGHT;
        String wl = f("automatic window W = %d (S_\u03c4 = %s)", r.window(), e.sTau);
        Figure.Panel top = new Figure.Panel("lag t (configurations)", "\u0393(t)/\u0393(0)");
        top.line(rw ? "\u03c1(t) of the projected fluctuations of \u27e8wO\u27e9/\u27e8w\u27e9" : "\u03c1(t) = \u0393(t)/\u0393(0)", t, rho);
        top.hmark("0", 0);
        top.vmark(wl, r.window());
        top.weight = 3;
        Figure.Panel bot = new Figure.Panel("lag t (configurations)", "\u03c4_int(W') = \u00bd + \u03a3 \u03c1(t), t = 1..W'");
        bot.line("\u03c4_int(W')", t, tau);
        bot.hmark(f("\u03c4_int = %.3g \u00b1 %.2g at W = %d", r.tauInt(), r.tauIntError(), r.window()), r.tauInt());
        bot.vmark("W", r.window());
        bot.weight = 2;
        Figure fig = new Figure(sec + "-acf-" + slug(o.name()), "Normalised autocorrelation: " + pretty(o.name()),
                e.caption() + ". Wolff's \u0393 method with bias correction (the numbers `mflow measure` reports): "
                        + estimate(r) + (r.flags().isEmpty() ? "" : "; flags " + r.flags()) + ".",
                Figure.Layout.STACKED);
        return fig.add(top).add(bot).size(1000, 640);
    }

    static Figure logWeightHistogram(String sec, FlowWeights w, String caption, String who) {
        Figure.Panel p = new Figure.Panel("log w \u2212 log \u1e90 = log(w / mean w),   w = exp(\u2212S)/q", "proposals per bin (log scale)");
        p.logY = true;
        p.yMin = 0.5; // the bars' base: a bin with one count shows
        p.bars("proposals", w.binLo, w.binHi, w.counts);
        boolean normal = false;
        for (double v : w.normal) normal |= Double.isFinite(v);
        if (normal) {
            double[] c = new double[w.binLo.length];
            for (int i = 0; i < c.length; i++) c[i] = 0.5 * (w.binLo[i] + w.binHi[i]);
            p.dashed("normal with the same mean and variance", c, w.normal);
        }
        p.vmark("w = \u1e90", 0);
        String cap = caption + f(". %s: N = %d, ESS/N = %.4g \u00b1 %.2g, log \u1e90 = %.6g \u00b1 %.2g, var(log w) = %.4g%s.", who, w.n,
                w.summary.essFraction(), w.summary.essError(), w.summary.logZ(), w.summary.logZError(), w.summary.varLogW(),
                w.zeroWeights > 0 ? ", " + w.zeroWeights + " zero weights (log w = \u2212\u221e) not shown" : "");
        return Figure.single(sec + "-logw-histogram", "Log-weights of the flow proposals (heavy tails break reweighting)", cap, p).size(1000, 560);
    }

    static Figure essCurve(String sec, FlowWeights w, String caption, String who) {
        Figure.Panel p = new Figure.Panel("n, number of proposals used (the first n in sampling order; log scale)", "ESS/n = (\u03a3w)\u00b2 / (n \u03a3w\u00b2)");
        p.logX = true;
        p.band("ESS/n with bootstrap 95% band (" + FlowWeights.BOOTSTRAP + " resamples)", w.curveN, w.curveEss, w.curveLo, w.curveHi);
        p.hmark(f("all N = %d: ESS/N = %.4g \u00b1 %.2g", w.n, w.summary.essFraction(), w.summary.essError()), w.summary.essFraction());
        p.yRange(0, 1.05);
        String cap = caption + ". " + who + ": a flat curve means the ESS has converged; a falling one means rare large weights are "
                + "still being found, so the ESS of a small sample is too high.";
        return Figure.single(sec + "-ess-vs-n", "Effective sample size against the number of samples used", cap, p).size(1000, 560);
    }

    static Figure topShare(String sec, FlowWeights w, String caption, String who) {
        Figure.Panel p = new Figure.Panel("k, number of largest weights (log scale)", "share of \u03a3w held by the k largest weights (log scale)");
        p.logX = true;
        p.logY = true;
        p.line("top-k share", w.topK, w.topShare);
        double[] eq = new double[w.topK.length];
        for (int i = 0; i < eq.length; i++) eq[i] = w.topK[i] / w.n;
        p.dashed("equal weights (k/N)", w.topK, eq);
        p.yMax = 1.3;
        StringBuilder sb = new StringBuilder();
        for (var en : w.topNamed.entrySet()) sb.append(sb.length() == 0 ? "" : ", ").append("top ").append(en.getKey()).append(f(": %.3g", en.getValue()));
        return Figure.single(sec + "-top-k", "Share of the total weight held by the largest weights", caption + ". " + who + ": " + sb + ".", p).size(1000, 560);
    }

    static Figure acceptance(String sec, EnsembleAnalysis e) {
        int n = e.accepted.length;
        double[] x = range(e.skip, n), cum = new double[n];
        double s = 0;
        for (int i = 0; i < n; i++) { s += e.accepted[i]; cum[i] = s / (i + 1); }
        int blk = Math.max(10, n / 50), nb = Math.max(1, n / blk);
        double[] bx = new double[nb], by = new double[nb];
        for (int b = 0; b < nb; b++) {
            double t = 0;
            for (int i = b * blk; i < (b + 1) * blk && i < n; i++) t += e.accepted[i];
            bx[b] = e.skip + (b + 0.5) * blk;
            by[b] = t / blk;
        }
        Figure.Panel p = new Figure.Panel("chain step", "acceptance (fraction of accepted proposals)");
        p.points("in blocks of " + blk + " steps", bx, by);
        p.line("running (cumulative)", x, cum);
        p.hmark(f("overall %.4g \u00b1 %.2g", e.acceptance.value(), e.acceptance.error()), e.acceptance.value());
        p.yRange(0, 1.02);
        return Figure.single(sec + "-acceptance", "Independence Metropolis\u2013Hastings acceptance",
                e.caption() + f(". Acceptance %.4g \u00b1 %.2g (\u03c4_int %.3g).", e.acceptance.value(), e.acceptance.error(), e.acceptance.tauInt()), p).size(1000, 520);
    }

    /** Charge (else plaquette) histories of several ensembles of one theory, side by side on a shared axis. */
    static Figure sideBySide(String sec, List<EnsembleAnalysis> es) {
        EnsembleAnalysis e0 = es.get(0);
        String obs = e0.observables.containsKey("Q") ? "Q" : "plaquette";
        Figure fig = new Figure(sec + "-" + slug(obs) + "-side-by-side", (obs.equals("Q") ? "Topological charge" : "Plaquette") + " histories side by side",
                EnsembleAnalysis.theory(e0.meta) + ", lattice " + e0.meta.lattice().spec() + ", \u03b2 = " + e0.meta.beta() + "; "
                        + String.join("; ", es.stream().map(x -> x.meta.algorithm() + (x.modelKind() != null ? " (" + x.modelKind() + ")" : "")
                        + f(": %d configurations, \u03c4_int(%s) = %.3g \u00b1 %.2g", x.n, obs, x.observables.get(obs).result().tauInt(),
                        x.observables.get(obs).result().tauIntError()) + ", " + x.path).toList()) + ".",
                Figure.Layout.SIDE_BY_SIDE);
        for (EnsembleAnalysis e : es) {
            EnsembleAnalysis.Observable o = e.observables.get(obs);
            Figure.Panel p = new Figure.Panel(e.sampler == EnsembleAnalysis.Sampler.MARKOV ? "configuration (" + e.meta.algorithm() + ")"
                    : e.sampler == EnsembleAnalysis.Sampler.FLOW_MH ? "chain step (" + e.meta.algorithm() + ")" : "proposal (" + e.meta.algorithm() + ")",
                    yLabel(obs));
            p.integerY = obs.equals("Q");
            p.line(e.meta.algorithm() + (e.modelKind() != null ? " (" + e.modelKind() + ")" : "") + " \u2014 " + e.path.getFileName(), range(e.skip, e.n), o.series());
            fig.add(p);
        }
        return fig.size(Math.max(1000, 420 * es.size()), 560);
    }

    // ------------------------------------------------------------------ training runs

    static List<Figure> training(String sec, TrainingAnalysis t) {
        List<Figure> out = new ArrayList<>();
        if (t.step.length > 0) {
            out.add(loss(sec, t));
            out.add(batchEss(sec, t));
        }
        if (t.recordedLevels() > 0) out.add(levelHistory(sec, t));
        if (t.freshLogQ != null) out.add(levelFinal(sec, t));
        if (t.fresh != null) {
            String who = t.fresh.n + " fresh samples of the final model (step " + t.checkpoint.step + ")";
            out.add(logWeightHistogram(sec, t.fresh, t.caption(), who));
            out.add(essCurve(sec, t.fresh, t.caption(), who));
            out.add(topShare(sec, t.fresh, t.caption(), who));
        }
        return out;
    }

    /** Trailing running mean over `w` finite values (NaN where none). */
    static double[] smooth(double[] y, int w) {
        double[] o = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            double s = 0;
            int c = 0;
            for (int j = Math.max(0, i - w + 1); j <= i; j++) if (Double.isFinite(y[j])) { s += y[j]; c++; }
            o[i] = c > 0 ? s / c : Double.NaN;
        }
        return o;
    }

    static int smoothWindow(int n) { return Math.max(1, Math.min(50, n / 20)); }

    static Figure loss(String sec, TrainingAnalysis t) {
        int w = smoothWindow(t.step.length);
        Figure.Panel p = new Figure.Panel("training step", "loss = mean over the batch of log q + S");
        p.line("per step (batch of fresh samples)", t.step, t.loss);
        if (w > 1) p.line("running mean over " + w + " steps", t.step, smooth(t.loss, w));
        if (t.logZExact != null) p.hmark(f("\u2212log Z = %.6g (exact): the loss of q = p", -t.logZExact), -t.logZExact);
        Figure fig;
        String cap = t.caption() + ". Reverse-KL loss E_q[log q + S] = KL(q\u2016p) \u2212 log Z";
        if (t.logZExact == null) {
            fig = Figure.single(sec + "-loss", "Training loss", cap + " (log Z not known exactly for this theory).", p);
            return fig.size(1000, 560);
        }
        double[] kl = new double[t.loss.length];
        for (int i = 0; i < kl.length; i++) kl[i] = t.loss[i] + t.logZExact;
        Figure.Panel k = new Figure.Panel("training step", "KL(q\u2016p) = loss + log Z");
        k.line("per step", t.step, kl);
        if (w > 1) k.line("running mean over " + w + " steps", t.step, smooth(kl, w));
        k.hmark("0", 0);
        if (t.freshKl != null) k.hmark(f("final model, %d fresh samples: KL = %.4g", t.fresh.n, t.freshKl), t.freshKl);
        fig = new Figure(sec + "-loss", "Training loss and KL divergence", cap + f("; log Z = %.8g (exact, %s).", t.logZExact,
                t.checkpoint.group == org.mflowhpc.group.Group.U1 ? "torus character sum" : "V log z0"), Figure.Layout.STACKED);
        return fig.add(p).add(k).size(1000, 700);
    }

    static Figure batchEss(String sec, TrainingAnalysis t) {
        int w = smoothWindow(t.step.length);
        Figure.Panel p = new Figure.Panel("training step", "ESS/B of the step's batch (B fresh samples)");
        p.line("per step", t.step, t.ess);
        if (w > 1) p.line("running mean over " + w + " steps", t.step, smooth(t.ess, w));
        if (t.fresh != null)
            p.hmark(f("final model, %d fresh samples: %.4g \u00b1 %.2g", t.fresh.n, t.fresh.summary.essFraction(), t.fresh.summary.essError()),
                    t.fresh.summary.essFraction());
        p.yRange(0, 1.02);
        return Figure.single(sec + "-ess", "Effective sample size during training", t.caption()
                + ". Each step draws a new batch from the current model; the batch ESS of a small batch overstates the ESS of the model,"
                + " which the marked fresh-sample value measures.", p).size(1000, 560);
    }

    static String levelName(TrainingAnalysis t, int k) {
        return t.levelLabels != null && k < t.levelLabels.length ? "layer " + k + " (" + t.levelLabels[k] + ")" : "layer " + k;
    }

    static Figure levelHistory(String sec, TrainingAnalysis t) {
        boolean kl = t.klLevel != null;
        int L = t.recordedLevels();
        Figure.Panel p = new Figure.Panel("training step", kl ? "KL of layer k's conditional, E_q[log q_k \u2212 log p_k]" : "batch mean of log q_k");
        for (int k = 0; k < L; k++) {
            double[] y = new double[t.levelSteps.length];
            for (int i = 0; i < y.length; i++) y[i] = kl ? t.klLevel[i][k] : t.logQLevel[i][k];
            p.line(levelName(t, k), t.levelSteps, y);
        }
        if (kl) p.hmark("0", 0);
        String cap = t.caption() + ". Recorded by the trainer on the step's batch every few steps (metrics.jsonl: "
                + (kl ? "kl_level; the layers sum to loss + log Z" : "log_q_level; with refinement layers there is no KL split by level") + ").";
        return Figure.single(sec + "-levels", kl ? "KL divergence by doubling layer during training" : "log q by level during training", cap, p).size(1000, 600);
    }

    static Figure levelFinal(String sec, TrainingAnalysis t) {
        int L = t.freshLogQ.length;
        double[] x = range(0, L);
        Figure.Panel p;
        if (t.freshKlLevel != null) {
            p = new Figure.Panel("doubling layer k (0 = coarsest)", "KL_k = E_q[log q_k \u2212 log p_k]  (\u00b1 standard error)");
            p.errors("KL by layer", x, t.freshKlLevel, minus(t.freshKlLevel, t.freshKlLevelErr), plus(t.freshKlLevel, t.freshKlLevelErr));
            p.hmark("0", 0);
        } else {
            p = new Figure.Panel("level k (0 = coarsest; last = refinement layers)", "mean log density of level k  (\u00b1 standard error)");
            p.errors("log q_k (model)", x, t.freshLogQ, minus(t.freshLogQ, t.freshLogQErr), plus(t.freshLogQ, t.freshLogQErr));
            boolean exactKnown = false;
            for (double v : t.freshLogP) exactKnown |= Double.isFinite(v);
            if (exactKnown) p.errors("log p_k (exact conditionals)", x, t.freshLogP, minus(t.freshLogP, t.freshLogPErr), plus(t.freshLogP, t.freshLogPErr));
        }
        p.xMin = -0.5;
        p.xMax = L - 0.5;
        p.xSymbols = new String[L];
        for (int k = 0; k < L; k++) p.xSymbols[k] = k + ": " + t.levelLabels[k].replace("->", "\u2192");
        StringBuilder names = new StringBuilder();
        for (int k = 0; k < L; k++) names.append(k == 0 ? "" : ", ").append(k).append(": ").append(t.levelLabels[k]);
        return Figure.single(sec + "-levels-final", t.freshKlLevel != null ? "KL divergence by doubling layer, final model" : "log q and log p by level, final model",
                t.caption() + ". " + t.fresh.n + " fresh samples; layers " + names + ".", p).size(1000, 560);
    }

    static double[] minus(double[] a, double[] e) { double[] o = new double[a.length]; for (int i = 0; i < o.length; i++) o[i] = a[i] - e[i]; return o; }
    static double[] plus(double[] a, double[] e) { double[] o = new double[a.length]; for (int i = 0; i < o.length; i++) o[i] = a[i] + e[i]; return o; }
}
