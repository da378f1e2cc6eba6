package org.mflowhpc.group;

/**
 * U(1) link helpers. A U(1) link is stored as its angle theta in (-pi, pi], U = e^{i theta} (docs/conventions.md);
 * products of links are sums of angles, and {@link #wrap} brings any such sum back to (-pi, pi].
 */
public final class U1 {
    private U1() {}

    /** Maps an angle to (-pi, pi]: IEEEremainder gives [-pi, pi], and -pi is sent to +pi. */
    public static double wrap(double a) {
        double r = Math.IEEEremainder(a, 2 * Math.PI); // in [-pi, pi]
        return r <= -Math.PI ? r + 2 * Math.PI : r;
    }
}
