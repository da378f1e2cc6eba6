package org.mflowhpc.flow;

import org.mflowhpc.lattice.GaugeField;

/**
 * One invertible layer acting in place on a batch of U(1) gauge fields (angles; e.g. a gauge-equivariant coupling
 * layer). Building block for {@link FlowModel}s: "Haar + flow" stacks them on a Haar prior, "Multiscale + flow"
 * on the multiscale sampler.
 *
 * <p>Contract.
 * <ul>
 *   <li>{@link #forward}: u <- F(u) in place, logJ[b] += log|det dF/du| (w.r.t. Haar = Lebesgue on angles).
 *       When {@code train}, returns a tape for {@link #backward}, else null. Output angles are wrapped to (-pi, pi].
 *   <li>{@link #inverse}: u <- F^{-1}(u) in place, logJ[b] += log|det dF^{-1}/du| (= -log|det dF/du| at the
 *       preimage).
 *   <li>{@link #backward}: on entry gLinks = dL/du' (one double per link, GaugeField layout) and gLogJ[b] = dL/d logJ;
 *       on exit gLinks = dL/du (overwritten in place); dL/dparams ADDED to the model's Params grads.
 *       Layers are used in reverse order; each tape once.
 * </ul>
 */
public interface GaugeFlowLayer {
    Object forward(GaugeField u, double[] logJ, boolean train);

    void inverse(GaugeField u, double[] logJ);

    void backward(Object tape, double[] gLinks, double[] gLogJ);
}
