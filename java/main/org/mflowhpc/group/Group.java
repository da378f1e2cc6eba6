package org.mflowhpc.group;

/**
 * Gauge groups supported, with their storage per link.
 *
 * <p>U1: one double, the angle theta in (-pi, pi], U = exp(i theta). SU3: 18 doubles, the 3x3 complex matrix
 * row-major with real/imaginary parts interleaved: element (i,j) at [2*(3i+j)] (re) and [2*(3i+j)+1] (im).
 */
public enum Group {
    U1(1, 1), SU3(3, 18);

    /** N of U(N)/SU(N): the trace normalisation in (1/N) Re tr P and in S = -(beta/N) sum Re tr P. */
    public final int n;
    /** Doubles stored per link. */
    public final int dof;

    Group(int n, int dof) { this.n = n; this.dof = dof; }

    public static Group parse(String s) {
        if (s == null) throw new IllegalArgumentException("missing gauge group (expected U1 or SU3)");
        switch (s.trim().toUpperCase()) {
            case "U1": case "U(1)": return U1;
            case "SU3": case "SU(3)": return SU3;
            default: throw new IllegalArgumentException("unknown gauge group '" + s + "' (expected U1 or SU3)");
        }
    }
}
