package org.mflowhpc.flow;

import java.util.Map;

import org.mflowhpc.backend.Buffer;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.Params;

/**
 * A normalizing-flow density q(U) on gauge configurations of one (group, lattice), with respect to the product of
 * NORMALISED Haar measures on the links (so the Haar prior has log q0 = 0 and log w = -S - log q). Fields and
 * per-configuration arrays live on the backend of the model's {@link Params}.
 *
 * <p>Contract.
 * <ul>
 *   <li>{@link #sample}: fills all {@code out.batch} configurations and {@code logQ[b]} (a buffer of at least
 *       batch doubles). Random numbers come only from RngStreams keyed by (seed, domain, step, index) where index
 *       names a configuration/site (e.g. b*V + x), so the result is a pure function of (params, seed, step, batch
 *       size), independent of the number of threads and of the backend. U(1) link angles are in (-pi, pi].
 *   <li>{@link #logDensity}: log q of arbitrary configurations (inverse pass); gauge invariant, and for a sample it
 *       reproduces the logQ returned by {@link #sample} to ~1e-10. u is not modified.
 *   <li>{@link #sampleForTraining}: same numbers as {@link #sample} with the same (seed, step), plus a tape.
 *   <li>{@link #backward}: given the tape, the sampled field {@code out} as sampleForTraining left it, the
 *       Euclidean link gradient gLinks = dL/dU (Backend layout; consumed) and gLogQ[b] = dL/dlogQ[b], ADDS dL/dparams
 *       into {@code params().grads()} (reparameterisation gradient; the prior draws are held fixed). A tape is used
 *       once; {@code out} may be modified (layers are undone in place).
 *   <li>{@link #config}: the hyperparameters (JSON-friendly values: Number, String, Boolean, List, Map) that, with
 *       {@link #kind}, group and lattice, rebuild an identical model (same {@link Params#layoutSignature()}).
 * </ul>
 */
public interface FlowModel {
    Group group();
    Lattice lattice();
    Params params();

    /** Model family, e.g. "haar+flow", "multiscale", "multiscale+flow". */
    String kind();

    /** Hyperparameters for checkpoints / run cards. */
    Map<String, Object> config();

    void sample(long seed, long step, GaugeField out, Buffer logQ);

    void logDensity(GaugeField u, Buffer logQ);

    Object sampleForTraining(long seed, long step, GaugeField out, Buffer logQ);

    void backward(Object tape, GaugeField out, Buffer gLinks, Buffer gLogQ);
}
