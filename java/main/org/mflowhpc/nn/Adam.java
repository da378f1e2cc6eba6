package org.mflowhpc.nn;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;

/**
 * Adam (Kingma & Ba) with bias correction and optional decoupled weight decay (AdamW, Loshchilov & Hutter), plus
 * global-norm gradient clipping, on the backend that holds the {@link Params} ({@link Backend#adamStep}).
 *
 * <p>Step t (1-based after increment), per parameter i, with learning rate lr supplied by the caller:
 * <pre>
 *   m_i = b1 m_i + (1 - b1) g_i ;  v_i = b2 v_i + (1 - b2) g_i^2
 *   p_i -= lr * ( (m_i / (1 - b1^t)) / (sqrt(v_i / (1 - b2^t)) + eps) + wd * p_i )
 * </pre>
 * State: m, v (backend buffers as long as the parameters) and t; {@link #mToHost()}, {@link #vToHost()},
 * {@link #t()} and {@link #restore} move it across the seam bit-exactly for checkpoints. About 15 flops and one
 * sqrt per parameter per step; only the gradient norm (a scalar) comes back to the host.
 */
public final class Adam {
    private final Params params;
    private final Backend be;
    public final double beta1, beta2, eps, weightDecay;
    private final Buffer m, v;
    private long t;

    public Adam(Params params) { this(params, 0.9, 0.999, 1e-8, 0.0); }

    public Adam(Params params, double beta1, double beta2, double eps, double weightDecay) {
        this.params = params;
        this.be = params.backend();
        this.beta1 = beta1; this.beta2 = beta2; this.eps = eps; this.weightDecay = weightDecay;
        this.m = be.alloc(params.size());
        this.v = be.alloc(params.size());
    }

    public double[] mToHost() { return be.download(m); }
    public double[] vToHost() { return be.download(v); }
    public long t() { return t; }

    /** Restores optimiser state (copies). */
    public void restore(double[] m, double[] v, long t) {
        if (m.length != this.m.length() || v.length != this.v.length())
            throw new IllegalArgumentException("Adam state size mismatch: " + m.length + " vs " + this.m.length());
        be.upload(m, 0, this.m, 0, m.length);
        be.upload(v, 0, this.v, 0, v.length);
        this.t = t;
    }

    /** Copies m and v into backend buffers of the same length (a backup, e.g. before a step that may be undone). */
    public void copyStateTo(Buffer mDst, Buffer vDst) {
        be.copy(m, 0, mDst, 0, m.length());
        be.copy(v, 0, vDst, 0, v.length());
    }

    /** Restores m and v from backups made by {@link #copyStateTo} and sets the step counter. */
    public void restoreState(Buffer mSrc, Buffer vSrc, long t) {
        be.copy(mSrc, 0, m, 0, m.length());
        be.copy(vSrc, 0, v, 0, v.length());
        this.t = t;
    }

    /** Restores the moments of one parameter block [off, off+n) from backups (stage-wise training). */
    public void restoreBlock(Buffer mSrc, Buffer vSrc, int off, int n) {
        be.copy(mSrc, off, m, off, n);
        be.copy(vSrc, off, v, off, n);
    }

    /**
     * Scales grads so that their global Euclidean norm is at most maxNorm (no-op if maxNorm <= 0 or infinite);
     * returns the norm before clipping.
     */
    public static double clipGradNorm(Params p, double maxNorm) {
        double n = p.gradNorm();
        if (maxNorm > 0 && Double.isFinite(maxNorm) && n > maxNorm) p.backend().scale(p.grads(), 0, p.size(), maxNorm / n);
        return n;
    }

    public void step(double lr) {
        t++;
        be.adamStep(params.size(), params.values(), params.grads(), m, v, lr, beta1, beta2, eps, weightDecay, t);
    }
}
