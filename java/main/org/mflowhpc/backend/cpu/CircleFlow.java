package org.mflowhpc.backend.cpu;

/**
 * A family of orientation-preserving diffeomorphisms of the circle (U(1) link flows), one member per element,
 * selected by a slice of raw (unconstrained) parameters produced by a conditioner network.
 *
 * <p>Parameter slice: parameter k of an element is {@code raw[off + k*stride]}, k in [0, {@link #paramsPerElement()}).
 * The stride lets the slice be read straight out of a conditioner output laid out [b][channel][site]
 * ({@code off = b*C*V + site}, {@code stride = V}). Implementations map raw values to constrained ones themselves
 * (softmax, softplus, ...). All-zero raw parameters give the identity map (networks with zero-initialised last
 * layers start at the identity flow).
 *
 * <p>Lift convention: x is any real angle. f acts on the lift: f(x + 2 pi) = f(x) + 2 pi, f' > 0, so
 * {@code f(x) - x} is 2pi-periodic. Callers wrap results to (-pi, pi] if they need to.
 *
 * <p>Contract of each method (out[0] = value, out[1] = log-derivative):
 * <ul>
 *   <li>{@link #forward}: out[0] = f(x), out[1] = log f'(x).
 *   <li>{@link #inverse}: out[0] = x = f^{-1}(y), out[1] = log f'(x) (the FORWARD log-derivative at the preimage,
 *       so log|d f^{-1}/dy| = -out[1]). Accuracy: f(out[0]) = y to ~1e-12 absolute.
 *   <li>{@link #backward}: with upstream gradients gY = dL/dy and gLogJ = dL/d(log f'(x)) at the forward point x,
 *       ADDS dL/draw_k into {@code gRaw[gOff + k*gStride]} and returns dL/dx. Stateless: recomputes what it needs
 *       from x and raw.
 * </ul>
 * Implementations are immutable and thread-safe (no mutable fields).
 */
public interface CircleFlow {
    /** Short identifier, e.g. "ncp6" or "rqs8" (stored in model configs). */
    String kind();

    /** Raw parameters per element. */
    int paramsPerElement();

    void forward(double x, double[] raw, int off, int stride, double[] out);

    void inverse(double y, double[] raw, int off, int stride, double[] out);

    double backward(double x, double[] raw, int off, int stride, double gY, double gLogJ,
                    double[] gRaw, int gOff, int gStride);
}
