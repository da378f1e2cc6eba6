/*
 * Contract under test (end to end): a plain Metropolis chain for 2D U(1) on a 4x4 torus at beta = 1 (written here,
 * independent of the samplers package), measured with Observables and analysed with the Gamma method, agrees with
 * Exact2D within 4 sigma for <cos P> and chi_t = <Q^2>/V, and W(1,2) with the torus Wilson-loop formula.
 */
package org.mflowhpc.observable;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.U1;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.observable.exact.Exact2D;
import org.mflowhpc.observable.stats.Autocorrelation;
import org.mflowhpc.rng.RngStream;

class MetropolisCrossCheckTest {
    @Test void metropolisAgreesWithExact() {
        double beta = 1.0;
        Lattice lat = new Lattice(4, 4);
        int V = lat.volume, nMeas = 12000;
        double[] th = new double[2 * V];
        double[] ensH = new double[GaugeField.checkedSize(Group.U1, lat, nMeas)];
        RngStream r = new RngStream(2024, RngStream.Domain.TEST, 0, 0);
        for (int i = 0; i < th.length; i++) th[i] = r.angle();
        for (int sweep = -200; sweep < nMeas; sweep++) {
            for (int mu = 0; mu < 2; mu++)
                for (int x = 0; x < V; x++) {
                    int i = mu * V + x;
                    // the two plaquettes containing U_mu(x): P(x) and P(x - nu-hat), nu = 1 - mu
                    int xd = lat.dn(1 - mu, x);
                    double old = th[i], sOld = local(th, lat, x, xd, beta);
                    th[i] = old + 2.0 * (r.uniform() - 0.5) * 2.5;
                    double dS = local(th, lat, x, xd, beta) - sOld;
                    if (dS > 0 && r.uniform() >= Math.exp(-dS)) th[i] = old;
                }
            if (sweep >= 0) for (int i = 0; i < 2 * V; i++) ensH[sweep * 2 * V + i] = U1.wrap(th[i]);
        }
        try (CpuBackend cpu = new CpuBackend(1)) {
            Observables obs = new Observables(cpu);
            GaugeField ens = GaugeField.fromHost(cpu, Group.U1, lat, nMeas, ensH);
            double[] plaq = obs.meanPlaquette(ens);
            double[] q = obs.topologicalCharge(ens);
            double[] w12 = obs.wilsonLoop(ens, 1, 2);
            double[] q2 = new double[nMeas];
            for (int i = 0; i < nMeas; i++) { assertEquals(Math.rint(q[i]), q[i], 1e-10); q2[i] = q[i] * q[i]; }
            Autocorrelation.Result p = Autocorrelation.analyze(plaq);
            Autocorrelation.Result chi = Autocorrelation.derived(new double[][] {q2}, a -> a[0] / V);
            Autocorrelation.Result w = Autocorrelation.analyze(w12);
            double pEx = Exact2D.u1Plaquette(beta, V), chiEx = Exact2D.u1TopologicalSusceptibility(beta, V);
            double wEx = Exact2D.u1WilsonLoop(beta, 1, 2, 4, 4);
            System.out.println("plaquette " + p + " exact " + pEx);
            System.out.println("chi_t     " + chi + " exact " + chiEx);
            System.out.println("W(1x2)    " + w + " exact " + wEx);
            assertTrue(p.reliable() && chi.reliable() && w.reliable());
            assertEquals(pEx, p.value(), 4 * p.error());
            assertEquals(chiEx, chi.value(), 4 * chi.error());
            assertEquals(wEx, w.value(), 4 * w.error());
        }
    }

    /** Wilson action of the plaquettes at x and xd (both in plane (0,1)). */
    private static double local(double[] th, Lattice lat, int x, int xd, double beta) {
        return -beta * (Math.cos(angle(th, lat, x)) + Math.cos(angle(th, lat, xd)));
    }

    private static double angle(double[] th, Lattice lat, int x) {
        int V = lat.volume;
        return th[x] + th[V + lat.up(0, x)] - th[lat.up(1, x)] - th[V + x];
    }
}
