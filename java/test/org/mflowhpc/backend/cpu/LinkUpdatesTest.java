package org.mflowhpc.backend.cpu;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.group.U1;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.rng.RngStream;
import org.mflowhpc.sample.SamplerFixtures;

/**
 * Single-link kernels: staples agree with the backend, the von Mises and SU(2) x0 samplers have the exact first
 * moments, the SU(3) Cabibbo–Marinari chain on one link samples exp((beta/3) Re tr(U A)) (checked through the exact
 * single-matrix integral), overrelaxation keeps Re tr(U A) (U(1): and is an involution).
 */
class LinkUpdatesTest {
    private static RngStream rng(long s) { return new RngStream(s, RngStream.Domain.TEST, 0, 0); }

    @Test void singleLinkStaplesMatchBackend() {
        try (CpuBackend be = new CpuBackend(1)) {
            for (Group g : Group.values())
                for (Lattice lat : new Lattice[] {new Lattice(4, 6), new Lattice(4, 2, 4, 2)}) {
                    GaugeField u = SamplerFixtures.hot(be, g, lat, 2, 17);
                    int sd = g == Group.U1 ? 2 : 18, V = lat.volume;
                    double[] one = new double[18], t1 = new double[18], t2 = new double[18];
                    Buffer allB = be.alloc(2 * V * sd);
                    for (int mu = 0; mu < lat.d; mu++) {
                        be.staples(u, mu, allB);
                        double[] all = be.download(allB);
                        for (int b = 0; b < 2; b++)
                            for (int x = 0; x < V; x++) {
                                if (g == Group.U1) LinkUpdates.stapleU1(u, b, mu, x, one);
                                else LinkUpdates.stapleSU3(u, b, mu, x, one, 0, t1, t2);
                                for (int k = 0; k < sd; k++)
                                    assertEquals(all[(b * V + x) * sd + k], one[k], 1e-13, g + " " + lat + " mu=" + mu);
                            }
                    }
                }
        }
    }

    @Test void vonMisesMoments() {
        RngStream r = rng(1);
        for (double kappa : new double[] {1e-6, 0.3, 2, 10, 40}) {
            int n = 200_000;
            double c = 0, s = 0, c2 = 0;
            for (int i = 0; i < n; i++) {
                double phi = LinkUpdates.vonMises(r, kappa);
                assertTrue(phi >= -Math.PI && phi <= Math.PI);
                c += Math.cos(phi); s += Math.sin(phi); c2 += Math.cos(2 * phi);
            }
            double i0 = SamplerFixtures.besselI(0, kappa);
            double m1 = SamplerFixtures.besselI(1, kappa) / i0, m2 = SamplerFixtures.besselI(2, kappa) / i0;
            double sd = Math.sqrt(0.5 / n); // var(cos) <= 1/2 ... generous upper bound via sqrt(1/2)
            assertEquals(m1, c / n, 5 * sd, "kappa=" + kappa);
            assertEquals(0, s / n, 5 * sd, "kappa=" + kappa);
            assertEquals(m2, c2 / n, 5 * Math.sqrt(1.0 / n), "kappa=" + kappa);
        }
    }

    @Test void su2X0MomentsAcrossThreshold() {
        RngStream r = rng(2);
        for (double alpha : new double[] {0, 0.5, 1.99, 2.01, 6, 40}) {
            int n = 200_000;
            double s = 0, s2 = 0;
            for (int i = 0; i < n; i++) {
                double x = LinkUpdates.su2X0(r, alpha);
                assertTrue(x >= -1 && x <= 1);
                s += x; s2 += x * x;
            }
            // <x0> = I2/I1 for the density sqrt(1-x^2) e^{alpha x} (limit 0 at alpha = 0)
            double exact = alpha == 0 ? 0 : SamplerFixtures.besselI(2, alpha) / SamplerFixtures.besselI(1, alpha);
            double var = s2 / n - (s / n) * (s / n);
            assertEquals(exact, s / n, 5 * Math.sqrt(var / n), "alpha=" + alpha);
        }
    }

    /** Staple A = c G with G Haar in SU(3): then V = U A / c is Haar-distributed with weight exp((beta c/3) Re tr V). */
    @Test void su3SingleLinkHeatbathSamplesExactDistribution() {
        RngStream r = rng(3);
        for (double bc : new double[] {0.7, 4, 12}) {
            double[] u = new double[18], a = new double[18], w = new double[18], q = new double[8], v = new double[18];
            SU3.haar(r, u, 0);
            SU3.haar(r, a, 0);
            double c = 1.7;
            for (int k = 0; k < 18; k++) a[k] *= c;
            double beta = bc / c;
            int n = 100_000;
            double s = 0, s2 = 0;
            for (int i = 0; i < 50; i++) LinkUpdates.heatbathSU3(r, beta, u, 0, a, 0, w, q);
            for (int i = 0; i < n; i++) {
                LinkUpdates.heatbathSU3(r, beta, u, 0, a, 0, w, q);
                SU3.mul(u, 0, a, 0, v, 0);
                double p = SU3.reTrace(v, 0) / (3 * c);
                s += p; s2 += p * p;
            }
            assertTrue(SU3.unitarityDeviation(u, 0) < 1e-14);
            double mean = s / n, err = Math.sqrt((s2 / n - mean * mean) / n);
            // successive link updates are nearly independent; allow for a modest autocorrelation with 6 sigma
            assertEquals(SamplerFixtures.su3Plaquette2d(bc), mean, 6 * err, "beta*c=" + bc);
        }
    }

    @Test void su3OverrelaxationKeepsLocalAction() {
        RngStream r = rng(4);
        double[] u = new double[18], a = new double[18], w = new double[18], q = new double[8];
        for (int rep = 0; rep < 200; rep++) {
            SU3.haar(r, u, 0);
            for (int k = 0; k < 18; k++) a[k] = 3 * r.gaussian(); // a general (non-unitary) staple sum
            double[] u0 = u.clone();
            double before = SU3.reTraceMul(u, 0, a, 0);
            LinkUpdates.overrelaxSU3(u, 0, a, 0, w, q);
            assertEquals(before, SU3.reTraceMul(u, 0, a, 0), 1e-12 * Math.max(1, Math.abs(before)));
            assertTrue(SU3.unitarityDeviation(u, 0) < 1e-14);
            double moved = 0;
            for (int k = 0; k < 18; k++) moved = Math.max(moved, Math.abs(u[k] - u0[k]));
            assertTrue(moved > 1e-3, "overrelaxation should move a generic link");
            // each subgroup reflection is an involution; their composition is not, but it stays on the level set
            for (int k = 0; k < 5; k++) LinkUpdates.overrelaxSU3(u, 0, a, 0, w, q);
            assertEquals(before, SU3.reTraceMul(u, 0, a, 0), 1e-11 * Math.max(1, Math.abs(before)));
        }
    }

    @Test void u1OverrelaxationKeepsLocalActionAndIsInvolution() {
        RngStream r = rng(5);
        for (int rep = 0; rep < 1000; rep++) {
            double th = r.angle(), ar = r.gaussian(), ai = r.gaussian();
            double th1 = LinkUpdates.overrelaxU1(th, ar, ai);
            assertEquals(Math.cos(th) * ar - Math.sin(th) * ai, Math.cos(th1) * ar - Math.sin(th1) * ai, 1e-13);
            assertTrue(th1 > -Math.PI && th1 <= Math.PI);
            assertEquals(0, U1.wrap(LinkUpdates.overrelaxU1(th1, ar, ai) - th), 1e-13);
        }
    }
}
