package org.mflowhpc.nn;

/**
 * Adam (Kingma & Ba) with bias correction and optional decoupled weight decay (AdamW, Loshchilov & Hutter), plus
 * global-norm gradient clipping. Updates {@link Params#values()} from {@link Params#grads()}.
 *
 * <p>Step t (1-based after increment), per parameter i, with learning rate lr supplied by the caller:
 * <pre>
 *   m_i = b1 m_i + (1 - b1) g_i ;  v_i = b2 v_i + (1 - b2) g_i^2
 *   p_i -= lr * ( (m_i / (1 - b1^t)) / (sqrt(v_i / (1 - b2^t)) + eps) + wd * p_i )
 * </pre>
 * State: m[], v[] (same length as the parameters) and t: all in flat arrays so checkpoints restore it bit-exactly
 * ({@link #m()}, {@link #v()}, {@link #t()}, {@link #restore}). About 15 flops and one sqrt per parameter per step.
 */
public final class Adam {
    private final Params params;
    public final double beta1, beta2, eps, weightDecay;
    private final double[] m, v;
    private long t;

    public Adam(Params params) { this(params, 0.9, 0.999, 1e-8, 0.0); }

    public Adam(Params params, double beta1, double beta2, double eps, double weightDecay) {
        this.params = params;
        this.beta1 = beta1; this.beta2 = beta2; this.eps = eps; this.weightDecay = weightDecay;
        this.m = new double[params.size()];
        this.v = new double[params.size()];
    }

    public double[] m() { return m; }
    public double[] v() { return v; }
    public long t() { return t; }

    /** Restores optimiser state (copies). */
    public void restore(double[] m, double[] v, long t) {
        if (m.length != this.m.length || v.length != this.v.length)
            throw new IllegalArgumentException("Adam state size mismatch: " + m.length + " vs " + this.m.length);
        System.arraycopy(m, 0, this.m, 0, m.length);
        System.arraycopy(v, 0, this.v, 0, v.length);
        this.t = t;
    }

    /**
     * Scales grads so that their global Euclidean norm is at most maxNorm (no-op if maxNorm <= 0 or infinite);
     * returns the norm before clipping.
     */
    public static double clipGradNorm(Params p, double maxNorm) {
        double n = p.gradNorm();
        if (maxNorm > 0 && Double.isFinite(maxNorm) && n > maxNorm) {
            double s = maxNorm / n;
            double[] g = p.grads();
            for (int i = 0; i < g.length; i++) g[i] *= s;
        }
        return n;
    }

    public void step(double lr) {
        t++;
        double[] p = params.values(), g = params.grads();
        double c1 = 1 - Math.pow(beta1, t), c2 = 1 - Math.pow(beta2, t);
        for (int i = 0; i < p.length; i++) {
            double gi = g[i];
            m[i] = beta1 * m[i] + (1 - beta1) * gi;
            v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
            double upd = (m[i] / c1) / (Math.sqrt(v[i] / c2) + eps);
            p[i] -= lr * (upd + weightDecay * p[i]);
        }
    }
}
