package org.mflowhpc.flow;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.Index;
import org.mflowhpc.backend.LinkFlow;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.CouplingMask;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.Params;
import org.mflowhpc.nn.Sequential;
import org.mflowhpc.rng.RngStream;

/**
 * The gauge-equivariant coupling layer, one class for U(1) and SU(3) in d = 2, 3, 4 (Kanwar et al.
 * arXiv:2003.06413; SU(N): Boyda et al. arXiv:2008.05456). Masks: {@link CouplingMask}.
 *
 * <p>Map, for every active link U = U_mu(x) with its frozen staple Γ (see CouplingMask):
 * <pre>
 *   W = U Γ^dag,   W' = g(W; theta),   U' = W' Γ,     log J = sum_active log J_g(W)
 * </pre>
 * with g a conjugation-equivariant link flow ({@link LinkFlow}: U(1) circle flows ncpK / rqsK, SU(3) spectral
 * flows) whose parameters theta come from a conditioner network over gauge-invariant features of the frozen
 * plaquettes: 2 channels per plane, (1/N) Re tr P and (1/N) Im tr P (U(1): cos, sin), zero where not frozen. The
 * network is a periodic k^d convolution stack (k = 1: per-site MLP) evaluated at the active sites only in its last
 * layer. Under a gauge transformation W -> Ω(x) W Ω(x)^dag and the features are invariant, so U' transforms like
 * U and log q is gauge invariant. Inverse: the features and Γ are unchanged by the layer, W = g^{-1}(U' Γ^dag).
 *
 * <p>Every step is one seam op ({@link Backend}): loopFeatures, conv/activation (network), gatherActive,
 * linkFlowForward, scatterActive, sumRows; backward in reverse with their backward ops. Nothing is copied to the
 * host. Cost per configuration: the network (2 sum_l C_in C_out k^d V flops forward, the last layer on V/4 sites)
 * plus V/4 link flows and 3 SU(3) products per active link; features 630 flops per frozen SU(3) plaquette.
 *
 * <p>Backward contract: on entry gLinks = dL/dU' (Euclidean, Backend layout) for the field u as this layer left
 * it, gLogJ[b] = dL/dlogJ_b; on exit gLinks = dL/dU and u is restored to the layer's input (U = W Γ from the
 * tape), so a model can walk its layers backwards on one field.
 */
public final class CouplingLayer {
    private final Backend be;
    private final Group group;
    private final Lattice lattice;
    private final CouplingMask mask;
    private final Index active, frozen;
    private final LinkFlow flow;
    private final Sequential net;
    private final int m, p, dof;

    public CouplingLayer(Params params, Backend be, String name, Group group, Lattice lat, CouplingMask mask, LinkFlow flow,
                         int[] hidden, int kernel, Backend.Act act) {
        if (flow.isU1() != (group == Group.U1))
            throw new IllegalArgumentException("link flow " + flow + " does not act on " + group + " links");
        this.be = be; this.group = group; this.lattice = lat; this.mask = mask; this.flow = flow;
        this.active = be.index(mask.activeSites());
        this.frozen = be.index(mask.frozen());
        this.m = mask.activeCount();
        this.p = flow.paramsPerElement();
        this.dof = group.dof;
        this.net = Sequential.convNet(params, name, lat.d, 2 * lat.planes(), hidden, p, kernel, act);
    }

    public CouplingMask mask() { return mask; }
    public LinkFlow flow() { return flow; }
    public Sequential net() { return net; }

    /** Initialises the network into a host copy of the parameter values. */
    public void init(RngStream rng, double[] values) { net.init(rng, values); }

    private void check(GaugeField u) {
        if (u.group != group || !u.lattice.equals(lattice))
            throw new IllegalArgumentException("coupling layer for " + group + " on " + lattice + " got " + u.group + " on " + u.lattice);
    }

    /** What {@link #backward} needs. */
    public static final class Tape {
        final Object netCtx; final Buffer raw, w, wNew; final int nb;
        Tape(Object netCtx, Buffer raw, Buffer w, Buffer wNew, int nb) { this.netCtx = netCtx; this.raw = raw; this.w = w; this.wNew = wNew; this.nb = nb; }
    }

    private Object conditioner(GaugeField u, Buffer raw, boolean train) {
        int nb = u.batch, V = lattice.volume;
        Buffer feat = be.alloc(nb * 2 * lattice.planes() * V);
        be.loopFeatures(u, frozen, feat);
        return net.forward(feat, nb, lattice.extents(), active, raw, train);
    }

    /** u <- F(u) in place, logJ[b] += log J; returns a tape when train, else null. */
    public Tape forward(GaugeField u, Buffer logJ, boolean train) {
        check(u);
        int nb = u.batch, n = nb * m;
        Buffer raw = be.alloc(n * p), w = be.alloc(n * dof), wNew = be.alloc(n * dof), lj = be.alloc(n);
        Object ctx = conditioner(u, raw, train);
        be.gatherActive(u, mask.mu, mask.nu, active, w);
        be.linkFlowForward(flow, n, m, w, raw, 0, p * m, wNew, lj);
        be.scatterActive(u, mask.mu, mask.nu, active, wNew);
        be.sumRows(nb, m, lj, logJ, true);
        return train ? new Tape(ctx, raw, w, wNew, nb) : null;
    }

    /** u <- F^{-1}(u) in place, logJ[b] += log|det dF^{-1}/du|. */
    public void inverse(GaugeField u, Buffer logJ) {
        check(u);
        int nb = u.batch, n = nb * m;
        Buffer raw = be.alloc(n * p), w = be.alloc(n * dof), wOld = be.alloc(n * dof), lj = be.alloc(n), s = be.alloc(nb);
        conditioner(u, raw, false);
        be.gatherActive(u, mask.mu, mask.nu, active, w);
        be.linkFlowInverse(flow, n, m, w, raw, 0, p * m, wOld, lj);
        be.scatterActive(u, mask.mu, mask.nu, active, wOld);
        be.sumRows(nb, m, lj, s, false);
        be.axpy(nb, -1.0, s, 0, logJ, 0);
    }

    /** Backward (contract in the class comment); parameter gradients are ADDED to the model's Params. */
    public void backward(Tape t, GaugeField u, Buffer gLinks, Buffer gLogJ) {
        int nb = t.nb, n = nb * m;
        Buffer gWp = be.alloc(n * dof), gW = be.alloc(n * dof), gRaw = be.alloc(n * p), gLj = be.alloc(n);
        be.scatterActiveBackward(u, mask.mu, mask.nu, active, t.wNew, gLinks, gWp);
        be.broadcastRows(nb, m, gLogJ, gLj);
        be.linkFlowBackward(flow, n, m, t.w, t.raw, 0, p * m, gWp, gLj, gW, gRaw);
        Buffer gFeat = be.alloc(nb * 2 * lattice.planes() * lattice.volume);
        net.backward(t.netCtx, gRaw, gFeat);
        be.loopFeaturesBackward(u, frozen, gFeat, gLinks);
        be.gatherActiveBackward(u, mask.mu, mask.nu, active, t.w, gW, gLinks);
        be.scatterActive(u, mask.mu, mask.nu, active, t.w); // restore the layer's input
    }
}
