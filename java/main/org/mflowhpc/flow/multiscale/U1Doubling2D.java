package org.mflowhpc.flow.multiscale;

import org.mflowhpc.group.U1;
import org.mflowhpc.lattice.Coarsening;

/**
 * The 2D U(1) doubling layer as an explicit bijection of link angles (docs/physics.md §3), for every layer of a
 * {@link Coarsening} chain, acting on one configuration at a time.
 *
 * <p>Layout of a level's links: {@code links[off + mu*V + site]}, V = volume of the level, site order of
 * {@link Coarsening} (direction 0 fastest) — the per-configuration block of {@code GaugeField.data}. Per-coarse-site
 * arrays (t, omega) are indexed by the coarse site. Angles are wrapped to (-pi, pi] on output.
 *
 * <p>Layer k doubles direction m (n = 1 - m is the other one). Coarse site x' -> fine x = (2x'_m, x'_n), new
 * site y = x + m-hat. Plaquettes are P(x) = P_01(x) = theta_0(x) + theta_1(x+0) - theta_0(x+1) - theta_1(x).
 * <ul>
 *   <li>{@link #split} (coarse links c, new-plaquette angles t, gauge angles omega) -> fine links:
 *       before the gauge transformation theta_m(x) = c_m(x'), theta_m(y) = 0, theta_n(x) = c_n(x') and the new
 *       link theta_n(y) is the unique angle with P(x) = t; then U_mu(z) -> omega(z) U_mu(z) omega(z+mu)^* with
 *       omega = 0 on even sites and omega(y) = omega[x']. Hence P(x) = t and P(y) = Phi(x') - t with Phi the
 *       coarse plaquette (the block). The map (c, t, omega) -> fine links is a bijection of tori with unit
 *       Jacobian (integer unimodular in angles), so it preserves Haar measure.
 *   <li>{@link #merge} is its inverse: omega[x'] = theta_m(y), c_m(x') = theta_m(x) + theta_m(y) (the second half
 *       of the split link gauge-fixed to 1), c_n(x') = theta_n(x), t = P(x) wrapped.
 *   <li>{@link #splitBackward}: the transpose of the linear part of {@link #split} in (c, t) (omega held fixed).
 * </ul>
 */
public final class U1Doubling2D {
    private final Coarsening chain;

    public U1Doubling2D(Coarsening chain) {
        if (chain.dims() != 2) throw new IllegalArgumentException("U1Doubling2D needs a 2D chain, got " + chain.dims() + "D");
        this.chain = chain;
    }

    public Coarsening chain() { return chain; }

    /** out[outOff + site] = P_01(site) wrapped to (-pi, pi], for every site of the level. */
    public void plaquettes(int level, double[] links, int off, double[] out, int outOff) {
        int v = chain.volume(level);
        for (int s = 0; s < v; s++) {
            double p = links[off + s] + links[off + v + chain.up(level, 0, s)]
                    - links[off + chain.up(level, 1, s)] - links[off + v + s];
            out[outOff + s] = U1.wrap(p);
        }
    }

    /**
     * Backward of {@link #plaquettes} ignoring the wrap: gLinks[off + ...] += dL/dlinks given gP[pOff + site] =
     * dL/dP(site).
     */
    public void plaquettesBackward(int level, double[] gP, int pOff, double[] gLinks, int off) {
        int v = chain.volume(level);
        for (int s = 0; s < v; s++) {
            double g = gP[pOff + s];
            gLinks[off + s] += g;
            gLinks[off + v + chain.up(level, 0, s)] += g;
            gLinks[off + chain.up(level, 1, s)] -= g;
            gLinks[off + v + s] -= g;
        }
    }

    public void split(int layer, double[] coarse, int cOff, double[] t, int tOff, double[] omega, int oOff,
                      double[] fine, int fOff) {
        int m = chain.direction(layer), n = 1 - m;
        int vc = chain.volume(layer), vf = chain.volume(layer + 1);
        for (int s = 0; s < vc; s++) {
            int x = chain.evenSite(layer, s), y = chain.newSite(layer, s);
            double w = omega[oOff + s];
            double newLink;
            if (m == 0) {
                // P(x) = th0(x) + th1(x+0) - th0(x+1) - th1(x), th1(x+0) = th1(y) is new
                newLink = t[tOff + s] - coarse[cOff + s] + coarse[cOff + chain.up(layer, 1, s)] + coarse[cOff + vc + s];
            } else {
                // th0(x+1) = th0(y) is new
                newLink = coarse[cOff + s] + coarse[cOff + vc + chain.up(layer, 0, s)] - coarse[cOff + vc + s] - t[tOff + s];
            }
            // omega(y + n): y + n-hat is the new site of coarse site x' + n-hat
            double wn = omega[oOff + chain.up(layer, n, s)];
            fine[fOff + m * vf + x] = U1.wrap(coarse[cOff + m * vc + s] - w);
            fine[fOff + m * vf + y] = U1.wrap(w);
            fine[fOff + n * vf + x] = U1.wrap(coarse[cOff + n * vc + s]);
            fine[fOff + n * vf + y] = U1.wrap(newLink + w - wn);
        }
    }

    public void merge(int layer, double[] fine, int fOff, double[] coarse, int cOff, double[] t, int tOff,
                      double[] omega, int oOff) {
        int m = chain.direction(layer), n = 1 - m;
        int vc = chain.volume(layer), vf = chain.volume(layer + 1), lf = layer + 1;
        for (int s = 0; s < vc; s++) {
            int x = chain.evenSite(layer, s), y = chain.newSite(layer, s);
            omega[oOff + s] = fine[fOff + m * vf + y];
            coarse[cOff + m * vc + s] = U1.wrap(fine[fOff + m * vf + x] + fine[fOff + m * vf + y]);
            coarse[cOff + n * vc + s] = fine[fOff + n * vf + x];
            double p = fine[fOff + x] + fine[fOff + vf + chain.up(lf, 0, x)]
                    - fine[fOff + chain.up(lf, 1, x)] - fine[fOff + vf + x];
            t[tOff + s] = U1.wrap(p);
        }
    }

    /**
     * gCoarse[cOff + ...] = dL/dc and gT[tOff + s] = dL/dt (both overwritten) from gFine = dL/d(fine links), through
     * {@link #split} with omega fixed.
     */
    public void splitBackward(int layer, double[] gFine, int fOff, double[] gCoarse, int cOff, double[] gT, int tOff) {
        int m = chain.direction(layer), n = 1 - m;
        int vc = chain.volume(layer), vf = chain.volume(layer + 1);
        java.util.Arrays.fill(gCoarse, cOff, cOff + 2 * vc, 0.0);
        for (int s = 0; s < vc; s++) {
            int x = chain.evenSite(layer, s), y = chain.newSite(layer, s);
            gCoarse[cOff + m * vc + s] += gFine[fOff + m * vf + x];
            gCoarse[cOff + n * vc + s] += gFine[fOff + n * vf + x];
            double g = gFine[fOff + n * vf + y];
            if (m == 0) {
                gT[tOff + s] = g;
                gCoarse[cOff + s] -= g;
                gCoarse[cOff + chain.up(layer, 1, s)] += g;
                gCoarse[cOff + vc + s] += g;
            } else {
                gT[tOff + s] = -g;
                gCoarse[cOff + s] += g;
                gCoarse[cOff + vc + chain.up(layer, 0, s)] += g;
                gCoarse[cOff + vc + s] -= g;
            }
        }
    }
}
