package org.mflowhpc.sample;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.rng.RngStream;

/**
 * Test-only helpers for the sampler tests: hot starts, exact 2D values from the character expansion
 * (docs/physics.md §6), measurements, and a minimal binned error estimator.
 *
 * <p>Binning: each chain's series is cut into {@code bins} equal consecutive blocks (a remainder at the start is
 * dropped); the estimate is the mean of all block means over all chains and its error the standard error of the
 * block means, sqrt(var / nblocks). Valid when the block length is several integrated autocorrelation times
 * (callers print the error for two block lengths so a too-short block shows up as a growing error).
 * A full Gamma-method analysis lives in org.mflowhpc.observable.stats; this one is private to tests.
 */
public final class SamplerFixtures {
    private SamplerFixtures() {}

    // ---------------------------------------------------------------- fields

    /** Haar-random (hot) configurations from RngStream(seed, INIT, 0, link), as host data. */
    public static double[] hotHost(Group g, Lattice lat, int batch, long seed) {
        double[] u = new double[GaugeField.checkedSize(g, lat, batch)];
        int links = u.length / g.dof;
        for (int l = 0; l < links; l++) {
            RngStream r = new RngStream(seed, RngStream.Domain.INIT, 0, l);
            if (g == Group.U1) u[l] = r.angle();
            else SU3.haar(r, u, 18 * l);
        }
        return u;
    }

    /** {@link #hotHost} on {@code be}. */
    public static GaugeField hot(Backend be, Group g, Lattice lat, int batch, long seed) {
        return GaugeField.fromHost(be, g, lat, batch, hotHost(g, lat, batch, seed));
    }

    // ---------------------------------------------------------------- measurements

    /** Mean plaquette (1/N) Re tr P per configuration. */
    public static double[] plaquette(Backend be, GaugeField u) {
        Buffer out = be.alloc(u.batch);
        be.meanPlaquette(u, out, 0);
        return be.download(out);
    }

    /** 2D U(1) topological charge per configuration, Q = (1/2pi) sum arg P (asserted integer to 1e-9). */
    public static double[] charge(Backend be, GaugeField u) {
        int V = u.lattice.volume, np = u.lattice.planes();
        Buffer angB = be.alloc(u.batch * np * V);
        be.plaquetteAngles(u, angB);
        double[] ang = be.download(angB);
        double[] q = new double[u.batch];
        for (int b = 0; b < u.batch; b++) {
            double s = 0;
            for (int i = b * np * V; i < (b + 1) * np * V; i++) s += ang[i];
            s /= 2 * Math.PI;
            if (Math.abs(s - Math.rint(s)) > 1e-9) throw new AssertionError("non-integer topological charge " + s);
            q[b] = Math.rint(s);
        }
        return q;
    }

    // ---------------------------------------------------------------- statistics

    /** Mean and binned standard error; see class comment. series[chain][time]. */
    public static double[] binned(double[][] series, int bins) {
        int nb = 0;
        double s = 0, s2 = 0;
        for (double[] c : series) {
            int len = c.length / bins, start = c.length - len * bins;
            for (int k = 0; k < bins; k++) {
                double m = 0;
                for (int i = start + k * len; i < start + (k + 1) * len; i++) m += c[i];
                m /= len;
                s += m; s2 += m * m; nb++;
            }
        }
        double mean = s / nb, var = (s2 - nb * mean * mean) / (nb - 1);
        return new double[] {mean, Math.sqrt(Math.max(var, 0) / nb)};
    }

    // ---------------------------------------------------------------- exact values

    /** Modified Bessel function I_n(x), integer n (I_{-n} = I_n), x >= 0, by its power series (x <= ~50). */
    public static double besselI(int n, double x) {
        n = Math.abs(n);
        double h = 0.5 * x, term = 1;
        for (int k = 1; k <= n; k++) term *= h / k;
        double sum = term, q = h * h;
        for (int k = 1; k < 500; k++) {
            term *= q / (k * (double) (k + n));
            sum += term;
            if (term < 1e-18 * sum) break;
        }
        return sum;
    }

    /** 2D U(1) on a torus of V plaquettes: <cos P> = sum_n I_n^{V-1} I_n' / sum_n I_n^V, scaled by I_0^V. */
    public static double u1Plaquette(double beta, int V) {
        double i0 = besselI(0, beta), num = 0, den = 0;
        for (int n = -60; n <= 60; n++) {
            double r = besselI(n, beta) / i0;
            double rp = 0.5 * (besselI(n - 1, beta) + besselI(n + 1, beta)) / i0;
            num += Math.pow(r, V - 1) * rp;
            den += Math.pow(r, V);
        }
        return num / den;
    }

    /** SU(3) single-plaquette integral z0(beta) = sum_k det[I_{k+i-j}(beta/3)]_{i,j=1..3}. */
    public static double su3Z0(double beta) {
        double x = beta / 3, z = 0;
        for (int k = -40; k <= 40; k++) {
            double[][] m = new double[3][3];
            for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) m[i][j] = besselI(k + i - j, x);
            z += m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
               - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
               + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
        }
        return z;
    }

    /**
     * Infinite-volume 2D SU(3) plaquette u(beta) = d log z0 / d beta (5-point central difference, ~1e-10): also the
     * expectation of (1/3) Re tr(V) for one SU(3) matrix V with weight exp((beta/3) Re tr V) dHaar.
     */
    public static double su3Plaquette2d(double beta) {
        double h = 1e-3 * Math.max(1, beta);
        double f1 = Math.log(su3Z0(beta + h)), f_1 = Math.log(su3Z0(beta - h));
        double f2 = Math.log(su3Z0(beta + 2 * h)), f_2 = Math.log(su3Z0(beta - 2 * h));
        return (8 * (f1 - f_1) - (f2 - f_2)) / (12 * h);
    }
}
