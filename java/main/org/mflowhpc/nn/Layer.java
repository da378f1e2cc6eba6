package org.mflowhpc.nn;

/**
 * A differentiable map between batches of multi-channel periodic 2D fields (conditioner networks).
 *
 * <p>Layout: a field batch is {@code x[(b*C + c)*V + site]} for configuration b, channel c, site in the project's
 * site order (lexicographic, direction 0 fastest: {@code site = x0 + L0*x1}), V = L0*L1. Geometry (L0, L1) is a
 * call argument, so one network can be applied to lattices of any size (convolutions are periodic).
 *
 * <p>Contract.
 * <ul>
 *   <li>{@link #forward} writes y (length nb*outChannels()*V; fully overwritten) and, when {@code train}, returns a
 *       context object holding what {@link #backward} needs (it may keep a reference to {@code x}: callers must
 *       not modify x until backward has run). With {@code train == false} it returns null and keeps nothing.
 *   <li>{@link #backward} takes dL/dy and writes dL/dx into {@code dx} (overwrite; skipped when dx is null) and
 *       ADDS dL/dparams into the layer's slice of {@link Params#grads()}.
 *   <li>Parameters live in a shared {@link Params}; {@link #init} draws them from an RNG stream (reproducible).
 * </ul>
 */
public interface Layer {
    int inChannels();
    int outChannels();

    /** Forward pass; returns the backward context when train, else null. */
    Object forward(double[] x, int nb, int l0, int l1, double[] y, boolean train);

    /** Backward pass: dx = dL/dx (overwritten, unless null), param grads accumulated. */
    void backward(Object ctx, double[] dy, double[] dx);

    /** Initialises this layer's parameters from {@code rng} (e.g. a stream in Domain.NN_INIT). */
    void init(org.mflowhpc.rng.RngStream rng);
}
