package org.mflowhpc.flow.multiscale;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.backend.cpu.Su3Spectral;
import org.mflowhpc.flow.Models;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.observable.exact.SU3Characters;
import org.mflowhpc.rng.RngStream;

/**
 * The SU(3) base start: the block couplings satisfy their defining recursions, and the fitted spectral flow pushes
 * fresh Haar draws to the one-link density exp(kappa Re tr W): its mean (1/3) Re tr equals the exact
 * rho_(1,0)(3 kappa) within statistical errors plus the fit's small bias; a model with base_start keeps it in its
 * (checkpoint) config, the flat SU(3) default writes neither base_start nor beta.
 */
class SU3BaseStartTest {
    @Test void couplingsFollowTheirRecursions() {
        for (double beta : new double[] {1, 4, 8}) {
            assertEquals(beta, SU3BaseStart.coupling("rg", beta, 1, 2));
            assertEquals(beta, SU3BaseStart.coupling("bare", beta, 4, 4));
            for (double a : new double[] {2, 4, 8}) {
                double rg = SU3BaseStart.coupling("rg", beta, a, 2);
                assertEquals(Math.pow(SU3Characters.fundamentalRatio(beta), a), SU3Characters.fundamentalRatio(rg), 1e-10);
                assertEquals(rg, SU3BaseStart.coupling("mk", beta, a, 2), 1e-12, "mk = rg in 2D");
                double mk4 = SU3BaseStart.coupling("mk", beta, a, 4);
                assertEquals(Math.pow(SU3Characters.fundamentalRatio(a * beta), a), SU3Characters.fundamentalRatio(mk4), 1e-10);
                assertTrue(rg < beta && mk4 > rg, "blocks are weaker than one plaquette; bond moving strengthens them");
            }
        }
    }

    @Test void fittedFlowReproducesTheOneLinkTraceOnFreshDraws() {
        Su3Spectral f = new Su3Spectral(4);
        for (double kappa : new double[] {0.6, 2.0, 4.3}) {
            double[] th = SU3BaseStart.fit(f, kappa);
            int n = 4000;
            double[] w = new double[18], out = new double[18];
            double s = 0, s2 = 0;
            for (int i = 0; i < n; i++) {
                SU3.haar(new RngStream(5, RngStream.Domain.TEST, 1, i), w, 0);
                f.forward(w, 0, th, 0, 1, out, 0);
                double t = (out[0] + out[8] + out[16]) / 3;
                s += t; s2 += t * t;
            }
            double mean = s / n, err = Math.sqrt((s2 / n - mean * mean) / n), exact = SU3Characters.fundamentalRatio(3 * kappa);
            assertEquals(exact, mean, 4 * err + 0.01, "kappa " + kappa + ": mean (1/3) Re tr " + mean + " vs exact " + exact);
            assertTrue(SU3BaseStart.loss(f, th, kappa) < SU3BaseStart.loss(f, new double[th.length], kappa) - 0.05, "the fit lowers the KL");
        }
        assertArrayEquals(new double[24], SU3BaseStart.fit(f, 1e-3), "kappa ~ 0: the identity");
    }

    @Test void baseStartIsPartOfTheModelConfigAndTheFlatDefaultIsUnchanged() {
        CpuBackend be = new CpuBackend(1);
        Lattice lat = new Lattice(4, 4);
        MultiscaleFlow flat = (MultiscaleFlow) Models.create("multiscale", be, Group.SU3, lat, 4.0, Map.of(), 0);
        assertFalse(flat.config().containsKey("base_start") || flat.config().containsKey("beta"), flat.config().toString());
        MultiscaleFlow mk = (MultiscaleFlow) Models.create("multiscale", be, Group.SU3, lat, 4.0, Map.of("base_start", "mk"), 0);
        assertEquals("mk", mk.config().get("base_start"));
        assertEquals(4.0, mk.config().get("beta"));
        assertEquals(mk.config(), Models.create("multiscale", be, Group.SU3, lat, 4.0, mk.config(), 0).config());
        assertNotEquals(java.util.Arrays.toString(flat.params().valuesToHost()), java.util.Arrays.toString(mk.params().valuesToHost()));
    }
}
