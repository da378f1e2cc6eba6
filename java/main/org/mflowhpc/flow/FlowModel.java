package org.mflowhpc.flow;

import java.util.Map;

import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.Params;

/**
 * A normalizing-flow density q(U) on gauge configurations of one (group, lattice), with respect to the product of
 * NORMALISED Haar measures on the links (so the Haar prior has log q0 = 0 and log w = -S - log q).
 *
 * <p>Contract.
 * <ul>
 *   <li>{@link #sample}: fills all {@code out.batch} configurations and {@code logQ[b]}. Random numbers come only
 *       from RngStreams keyed by (seed, Domain.FLOW_PRIOR or Domain.FLOW_GAUGE, step, index) where index names a
 *       configuration/site (e.g. b*V + x), so the result is a pure function of (params, seed, step, batch size) and
 *       independent of the number of threads. U(1) link angles are returned wrapped to (-pi, pi].
 *   <li>{@link #logDensity}: log q of arbitrary configurations (inverse pass); gauge invariant, and for a sample it
 *       reproduces the logQ returned by {@link #sample} to ~1e-10.
 *   <li>{@link #sampleForTraining}: same numbers as {@link #sample} with the same (seed, step), plus a tape.
 *   <li>{@link #backward}: given the tape, dL/d(output link angles) (U(1): layout of {@link GaugeField#data}, one
 *       double per link; may be modified/consumed by the call) and dL/d logQ[b], ADDS dL/dparams into
 *       {@code params().grads()} (reparameterisation gradient; the prior draws are held fixed). A tape is used once.
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

    void sample(long seed, long step, GaugeField out, double[] logQ);

    void logDensity(GaugeField u, double[] logQ);

    Object sampleForTraining(long seed, long step, GaugeField out, double[] logQ);

    void backward(Object tape, double[] dLossdLinks, double[] dLossdLogQ);
}
