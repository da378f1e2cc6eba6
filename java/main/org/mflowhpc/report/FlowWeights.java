/*
 * Contract: the reweighting diagnostics that the report draws for a flow (proposal log-weights log w_i = -S(U_i) -
 * log q(U_i), i = 1..N in sampling order; docs/physics.md §2), all from observable.stats.Ess (the code `measure`
 * uses):
 *   summary      Ess.summary(log w, B = 200, seed = 1): ESS/N with its bootstrap error, log Zhat = LSE(log w) - log N,
 *                its delta-method error, var(log w), KL with the estimated log Z  (the same call as `measure`)
 *   histogram    of r_i = log w_i - log Zhat = log(w_i / mean w), `bins` equal bins over [min r, max r]
 *                (counts; zero weights, log w = -inf, are counted apart), with the normal density of the same mean
 *                and variance scaled to counts (a log-normal weight distribution is a parabola on a log axis; a
 *                heavier left or right tail is what breaks reweighting)
 *   ESS curve    ESS/n of the first n proposals for n geometric from min(N, 10) to N (about 24 points), each
 *                with the bootstrap (Ess.bootstrapEss, B = 200, seed = 1) mean, standard deviation and 95%
 *                percentile band: a flat curve means the ESS has converged; a falling one means rare large
 *                weights are still being discovered (heavy tails: the ESS read off a few hundred samples is too
 *                high)
 *   top-k share  s_k = (sum of the k largest w) / (sum w) for k geometric from 1 to N (equal weights: s_k = k/N),
 *                and s_k at k = 1, 10, 100, 1% N, 10% N.
 * Input: N >= 2 log-weights, none NaN or +inf (-inf allowed: zero weight), at least one finite.
 */
package org.mflowhpc.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.mflowhpc.observable.stats.Ess;

/** Log-weight diagnostics (immutable after construction). */
public final class FlowWeights {
    public static final int BOOTSTRAP = 200;
    public static final long BOOTSTRAP_SEED = 1;

    public final int n;
    public final double[] logw;
    public final Ess.Summary summary;
    public final int zeroWeights;
    /** Histogram of log w - log Zhat: bin edges lo/hi, counts, normal reference (counts). */
    public final double[] binLo, binHi, counts, normal;
    /** ESS curve: sample sizes, ESS/n, bootstrap mean, error, 95% band. */
    public final double[] curveN, curveEss, curveMean, curveErr, curveLo, curveHi;
    /** Top-k share of sum w. */
    public final double[] topK, topShare;
    /** s_k at named k ("1", "10", "100", "1%", "10%"). */
    public final Map<String, Double> topNamed;

    public FlowWeights(double[] logw, int bins) {
        if (logw.length < 2) throw new IllegalArgumentException("need >= 2 log-weights, got " + logw.length);
        this.n = logw.length;
        this.logw = logw.clone();
        this.summary = Ess.summary(logw, BOOTSTRAP, BOOTSTRAP_SEED);
        double lz = summary.logZ();
        if (!Double.isFinite(lz)) throw new IllegalArgumentException("every log-weight is -inf (no usable weight)");

        // histogram of r = log w - log Zhat
        int zero = 0;
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY, s = 0, q = 0;
        int m = 0;
        for (double v : logw) {
            if (v == Double.NEGATIVE_INFINITY) { zero++; continue; }
            double r = v - lz;
            lo = Math.min(lo, r);
            hi = Math.max(hi, r);
            s += r;
            m++;
        }
        this.zeroWeights = zero;
        double mean = s / m;
        for (double v : logw) if (v != Double.NEGATIVE_INFINITY) q += (v - lz - mean) * (v - lz - mean);
        double var = m > 1 ? q / (m - 1) : 0;
        int nb = Math.max(1, bins);
        if (!(hi > lo)) { lo -= 0.5; hi += 0.5; nb = 1; }
        double w = (hi - lo) / nb;
        binLo = new double[nb];
        binHi = new double[nb];
        counts = new double[nb];
        normal = new double[nb];
        for (int b = 0; b < nb; b++) { binLo[b] = lo + b * w; binHi[b] = b == nb - 1 ? hi : lo + (b + 1) * w; }
        for (double v : logw) {
            if (v == Double.NEGATIVE_INFINITY) continue;
            int b = (int) Math.floor((v - lz - lo) / w);
            counts[Math.max(0, Math.min(nb - 1, b))]++;
        }
        for (int b = 0; b < nb; b++) {
            double c = 0.5 * (binLo[b] + binHi[b]);
            normal[b] = var > 0 ? m * w * Math.exp(-0.5 * (c - mean) * (c - mean) / var) / Math.sqrt(2 * Math.PI * var) : Double.NaN;
        }

        // ESS of the first n proposals
        List<Integer> sizes = geometric(Math.min(n, 10), n, 24);
        int k = sizes.size();
        curveN = new double[k]; curveEss = new double[k]; curveMean = new double[k]; curveErr = new double[k];
        curveLo = new double[k]; curveHi = new double[k];
        for (int i = 0; i < k; i++) {
            int ni = sizes.get(i);
            double[] pre = Arrays.copyOf(logw, ni);
            curveN[i] = ni;
            if (ni < 2) { curveEss[i] = Ess.essFraction(pre); curveMean[i] = curveEss[i]; curveLo[i] = curveHi[i] = curveEss[i]; continue; }
            Ess.Bootstrap bs = Ess.bootstrapEss(pre, BOOTSTRAP, BOOTSTRAP_SEED);
            curveEss[i] = bs.ess();
            curveMean[i] = bs.mean();
            curveErr[i] = bs.error();
            curveLo[i] = bs.lo95();
            curveHi[i] = bs.hi95();
        }

        // top-k shares
        double mx = Double.NEGATIVE_INFINITY;
        for (double v : logw) mx = Math.max(mx, v);
        double[] ws = new double[n];
        for (int i = 0; i < n; i++) ws[i] = Math.exp(logw[i] - mx);
        Arrays.sort(ws);
        double[] cum = new double[n + 1];
        for (int i = 0; i < n; i++) cum[i + 1] = cum[i] + ws[n - 1 - i];
        double tot = cum[n];
        List<Integer> ks = geometric(1, n, 60);
        topK = new double[ks.size()];
        topShare = new double[ks.size()];
        for (int i = 0; i < ks.size(); i++) { topK[i] = ks.get(i); topShare[i] = cum[ks.get(i)] / tot; }
        Map<String, Double> named = new LinkedHashMap<>();
        for (int kk : new int[] {1, 10, 100}) if (kk <= n) named.put(Integer.toString(kk), cum[kk] / tot);
        named.put("1%", cum[Math.max(1, (int) Math.round(0.01 * n))] / tot);
        named.put("10%", cum[Math.max(1, (int) Math.round(0.10 * n))] / tot);
        topNamed = java.util.Collections.unmodifiableMap(named);
    }

    /** About {@code points} distinct integers from a to b (inclusive) spaced geometrically, b included. */
    static List<Integer> geometric(int a, int b, int points) {
        List<Integer> out = new ArrayList<>();
        if (b <= a) { out.add(b); return out; }
        double r = Math.pow((double) b / a, 1.0 / Math.max(1, points - 1));
        double x = a;
        int last = 0;
        while (true) {
            int v = (int) Math.round(x);
            if (v > b) break;
            if (v > last) { out.add(v); last = v; }
            if (v == b) break;
            x *= r;
        }
        if (last != b) out.add(b);
        return out;
    }
}
