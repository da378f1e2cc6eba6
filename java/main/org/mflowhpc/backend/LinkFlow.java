package org.mflowhpc.backend;

/**
 * The link flows g the seam can apply, by name: conjugation-equivariant bijections of a link variable W = U Γ^dag
 * whose parameters come from a conditioner network (raw, unconstrained numbers; all zero is the identity).
 *
 * <ul>
 *   <li>{@code ncpK} (U(1)): mixture of K non-compact projections x -> 2 atan(e^s tan(x/2)) with softmax weights,
 *       then a shift; 2K+1 parameters (K log-scales, K logits, the shift). Rezende et al. arXiv:2002.02428.
 *   <li>{@code rqsK} (U(1)): circular rational-quadratic spline with K bins (Durkan et al. arXiv:1906.04032 on the
 *       circle, as in arXiv:2002.02428), then a shift; 3K+1 parameters (K width logits, K height logits, K knot
 *       derivatives with d_K = d_0, the shift).
 *   <li>{@code spectralK} (SU(3)): spectral flow on the eigenphases (Boyda et al. arXiv:2008.05456): stick-breaking
 *       coordinates of the canonical Weyl cell, each moved by a K-component mixture of tilted interval projections;
 *       6K parameters.
 * </ul>
 * Every flow is equivariant under conjugation W -> Ω W Ω^dag (U(1): trivially), which makes the coupling layers
 * gauge equivariant. log J is the log density ratio with respect to the Haar measure.
 */
public final class LinkFlow {
    public enum Kind { NCP, RQS, SPECTRAL }

    public final Kind kind;
    public final int components;

    private LinkFlow(Kind kind, int components) {
        if (components < 1) throw new IllegalArgumentException("link flow needs >= 1 component, got " + components);
        this.kind = kind;
        this.components = components;
    }

    public static LinkFlow ncp(int k) { return new LinkFlow(Kind.NCP, k); }
    public static LinkFlow rqs(int k) { return new LinkFlow(Kind.RQS, k); }
    public static LinkFlow spectral(int k) { return new LinkFlow(Kind.SPECTRAL, k); }

    /** Parses "ncp6", "rqs8", "spectral4". */
    public static LinkFlow parse(String s) {
        String t = s == null ? "" : s.trim().toLowerCase();
        for (Kind k : Kind.values()) {
            String p = k.name().toLowerCase();
            if (t.startsWith(p) && t.length() > p.length()) {
                int n;
                try { n = Integer.parseInt(t.substring(p.length())); }
                catch (NumberFormatException e) { break; }
                return new LinkFlow(k, n);
            }
        }
        throw new IllegalArgumentException("unknown link flow '" + s + "' (expected ncpK or rqsK for U1, spectralK for SU3, e.g. ncp6)");
    }

    /** True for the flows that act on U(1) angles, false for SU(3) matrices. */
    public boolean isU1() { return kind != Kind.SPECTRAL; }

    public int paramsPerElement() {
        switch (kind) {
            case NCP: return 2 * components + 1;
            case RQS: return 3 * components + 1;
            default: return 6 * components;
        }
    }

    /** "ncp6", "rqs8", "spectral4". */
    public String name() { return kind.name().toLowerCase() + components; }

    @Override public String toString() { return name(); }
    @Override public boolean equals(Object o) { return o instanceof LinkFlow f && f.kind == kind && f.components == components; }
    @Override public int hashCode() { return kind.hashCode() * 31 + components; }
}
