package org.mflowhpc.flow;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.LinkFlow;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.CouplingMask;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.Params;
import org.mflowhpc.rng.RngStream;
import org.mflowhpc.testutil.Backends;

/**
 * The flow-layer contract, written once and run for every group (U(1) circle flows ncp and rqs, SU(3) spectral
 * flows), dimension (2, 3, 4), several masks and every backend: inverse of forward is the identity and the
 * log-Jacobians cancel; log J equals the log-determinant of a numerical Jacobian in local coordinates (U(1): the
 * angle; SU(3): the 8 algebra directions exp(eps t_a) U of each link), and the map is triangular (an active link's
 * perturbation moves only itself); backward agrees with finite differences in the parameters and along tangent
 * directions of the input links; gauge equivariance F(Omega.U) = Omega.F(U) with invariant log J. Inputs are fresh
 * random (Haar links, random network weights scaled up so the map is far from the identity), never zeros.
 */
class CouplingLayerContractTest {

    record Case(String name, Group group, Lattice lat, LinkFlow flow, int mu, int nu, int offset, int kernel, int period, int slice) {
        Case(String name, Group group, Lattice lat, LinkFlow flow, int mu, int nu, int offset, int kernel) {
            this(name, group, lat, flow, mu, nu, offset, kernel, 4, -1);
        }
        CouplingMask mask() { return new CouplingMask(lat, mu, nu, offset, period, slice); }
        @Override public String toString() { return name; }
    }

    static Stream<Case> cases() {
        List<Case> c = new ArrayList<>();
        c.add(new Case("U1 2D ncp3 mu0", Group.U1, new Lattice(4, 4), LinkFlow.ncp(3), 0, 1, 1, 3));
        c.add(new Case("U1 2D rqs4 mu1", Group.U1, new Lattice(4, 4), LinkFlow.rqs(4), 1, 0, 2, 3));
        c.add(new Case("U1 3D ncp2", Group.U1, new Lattice(2, 4, 2), LinkFlow.ncp(2), 2, 1, 3, 3));
        c.add(new Case("U1 4D ncp2", Group.U1, new Lattice(2, 2, 4, 2), LinkFlow.ncp(2), 0, 2, 0, 1));
        c.add(new Case("SU3 2D spectral2", Group.SU3, new Lattice(4, 2), LinkFlow.spectral(2), 1, 0, 1, 3));
        c.add(new Case("SU3 3D spectral2", Group.SU3, new Lattice(2, 2, 4), LinkFlow.spectral(2), 0, 2, 2, 1));
        c.add(new Case("SU3 4D spectral1", Group.SU3, new Lattice(2, 4, 2, 2), LinkFlow.spectral(1), 3, 1, 1, 1));
        // slice masks (multiscale level_masks=slice): new links of the odd slice of a doubling, moved through an in-slice plaquette
        c.add(new Case("U1 3D rqs3 slice", Group.U1, new Lattice(4, 2, 4), LinkFlow.rqs(3), 1, 2, 1, 3, 2, 0));
        c.add(new Case("SU3 4D spectral2 slice", Group.SU3, new Lattice(2, 2, 4, 2), LinkFlow.spectral(2), 0, 3, 0, 1, 2, 2));
        return c.stream();
    }

    static final class Built {
        final CouplingLayer layer; final Params params; final Backend be;
        Built(CouplingLayer l, Params p, Backend be) { layer = l; params = p; this.be = be; }
    }

    static Built build(Case c, Backend be, long seed) {
        Params p = new Params();
        CouplingLayer l = new CouplingLayer(p, be, "l", c.group, c.lat, c.mask(), c.flow,
                new int[] {4}, c.kernel, Backend.Act.TANH);
        p.freeze(be);
        double[] v = p.valuesToHost();
        l.init(new RngStream(seed, RngStream.Domain.NN_INIT, 0, 0), v);
        for (int i = 0; i < v.length; i++) v[i] *= 3; // far from the identity
        p.setValues(v);
        return new Built(l, p, be);
    }

    static GaugeField haar(Backend be, Case c, int batch, long seed) {
        GaugeField u = new GaugeField(be, c.group, c.lat, batch);
        be.haarLinks(u, RngStream.Domain.TEST, seed, 0);
        return u;
    }

    static double linkDistance(Group g, double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            if (g == Group.U1) d = Math.IEEEremainder(d, 2 * Math.PI);
            m = Math.max(m, Math.abs(d));
        }
        return m;
    }

    static Stream<Object[]> casesAndBackends() {
        return cases().flatMap(c -> Backends.all().stream().map(be -> new Object[] {c, be}));
    }

    @ParameterizedTest(name = "{0} on {1}") @MethodSource("casesAndBackends")
    void inverseUndoesForwardAndLogJacobiansCancel(Case c, Backend be) {
        Built b = build(c, be, 3);
        GaugeField u = haar(be, c, 3, 5), w = u.copy();
        Buffer lj = be.alloc(3), ljInv = be.alloc(3);
        b.layer.forward(w, lj, false);
        assertTrue(linkDistance(c.group, u.toHost(), w.toHost()) > 1e-3, "the layer must move links");
        b.layer.inverse(w, ljInv);
        assertTrue(linkDistance(c.group, u.toHost(), w.toHost()) < 1e-10, "inverse(forward(U)) = U");
        double[] f = be.download(lj), r = be.download(ljInv);
        for (int i = 0; i < 3; i++) {
            assertTrue(Math.abs(f[i]) > 1e-3, "log J nonzero");
            assertEquals(0.0, f[i] + r[i], 1e-10, "log J forward + log J inverse");
        }
    }

    @ParameterizedTest(name = "{0} on {1}") @MethodSource("casesAndBackends")
    void matchesReferenceBackend(Case c, Backend be) {
        Built b = build(c, be, 8), ref = build(c, Backends.REFERENCE, 8);
        double[] h = haar(Backends.REFERENCE, c, 2, 9).toHost();
        GaugeField u = GaugeField.fromHost(be, c.group, c.lat, 2, h), ur = GaugeField.fromHost(Backends.REFERENCE, c.group, c.lat, 2, h);
        Buffer lj = be.alloc(2), ljr = Backends.REFERENCE.alloc(2);
        b.layer.forward(u, lj, false);
        ref.layer.forward(ur, ljr, false);
        assertTrue(linkDistance(c.group, u.toHost(), ur.toHost()) < 1e-12);
        assertArrayEquals(Backends.REFERENCE.download(ljr), be.download(lj), 1e-12);
    }

    /** Local coordinates of link l of configuration 0 moved by +-h in direction a: returns the perturbed host copy. */
    static double[] perturb(Group g, double[] h, int off, int a, double eps) {
        double[] q = h.clone();
        if (g == Group.U1) { q[off] += eps; return q; }
        double[] co = new double[8], x = new double[18], e = new double[18];
        co[a] = eps;
        SU3.fromCoefficients(co, x, 0);
        SU3.exp(x, 0, e, 0);
        SU3.mul(e, 0, h, off, q, off);
        return q;
    }

    /** Algebra coordinates x_b of the near-identity M = A B^dag (first order; used with central differences). */
    static double[] algebraCoords(double[] a, double[] b, int off) {
        double[] m = new double[18], x = new double[18];
        SU3.mulDag(a, off, b, off, m, 0);
        SU3.projectTA(m, 0, x, 0);
        double[] r = new double[8], t = new double[18], e = new double[8];
        for (int k = 0; k < 8; k++) {
            java.util.Arrays.fill(e, 0);
            e[k] = 1;
            SU3.fromCoefficients(e, t, 0);
            // x_k = -2 Re tr(t_k X)
            double s = 0;
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) {
                    int p = 2 * (3 * i + j), q = 2 * (3 * j + i);
                    s += t[p] * x[q] - t[p + 1] * x[q + 1];
                }
            r[k] = -2 * s;
        }
        return r;
    }

    static double[] forwardHost(Built b, Case c, double[] h) {
        GaugeField u = GaugeField.fromHost(b.be, c.group, c.lat, 1, h);
        b.layer.forward(u, b.be.alloc(1), false);
        return u.toHost();
    }

    @ParameterizedTest(name = "{0}") @MethodSource("cases")
    void logJacobianMatchesNumericalJacobianAndMapIsTriangular(Case c) {
        Backend be = Backends.REFERENCE;
        Built b = build(c, be, 11);
        GaugeField u = haar(be, c, 1, 12);
        double[] h = u.toHost();
        Buffer lj = be.alloc(1);
        GaugeField w = u.copy();
        b.layer.forward(w, lj, false);
        double[] out = w.toHost();
        int nd = c.group == Group.U1 ? 1 : 8;
        double eps = 1e-5, total = 0;
        CouplingMask mask = c.mask();
        for (int x : mask.activeSites()) {
            int off = u.offset(0, c.mu, x);
            double[][] jac = new double[nd][nd];
            for (int a = 0; a < nd; a++) {
                double[] op = forwardHost(b, c, perturb(c.group, h, off, a, eps)), om = forwardHost(b, c, perturb(c.group, h, off, a, -eps));
                // triangular: no other link moves
                for (int l = 0; l < out.length; l += c.group.dof) {
                    if (l == off) continue;
                    for (int k = 0; k < c.group.dof; k++)
                        assertEquals(out[l + k], op[l + k], 1e-12, "an active-link perturbation moved another link");
                }
                if (c.group == Group.U1) jac[0][0] = Math.IEEEremainder(op[off] - om[off], 2 * Math.PI) / (2 * eps);
                else {
                    double[] xp = algebraCoords(op, out, off), xm = algebraCoords(om, out, off);
                    for (int q = 0; q < 8; q++) jac[a][q] = (xp[q] - xm[q]) / (2 * eps);
                }
            }
            total += Math.log(Math.abs(det(jac)));
        }
        assertEquals(be.download(lj)[0], total, 1e-5 * Math.max(1, Math.abs(total)));
    }

    static double det(double[][] m) {
        int n = m.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) a[i] = m[i].clone();
        double d = 1;
        for (int col = 0; col < n; col++) {
            int piv = col;
            for (int r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
            if (piv != col) { double[] t = a[piv]; a[piv] = a[col]; a[col] = t; d = -d; }
            d *= a[col][col];
            if (a[col][col] == 0) return 0;
            for (int r = col + 1; r < n; r++) {
                double f = a[r][col] / a[col][col];
                for (int k = col; k < n; k++) a[r][k] -= f * a[col][k];
            }
        }
        return d;
    }

    /** L = sum_links <c, U'> (U(1): c1 cos + c2 sin of the angle; SU(3): Re tr(C^dag U')) + sum_b k_b log J_b. */
    static final class Loss {
        final double[] cLinks, k;
        final Group g;
        Loss(Group g, int size, int batch, long seed) {
            RngStream r = new RngStream(seed, RngStream.Domain.TEST, 1, 0);
            this.g = g;
            cLinks = new double[g == Group.U1 ? 2 * size : size];
            for (int i = 0; i < cLinks.length; i++) cLinks[i] = r.gaussian();
            k = new double[batch];
            for (int i = 0; i < batch; i++) k[i] = r.gaussian();
        }
        double value(double[] links, double[] lj) {
            double s = 0;
            for (int i = 0; i < links.length; i++)
                s += g == Group.U1 ? cLinks[2 * i] * Math.cos(links[i]) + cLinks[2 * i + 1] * Math.sin(links[i]) : cLinks[i] * links[i];
            for (int b = 0; b < lj.length; b++) s += k[b] * lj[b];
            return s;
        }
        double[] gradient(double[] links) {
            double[] gr = new double[links.length];
            for (int i = 0; i < links.length; i++)
                gr[i] = g == Group.U1 ? -cLinks[2 * i] * Math.sin(links[i]) + cLinks[2 * i + 1] * Math.cos(links[i]) : cLinks[i];
            return gr;
        }
    }

    static double evalLoss(Built b, Case c, double[] h, int batch, Loss loss) {
        GaugeField u = GaugeField.fromHost(b.be, c.group, c.lat, batch, h);
        Buffer lj = b.be.alloc(batch);
        b.layer.forward(u, lj, false);
        return loss.value(u.toHost(), b.be.download(lj));
    }

    @ParameterizedTest(name = "{0} on {1}") @MethodSource("casesAndBackends")
    void backwardMatchesFiniteDifferences(Case c, Backend be) {
        Built b = build(c, be, 21);
        int batch = 2;
        GaugeField u = haar(be, c, batch, 22);
        double[] h = u.toHost();
        Loss loss = new Loss(c.group, h.length, batch, 23);
        b.params.zeroGrads();
        Buffer lj = be.alloc(batch);
        CouplingLayer.Tape t = b.layer.forward(u, lj, true);
        Buffer gLinks = be.upload(loss.gradient(u.toHost())), gLogJ = be.upload(loss.k);
        b.layer.backward(t, u, gLinks, gLogJ);
        assertTrue(linkDistance(c.group, h, u.toHost()) < 1e-12, "backward restores the layer's input");
        double[] g = be.download(gLinks), pg = b.params.gradsToHost(), pv = b.params.valuesToHost();
        double eps = 1e-6;
        // parameters
        for (int i = 0; i < pv.length; i += Math.max(1, pv.length / 25)) {
            double s = pv[i];
            pv[i] = s + eps; b.params.setValues(pv); double lp = evalLoss(b, c, h, batch, loss);
            pv[i] = s - eps; b.params.setValues(pv); double lm = evalLoss(b, c, h, batch, loss);
            pv[i] = s; b.params.setValues(pv);
            assertEquals((lp - lm) / (2 * eps), pg[i], 1e-5 * (1 + Math.abs(pg[i])), "dL/dparam[" + i + "]");
        }
        // links, along tangent directions
        RngStream r = new RngStream(24, RngStream.Domain.TEST, 2, 0);
        int links = h.length / c.group.dof, nd = c.group == Group.U1 ? 1 : 8;
        for (int trial = 0; trial < 24; trial++) {
            int l = (int) (r.uniform() * links), a = (int) (r.uniform() * nd), off = l * c.group.dof;
            double fd = (evalLoss(b, c, perturb(c.group, h, off, a, eps), batch, loss) - evalLoss(b, c, perturb(c.group, h, off, a, -eps), batch, loss)) / (2 * eps);
            double an;
            if (c.group == Group.U1) an = g[off];
            else {
                double[] q = perturb(c.group, h, off, a, 1e-7);
                an = 0;
                for (int k = 0; k < 18; k++) an += g[off + k] * (q[off + k] - h[off + k]) / 1e-7;
            }
            assertEquals(fd, an, 1e-5 * (1 + Math.abs(fd)), "dL/dU link " + l + " direction " + a);
        }
    }

    @ParameterizedTest(name = "{0}") @MethodSource("cases")
    void gaugeEquivariantWithInvariantLogJacobian(Case c) {
        Backend be = Backends.REFERENCE;
        Built b = build(c, be, 31);
        GaugeField u = haar(be, c, 2, 32), v = u.copy();
        be.randomGauge(v, RngStream.Domain.TEST, 33, 0);
        Buffer lu = be.alloc(2), lv = be.alloc(2);
        b.layer.forward(u, lu, false);
        b.layer.forward(v, lv, false);
        assertArrayEquals(be.download(lu), be.download(lv), 1e-10, "log J gauge invariant");
        be.randomGauge(u, RngStream.Domain.TEST, 33, 0); // the same Omega on F(U)
        assertTrue(linkDistance(c.group, u.toHost(), v.toHost()) < 1e-10, "F(Omega.U) = Omega.F(U)");
    }
}
