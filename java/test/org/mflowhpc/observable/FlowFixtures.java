/*
 * Test fixtures for the smoothing and topology tests: constant-flux U(1) fields in 4D, the SU(3) embedding
 * diag(e^{i theta}, e^{-i theta}, 1), link noise, Haar-random and near-identity fields, thermalised heatbath fields,
 * random gauge transformations. All explicit in the backend.
 */
package org.mflowhpc.observable;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.group.U1;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.rng.RngStream;
import org.mflowhpc.testutil.Fields;

final class FlowFixtures {
    private FlowFixtures() {}

    /** U(1) angles of constant flux: 2 pi n1 through every (0,1) plane, 2 pi n2 through every (2,3) plane (4D). */
    static double[] twoPlaneFlux(Lattice lat, int n1, int n2) {
        int V = lat.volume;
        double p01 = 2 * Math.PI * n1 / (lat.extent(0) * lat.extent(1));
        double p23 = 2 * Math.PI * n2 / (lat.extent(2) * lat.extent(3));
        double[] th = new double[4 * V];
        for (int x = 0; x < V; x++) {
            int[] c = lat.coords(x);
            th[1 * V + x] = p01 * c[0];
            if (c[0] == lat.extent(0) - 1) th[x] = -p01 * lat.extent(0) * c[1];
            th[3 * V + x] = p23 * c[2];
            if (c[2] == lat.extent(2) - 1) th[2 * V + x] = -p23 * lat.extent(2) * c[3];
        }
        for (int i = 0; i < th.length; i++) th[i] = U1.wrap(th[i]);
        return th;
    }

    /** SU(3) links diag(e^{i theta}, e^{-i theta}, 1) from U(1) angles (batch 1 layouts). */
    static double[] embed(double[] th) {
        double[] u = new double[18 * th.length];
        for (int l = 0; l < th.length; l++) {
            int o = 18 * l;
            u[o] = Math.cos(th[l]); u[o + 1] = Math.sin(th[l]);
            u[o + 8] = Math.cos(th[l]); u[o + 9] = -Math.sin(th[l]);
            u[o + 16] = 1;
        }
        return u;
    }

    /** Random noise on links: U(1) theta += eps N(0,1); SU(3) U <- exp(eps X) U, X Gaussian in the algebra. */
    static void noise(GaugeField u, double eps, long seed) {
        double[] h = u.toHost();
        RngStream r = new RngStream(seed, RngStream.Domain.TEST, 7, 0);
        if (u.group == Group.U1) for (int i = 0; i < h.length; i++) h[i] = U1.wrap(h[i] + eps * r.gaussian());
        else {
            double[] x = new double[18], e = new double[18], t = new double[18];
            for (int o = 0; o < h.length; o += 18) {
                SU3.gaussianAlgebra(r, x, 0);
                for (int k = 0; k < 18; k++) x[k] *= eps;
                SU3.exp(x, 0, e, 0);
                SU3.mul(e, 0, h, o, t, 0);
                System.arraycopy(t, 0, h, o, 18);
            }
        }
        u.setFromHost(h);
    }

    /** Thermalised heatbath (+ 2 OR) configurations: Haar start, sweeps at beta. */
    static GaugeField heatbath(Backend be, Group g, Lattice lat, int batch, double beta, int sweeps, long seed) {
        GaugeField u = random(be, g, lat, batch, seed);
        for (int s = 0; s < sweeps; s++) {
            u.backend().heatbath(u, beta, seed, s);
            for (int k = 0; k < 2; k++) u.backend().overrelax(u, beta, seed, 2L * s + k);
        }
        return u;
    }

    /** Haar-random (hot) links. */
    static GaugeField random(Backend be, Group g, Lattice lat, int batch, long seed) { return Fields.haar(be, g, lat, batch, seed); }

    /** Links near the identity (U(1): angles 0.3 N(0,1); SU(3): exp(0.3 X), X Gaussian in the algebra). */
    static GaugeField smooth(Backend be, Group g, Lattice lat, int batch, long seed) {
        GaugeField u = GaugeField.identity(be, g, lat, batch);
        noise(u, 0.3, seed);
        return u;
    }

    /** A Haar-random gauge transformation, in place. */
    static void gauge(GaugeField u, long seed) {
        u.backend().gaugeTransform(u, Fields.gauge(u.backend(), u.group, u.lattice, u.batch, seed));
    }
}
