package org.mflowhpc.nn;

import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.Index;

/**
 * A differentiable map between batches of multi-channel fields on a periodic grid (conditioner networks), running
 * on the backend that holds the model's {@link Params}.
 *
 * <p>Layout: a field batch is {@code x[(b*C + c)*V + site]} for configuration b, channel c, site lexicographic with
 * direction 0 fastest on a grid of the given extents (any d, extents >= 1), V = product of extents. The grid is a
 * call argument, so one network applies to lattices of any size (convolutions are periodic).
 *
 * <p>Contract.
 * <ul>
 *   <li>{@link #forward} writes y (length nb*outChannels()*M, M = V or the number of {@code outSites}; fully
 *       overwritten) and, when {@code train}, returns a context holding what {@link #backward} needs (it may keep a
 *       reference to {@code x}: callers must not modify x until backward has run). Output only at {@code outSites}
 *       is supported by layers whose output at a site needs the input elsewhere (convolutions); elementwise layers
 *       require outSites == null.
 *   <li>{@link #backward} takes dL/dy and writes dL/dx into {@code dx} (overwrite; skipped when dx is null) and
 *       ADDS dL/dparams into the layer's slice of {@link Params#grads()}.
 *   <li>{@link #init} writes this layer's initial parameters into a host copy of the values.
 * </ul>
 */
public interface Layer {
    int inChannels();
    int outChannels();

    Object forward(Buffer x, int nb, int[] extents, Index outSites, Buffer y, boolean train);

    void backward(Object ctx, Buffer dy, Buffer dx);

    void init(org.mflowhpc.rng.RngStream rng, double[] values);
}
