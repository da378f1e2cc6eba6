package org.mflowhpc.backend.host;

import static org.junit.jupiter.api.Assertions.*;
import static org.mflowhpc.backend.host.HostBackendTest.*;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.Index;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.testutil.Fields;

/**
 * The ten multiscale-doubling ops of the seam on the host backend (native, kernels/multiscale.cuh) against the
 * single-threaded CPU reference, forward and backward, U(1) and SU(3), d = 2, 3, 4, for 1 and 2 OpenMP threads, on
 * fresh random inputs (seed printed on failure; -Dmflow.test.seed=S replays). Kept apart from HostBackendTest (whose
 * helpers and tolerances it uses) so the family's cases read together.
 *
 * <p>Tolerances (HostBackendTest's names):
 * <ul>
 *   <li>{@code BITWISE}: doubling split, merge, split backward (U(1) and SU(3): copies, one product, IEEE remainder)
 *       and the U(1) midpoint gather / scatter and both backwards (angle sums, halving, remainder);
 *   <li>{@code CHAIN} (1e-11 relative): the SU(3) midpoint ops, whose square root goes through the eigen-decomposition
 *       (Cardano with cbrt / atan2 / sincos, Jacobi, Rayleigh quotients, reconstruction) and, in the backwards, a second
 *       decomposition and the Daleckii-Krein divided differences; checked also where Q = Gamma_f^dag Gamma_b is the
 *       identity (triply degenerate) or has a doubly degenerate spectrum, the guarded cases of the reference;
 *   <li>{@link #BASE} (1e-13 relative): the U(1) analytic base maps y, x, log J and the backward's gX, gRaw (exp, log,
 *       log1p, tanh, sin, cos, atan2 from the C library, a few layers deep; measured worst 8e-15 over 6e5 elements per
 *       map), away from the cut u = pi (see {@link #awayFromTheCut});
 *   <li>{@code CHAIN} for the base backward's gFeat: g_s = gY dB/ds + gLogJ d(log B')/ds cancels, and is then multiplied
 *       by ds0/dkappa dkappa/dc, which grows like 1/kappa^2 as the coarse angle approaches pi (measured worst 1.1e-12).
 * </ul>
 * Results for 1 and 2 threads are bit-identical to each other for every op (the midpoint backwards and the base
 * backward with shared parameter rows run serially per configuration or element, in the reference's order).
 */
class HostMultiscaleTest {
    /** The U(1) base maps: a few layers of libm transcendentals (see the class comment). */
    static final double BASE = 1e-13;

    @BeforeAll static void library() { HostBackendTest.library(); }

    static Stream<Arguments> threads() { return Stream.of(Arguments.of(1), Arguments.of(2)); }

    // ------------------------------------------------------------------ doubling split / merge / split backward

    /** even[s] = the fine site with coordinates (2 s_mu, s_perp), fresh[s] = even[s] + mu-hat. */
    static int[][] doublingSites(Lattice coarse, Lattice fine, int mu) {
        int vc = coarse.volume;
        int[] even = new int[vc], fresh = new int[vc];
        for (int s = 0; s < vc; s++) {
            int[] x = coarse.coords(s);
            x[mu] *= 2;
            even[s] = fine.site(x);
            fresh[s] = fine.up(mu, even[s]);
        }
        return new int[][] {even, fresh};
    }

    static Lattice doubled(Lattice c, int mu) {
        int[] e = c.extents();
        e[mu] *= 2;
        return new Lattice(e);
    }

    static Stream<Arguments> doublings() {
        List<Arguments> a = new ArrayList<>();
        Lattice[] coarse = {new Lattice(4, 2), new Lattice(2, 4), new Lattice(2, 4, 2), new Lattice(2, 2, 2, 2), new Lattice(4, 2, 2, 2)};
        int[] dirs = {1, 0, 2, 3, 1};
        for (int t = 1; t <= 2; t++)
            for (Group g : Group.values())
                for (int i = 0; i < coarse.length; i++) a.add(Arguments.of(t, g, coarse[i], dirs[i]));
        return a.stream();
    }

    @ParameterizedTest @MethodSource("doublings")
    void doublingSplitMergeAndBackwardBitForBit(int t, Group g, Lattice lc, int mu) {
        HostBackend be = new HostBackend(t);
        Lattice lf = doubled(lc, mu);
        int nb = 3;
        int[][] ef = doublingSites(lc, lf, mu);
        Index er = REF.index(ef[0]), fr = REF.index(ef[1]), eh = be.index(ef[0]), fh = be.index(ef[1]);
        Function<Backend, Index> ev = b -> b == REF ? er : eh, fs = b -> b == REF ? fr : fh;
        String name = g + " " + lc + " -> " + lf + " mu=" + mu + " x" + t;
        Pair c = haar(be, g, lc, nb, SEED + 60), r = haar(be, g, lc, nb, SEED + 61);
        // split into a fine field full of other values: every fine link must be written
        double[] junk = Fields.haarHost(g, lf, nb, SEED + 62);
        GaugeField fRef = GaugeField.fromHost(REF, g, lf, nb, junk), fHost = GaugeField.fromHost(be, g, lf, nb, junk);
        REF.doublingSplit(c.ref(), r.ref(), mu, er, fr, fRef);
        be.doublingSplit(c.host(), r.host(), mu, eh, fh, fHost);
        same("doublingSplit " + name, fRef.toHost(), fHost.toHost(), BITWISE);
        // merge of an arbitrary fine field, and merge(split(C, R)) = C (up to the rounding of C R^dag R)
        Pair f = haar(be, g, lf, nb, SEED + 63);
        GaugeField cRef = new GaugeField(REF, g, lc, nb), cHost = GaugeField.fromHost(be, g, lc, nb, Fields.haarHost(g, lc, nb, SEED + 64));
        REF.doublingMerge(f.ref(), mu, er, fr, cRef);
        be.doublingMerge(f.host(), mu, eh, fh, cHost);
        same("doublingMerge " + name, cRef.toHost(), cHost.toHost(), BITWISE);
        be.doublingMerge(fHost, mu, eh, fh, cHost);
        double[] back = cHost.toHost(), orig = c.ref().toHost();
        for (int i = 0; i < orig.length; i++) {
            double dlt = g == Group.U1 ? org.mflowhpc.group.U1.wrap(back[i] - orig[i]) : back[i] - orig[i];
            assertEquals(0, dlt, 1e-14, ctx("merge(split(C, R)) = C " + name + " at " + i));
        }
        // split backward: ADDS into gCoarse
        double[] gFine = gaussians(f.ref().size(), SEED + 65), gc0 = gaussians(c.ref().size(), SEED + 66);
        out("doublingSplitBackward " + name, be, gc0.length, gc0, BITWISE,
                (b, o) -> b.doublingSplitBackward(field(b, r), mu, ev.apply(b), fs.apply(b), b.upload(gFine), o));
    }

    // ------------------------------------------------------------------ midpoint gather / scatter and backward

    static final Lattice[] MID_LATTICES = {new Lattice(4, 4), new Lattice(6, 4), new Lattice(4, 2, 4), new Lattice(2, 4, 2, 4)};

    static Stream<Arguments> midpoints() {
        List<Arguments> a = new ArrayList<>();
        for (int t = 1; t <= 2; t++)
            for (Group g : Group.values())
                for (Lattice l : MID_LATTICES) a.add(Arguments.of(t, g, l));
        return a.stream();
    }

    /** Active links U_mu(x) on x_nu odd (their staples' links, at x_nu even or direction nu, are all frozen). */
    static int[] activeSites(Lattice lat, int mu, int nu) {
        List<Integer> l = new ArrayList<>();
        for (int x = 0; x < lat.volume; x++) if (lat.coords(x)[nu] % 2 == 1) l.add(x);
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    /** All four midpoint ops on the field h (host array), host against the reference, within tol. */
    static void midpointOps(HostBackend be, Group g, Lattice lat, int nb, double[] h, int mu, int nu, double tol, String name) {
        boolean u1 = g == Group.U1;
        int dof = g.dof;
        int[] sites = activeSites(lat, mu, nu);
        int M = sites.length, n = nb * M;
        Index sr = REF.index(sites), sh = be.index(sites);
        Function<Backend, Index> st = b -> b == REF ? sr : sh;
        Pair p = new Pair(GaugeField.fromHost(REF, g, lat, nb, h), GaugeField.fromHost(be, g, lat, nb, h));
        out("gatherMidpoint " + name, be, n * dof, null, tol, (b, o) -> b.gatherMidpoint(field(b, p), mu, nu, st.apply(b), o));
        double[] w = u1 ? gaussians(n, SEED + 71) : su3s(n, SEED + 71);
        if (u1) for (int i = 0; i < n; i++) w[i] *= 2.5; // lifts beyond (-pi, pi]
        Pair q = new Pair(GaugeField.fromHost(REF, g, lat, nb, h), GaugeField.fromHost(be, g, lat, nb, h));
        REF.scatterMidpoint(q.ref(), mu, nu, sr, REF.upload(w));
        be.scatterMidpoint(q.host(), mu, nu, sh, be.upload(w));
        same("scatterMidpoint " + name, q.ref().toHost(), q.host().toHost(), tol);
        // the backwards on the reference's scattered field (both sides see the same links)
        Pair s = new Pair(GaugeField.fromHost(REF, g, lat, nb, q.ref().toHost()), GaugeField.fromHost(be, g, lat, nb, q.ref().toHost()));
        double[] gl0 = gaussians(s.ref().size(), SEED + 72), gW = gaussians(n * dof, SEED + 73);
        out("scatterMidpointBackward gLinks " + name, be, s.ref().size(), gl0, tol,
                (b, o) -> b.scatterMidpointBackward(field(b, s), mu, nu, st.apply(b), b.upload(w), o, b.alloc(n * dof)));
        out("scatterMidpointBackward gW " + name, be, n * dof, null, tol,
                (b, o) -> b.scatterMidpointBackward(field(b, s), mu, nu, st.apply(b), b.upload(w), b.upload(gl0), o));
        out("gatherMidpointBackward " + name, be, s.ref().size(), gl0, tol,
                (b, o) -> b.gatherMidpointBackward(field(b, s), mu, nu, st.apply(b), b.upload(w), b.upload(gW), o));
    }

    @ParameterizedTest @MethodSource("midpoints")
    void midpointGatherScatterAndBackward(int t, Group g, Lattice lat) {
        HostBackend be = new HostBackend(t);
        double tol = g == Group.U1 ? BITWISE : CHAIN;
        int nb = 2;
        for (int[] pair : new int[][] {{lat.d - 1, 0}, {0, 1}}) {
            int mu = pair[0], nu = pair[1];
            midpointOps(be, g, lat, nb, Fields.haarHost(g, lat, nb, SEED + 70 + mu), mu, nu, tol, g + " " + lat + " mu=" + mu + " nu=" + nu + " x" + t);
        }
    }

    /**
     * SU(3) at the degenerate points the reference guards: Q = Gamma_f^dag Gamma_b exactly the identity (cold field),
     * Q = diag(e^{ia}, e^{ia}, e^{-2ia}) (doubly degenerate: U_mu(x - nu) set to it in a cold field), and the same after a
     * random gauge transformation (Q conjugated: degenerate to rounding, eigenvectors general). Outputs must be finite
     * and agree with the reference.
     */
    @ParameterizedTest @MethodSource("threads")
    void midpointAtDegenerateEigenvalues(int t) {
        HostBackend be = new HostBackend(t);
        Lattice lat = new Lattice(4, 4, 2);
        int nb = 2, mu = 2, nu = 0;
        double[] cold = GaugeField.identity(REF, Group.SU3, lat, nb).toHost();
        double[] dbl = cold.clone();
        double a = 0.9;
        for (int b = 0; b < nb; b++)
            for (int x : activeSites(lat, mu, nu)) {
                int o = ((b * lat.d + mu) * lat.volume + lat.dn(nu, x)) * 18;
                if ((x + b) % 3 == 0) continue; // some stay the identity
                dbl[o] = Math.cos(a); dbl[o + 1] = Math.sin(a);
                dbl[o + 8] = Math.cos(a); dbl[o + 9] = Math.sin(a);
                dbl[o + 16] = Math.cos(-2 * a); dbl[o + 17] = Math.sin(-2 * a);
            }
        GaugeField gt = GaugeField.fromHost(REF, Group.SU3, lat, nb, dbl);
        REF.gaugeTransform(gt, REF.upload(Fields.gauge(Group.SU3, lat, nb, SEED + 80)));
        double[][] fields = {cold, dbl, gt.toHost()};
        String[] names = {"identity Q", "doubly degenerate Q", "gauge-rotated degenerate Q"};
        for (int i = 0; i < fields.length; i++) {
            midpointOps(be, Group.SU3, lat, nb, fields[i], mu, nu, CHAIN, names[i] + " x" + t);
            Buffer w = be.alloc(nb * activeSites(lat, mu, nu).length * 18);
            be.gatherMidpoint(GaugeField.fromHost(be, Group.SU3, lat, nb, fields[i]), mu, nu, be.index(activeSites(lat, mu, nu)), w);
            double[] wh = be.download(w);
            for (int o = 0; o < wh.length; o += 18) assertTrue(SU3.unitarityDeviation(wh, o) < 1e-12, ctx(names[i] + ": W unitary at " + o));
        }
    }

    // ------------------------------------------------------------------ analytic U(1) base

    static Stream<Arguments> bases() {
        List<Arguments> a = new ArrayList<>();
        for (int t = 1; t <= 2; t++)
            for (boolean logistic : new boolean[] {true, false})
                for (double betaA : new double[] {0, 0.6, 2.5, 9.0}) a.add(Arguments.of(t, logistic, betaA));
        return a.stream();
    }

    /**
     * s x[i], each moved at least 1e-3 away from the cut u = pi (mod 2 pi) of the base maps. At the cut the truncated logistic
     * is ill-conditioned in float64 on both backends (1 - x^2 with x = tanh(c) u / pi: relative errors grow like
     * 1 / (pi - |u0|), and tanh(c) rounds to 1 for c > 19), so host and reference agree there only to ~1e-16 / (pi - |u0|).
     */
    static double[] awayFromTheCut(double[] x, double s) {
        for (int i = 0; i < x.length; i++) {
            double v = s * x[i], u0 = v - 2 * Math.PI * Math.floor((v + Math.PI) / (2 * Math.PI));
            if (Math.PI - Math.abs(u0) < 1e-3) v -= Math.signum(u0) * 0.01;
            x[i] = v;
        }
        return x;
    }

    @ParameterizedTest @MethodSource("bases")
    void u1BaseForwardInverseBackward(int t, boolean logistic, double betaA) {
        HostBackend be = new HostBackend(t);
        // disjoint rows (fB, rB > m, with offsets; the model's layout) and shared rows (fB = rB = 0: serial backward)
        for (int[] lay : new int[][] {{5, 11 + 4, 3, 11 + 7}, {0, 0, 2, 0}}) {
            int nb = 3, m = 11, n = nb * m, fOff = lay[0], fB = lay[1], rOff = lay[2], rB = lay[3];
            String name = (logistic ? "logistic" : "cauchy") + " betaA=" + betaA + " fB=" + fB + " rB=" + rB + " x" + t;
            double[] feat = gaussians(fOff + nb * fB + m, SEED + 90);
            for (int i = 0; i < feat.length; i++) feat[i] = Math.cos(3 * feat[i]);
            feat[fOff] = -1; feat[fOff + 1] = 1; // kappa = 0 and the largest kappa
            double[] raw = gaussians(rOff + nb * rB + m, SEED + 91);
            for (int i = 0; i < raw.length; i++) raw[i] *= 0.5;
            double[] x = awayFromTheCut(gaussians(n, SEED + 92), 2.5); // lifts beyond (-pi, pi] too
            // the inverse at the images of x (their preimages are then away from the cut as well)
            Buffer yb = REF.alloc(n);
            REF.u1BaseForward(logistic, betaA, n, m, REF.upload(x), REF.upload(feat), fOff, fB, REF.upload(raw), rOff, rB, yb, REF.alloc(n));
            double[] y = REF.download(yb);
            out("u1BaseForward y " + name, be, n, null, BASE,
                    (b, o) -> b.u1BaseForward(logistic, betaA, n, m, b.upload(x), b.upload(feat), fOff, fB, b.upload(raw), rOff, rB, o, b.alloc(n)));
            out("u1BaseForward logJ " + name, be, n, null, BASE,
                    (b, o) -> b.u1BaseForward(logistic, betaA, n, m, b.upload(x), b.upload(feat), fOff, fB, b.upload(raw), rOff, rB, b.alloc(n), o));
            out("u1BaseInverse x " + name, be, n, null, BASE,
                    (b, o) -> b.u1BaseInverse(logistic, betaA, n, m, b.upload(y), b.upload(feat), fOff, fB, b.upload(raw), rOff, rB, o, b.alloc(n)));
            out("u1BaseInverse logJ " + name, be, n, null, BASE,
                    (b, o) -> b.u1BaseInverse(logistic, betaA, n, m, b.upload(y), b.upload(feat), fOff, fB, b.upload(raw), rOff, rB, b.alloc(n), o));
            // on the host alone: inverse(forward(x)) = x, and the inverse's log B' is the forward's
            Buffer xh = be.alloc(n), ljf = be.alloc(n), lji = be.alloc(n), yh = be.alloc(n);
            be.u1BaseForward(logistic, betaA, n, m, be.upload(x), be.upload(feat), fOff, fB, be.upload(raw), rOff, rB, yh, ljf);
            be.u1BaseInverse(logistic, betaA, n, m, yh, be.upload(feat), fOff, fB, be.upload(raw), rOff, rB, xh, lji);
            double[] xb = be.download(xh), lf = be.download(ljf), li = be.download(lji);
            for (int i = 0; i < n; i++) {
                assertEquals(x[i], xb[i], 1e-12 * (1 + Math.abs(x[i])), ctx("inverse(forward(x)) " + name + " at " + i));
                assertEquals(lf[i], li[i], 1e-9 * (1 + Math.abs(lf[i])), ctx("log B' round trip " + name + " at " + i));
            }
            double[] gY = gaussians(n, SEED + 93), gLj = gaussians(n, SEED + 94);
            double[] gF0 = gaussians(feat.length, SEED + 95), gR0 = gaussians(raw.length, SEED + 96);
            out("u1BaseBackward gX " + name, be, n, null, BASE, (b, o) -> b.u1BaseBackward(logistic, betaA, n, m, b.upload(x), b.upload(feat), fOff,
                    fB, b.upload(raw), rOff, rB, b.upload(gY), b.upload(gLj), o, b.upload(gF0), b.upload(gR0)));
            out("u1BaseBackward gFeat " + name, be, feat.length, gF0, CHAIN, (b, o) -> b.u1BaseBackward(logistic, betaA, n, m, b.upload(x),
                    b.upload(feat), fOff, fB, b.upload(raw), rOff, rB, b.upload(gY), b.upload(gLj), b.alloc(n), o, b.upload(gR0)));
            out("u1BaseBackward gRaw " + name, be, raw.length, gR0, BASE, (b, o) -> b.u1BaseBackward(logistic, betaA, n, m, b.upload(x),
                    b.upload(feat), fOff, fB, b.upload(raw), rOff, rB, b.upload(gY), b.upload(gLj), b.alloc(n), b.upload(gF0), o));
        }
    }

    /** Thread independence: the host results for 1 and 2 threads are identical doubles (also where the order matters). */
    @Test void resultsDoNotDependOnTheThreadCount() {
        HostBackend h1 = new HostBackend(1), h2 = new HostBackend(2);
        Lattice lat = new Lattice(4, 4, 4);
        int nb = 4, mu = 1, nu = 2;
        double[] f = Fields.haarHost(Group.SU3, lat, nb, SEED + 100);
        int[] sites = activeSites(lat, mu, nu);
        int n = nb * sites.length;
        double[] w = su3s(n, SEED + 101), gl0 = gaussians(f.length, SEED + 102);
        double[][] res = new double[2][];
        HostBackend[] bes = {h1, h2};
        for (int k = 0; k < 2; k++) {
            HostBackend be = bes[k];
            GaugeField u = GaugeField.fromHost(be, Group.SU3, lat, nb, f);
            Buffer gl = be.upload(gl0), gW = be.alloc(n * 18);
            be.scatterMidpointBackward(u, mu, nu, be.index(sites), be.upload(w), gl, gW);
            be.gatherMidpointBackward(u, mu, nu, be.index(sites), be.upload(w), gW, gl);
            res[k] = be.download(gl);
        }
        same("midpoint backwards x1 vs x2", res[0], res[1], BITWISE);
    }

    // ------------------------------------------------------------------ bad input

    @Test void badArgumentsAreRejectedBeforeTheNativeCall() {
        HostBackend be = new HostBackend(1);
        Lattice lc = new Lattice(4, 2), lf = new Lattice(4, 4);
        int[][] ef = doublingSites(lc, lf, 1);
        GaugeField c = new GaugeField(be, Group.SU3, lc, 2), r = new GaugeField(be, Group.SU3, lc, 2), f = new GaugeField(be, Group.SU3, lf, 2);
        Index ev = be.index(ef[0]), fr = be.index(ef[1]);
        be.doublingSplit(c, r, 1, ev, fr, f); // valid
        assertThrows(IllegalArgumentException.class, () -> be.doublingSplit(c, r, 0, ev, fr, f), "wrong direction: fine is not doubled along 0");
        assertThrows(IllegalArgumentException.class, () -> be.doublingSplit(c, r, 2, ev, fr, f), "direction out of range");
        assertThrows(IllegalArgumentException.class, () -> be.doublingSplit(c, new GaugeField(be, Group.SU3, lc, 1), 1, ev, fr, f), "R batch");
        assertThrows(IllegalArgumentException.class, () -> be.doublingSplit(c, r, 1, ev, fr, new GaugeField(be, Group.U1, lf, 2)), "group");
        assertThrows(IllegalArgumentException.class, () -> be.doublingMerge(f, 1, be.index(new int[] {0, 1}), fr, c), "short site list");
        assertThrows(IllegalArgumentException.class, () -> be.doublingMerge(f, 1, be.index(new int[] {0, 1, 2, 3, 4, 5, 6, 16}), fr, c), "site outside the fine lattice");
        assertThrows(IllegalArgumentException.class, () -> be.doublingSplitBackward(r, 1, ev, fr, be.alloc(10), be.alloc(r.size())), "short gFine");
        assertThrows(IllegalArgumentException.class, () -> be.doublingSplitBackward(r, 1, ev, REF.index(ef[1]), be.alloc(2 * r.size()), be.alloc(r.size())), "foreign index");
        GaugeField u = new GaugeField(be, Group.SU3, lf, 1);
        Index s = be.index(activeSites(lf, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> be.gatherMidpoint(u, 1, 1, s, be.alloc(8 * 18)), "mu == nu");
        assertThrows(IllegalArgumentException.class, () -> be.gatherMidpoint(u, 1, 0, s, be.alloc(7 * 18)), "short w");
        assertThrows(IllegalArgumentException.class, () -> be.scatterMidpointBackward(u, 1, 0, s, be.alloc(8 * 18), be.alloc(10), be.alloc(8 * 18)), "short gLinks");
        assertThrows(IllegalArgumentException.class, () -> be.u1BaseForward(true, -1, 4, 2, be.alloc(4), be.alloc(4), 0, 2, be.alloc(4), 0, 2, be.alloc(4), be.alloc(4)), "betaA < 0");
        assertThrows(IllegalArgumentException.class, () -> be.u1BaseForward(true, 1, 4, 2, be.alloc(4), be.alloc(3), 0, 2, be.alloc(4), 0, 2, be.alloc(4), be.alloc(4)), "short feat");
        assertThrows(IllegalArgumentException.class, () -> be.u1BaseInverse(false, 1, 4, 2, be.alloc(4), be.alloc(4), 1, 2, be.alloc(4), 0, 2, be.alloc(4), be.alloc(4)), "feat offset past the end");
        assertThrows(IllegalArgumentException.class, () -> be.u1BaseBackward(false, 1, 4, 0, be.alloc(4), be.alloc(4), 0, 2, be.alloc(4), 0, 2,
                be.alloc(4), be.alloc(4), be.alloc(4), be.alloc(4), be.alloc(4)), "m = 0");
        assertThrows(IllegalArgumentException.class, () -> be.u1BaseBackward(false, 1, 4, 2, be.alloc(4), be.alloc(4), 0, 2, be.alloc(4), 0, 2,
                be.alloc(4), be.alloc(4), be.alloc(4), be.alloc(4), be.alloc(3)), "short gRaw");
    }
}
