package org.mflowhpc.backend;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.testutil.Backends;
import org.mflowhpc.testutil.Fields;

/**
 * Contract tests for every available {@link Backend}: physics properties (gauge invariance, staple sums that
 * reproduce the action, forces equal to finite differences of the action) and bit-agreement with the
 * single-threaded CPU reference, on fresh random inputs each run (seed printed on failure).
 */
class BackendContractTest {
    static final long SEED = Fields.freshSeed();

    /** The reference itself and every backend of testutil.Backends (CPU x2, host x1 and x2 where built). */
    static List<Backend> backends() {
        List<Backend> b = new ArrayList<>();
        b.add(new CpuBackend(1));
        b.addAll(Backends.all());
        return b;
    }

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (Backend be : backends()) {
            a.add(Arguments.of(be, Group.U1, new Lattice(6, 4)));
            a.add(Arguments.of(be, Group.U1, new Lattice(4, 4, 2, 4)));
            a.add(Arguments.of(be, Group.SU3, new Lattice(4, 2)));
            a.add(Arguments.of(be, Group.SU3, new Lattice(2, 4, 2)));
            a.add(Arguments.of(be, Group.SU3, new Lattice(2, 2, 4, 2)));
        }
        return a.stream();
    }

    private static String ctx(Backend be, Group g, Lattice lat) {
        return be.name() + "x" + be.threads() + " " + g + " " + lat + " seed=" + SEED;
    }

    private static double[] action(Backend be, GaugeField u, double beta) {
        Buffer s = be.alloc(u.batch);
        be.action(u, beta, s, 0);
        return be.download(s);
    }

    private static double[] plaquettes(Backend be, GaugeField u) {
        Buffer p = be.alloc(u.batch * u.lattice.planes() * u.lattice.volume);
        be.plaquettes(u, p);
        return be.download(p);
    }

    @ParameterizedTest(autoCloseArguments = false) @MethodSource("cases")
    void actionAndPlaquettesAreGaugeInvariant(Backend be, Group g, Lattice lat) {
        GaugeField u = Fields.haar(be, g, lat, 2, SEED);
        double[] s0 = action(be, u, 1.7), p0 = plaquettes(be, u);
        assertEquals(2 * lat.planes() * lat.volume, p0.length);
        be.gaugeTransform(u, Fields.gauge(be, g, lat, 2, SEED + 1));
        double[] s1 = action(be, u, 1.7), p1 = plaquettes(be, u);
        assertArrayEquals(s0, s1, 1e-9, ctx(be, g, lat));
        assertArrayEquals(p0, p1, 1e-12, ctx(be, g, lat));
        double[] uh = u.toHost();
        if (g == Group.SU3) for (int o = 0; o < uh.length; o += 18) assertTrue(SU3.unitarityDeviation(uh, o) < 1e-12);
    }

    @ParameterizedTest(autoCloseArguments = false) @MethodSource("cases")
    void identityConfigurationHasUnitPlaquetteAndMinimalAction(Backend be, Group g, Lattice lat) {
        GaugeField u = GaugeField.identity(be, g, lat, 1);
        Buffer pb = be.alloc(1);
        be.meanPlaquette(u, pb, 0);
        double[] p = be.download(pb), s = action(be, u, 2.0);
        assertEquals(1.0, p[0], 1e-14);
        assertEquals(-2.0 * lat.planes() * lat.volume, s[0], 1e-9);
    }

    /** The part of S depending on U_mu(x) is -(beta/N) Re tr(U_mu(x) A_mu(x)): changing one link checks A. */
    @ParameterizedTest(autoCloseArguments = false) @MethodSource("cases")
    void stapleSumReproducesLocalAction(Backend be, Group g, Lattice lat) {
        double beta = 1.3;
        GaugeField u = Fields.haar(be, g, lat, 1, SEED + 2);
        GaugeField v = u.copy();
        GaugeField w = Fields.haar(be, g, lat, 1, SEED + 3);
        double[] uh = u.toHost(), vh = v.toHost(), wh = w.toHost();
        int sd = g == Group.U1 ? 2 : 18;
        Buffer ab = be.alloc(sd * lat.volume);
        for (int mu = 0; mu < lat.d; mu++) {
            int x = (int) Math.floorMod(SEED + 7L * mu, lat.volume);
            be.staples(u, mu, ab);
            double[] a = be.download(ab);
            int o = u.offset(0, mu, x);
            System.arraycopy(wh, o, vh, o, g.dof);
            v.setFromHost(vh);
            double[] s0 = action(be, u, beta), s1 = action(be, v, beta);
            double local0, local1;
            if (g == Group.U1) {
                local0 = Math.cos(uh[o]) * a[2 * x] - Math.sin(uh[o]) * a[2 * x + 1];
                local1 = Math.cos(vh[o]) * a[2 * x] - Math.sin(vh[o]) * a[2 * x + 1];
            } else {
                local0 = SU3.reTraceMul(uh, o, a, 18 * x);
                local1 = SU3.reTraceMul(vh, o, a, 18 * x);
            }
            assertEquals(s1[0] - s0[0], -beta / g.n * (local1 - local0), 1e-9, ctx(be, g, lat) + " mu=" + mu);
            System.arraycopy(uh, o, vh, o, g.dof);
            v.setFromHost(vh);
        }
    }

    /** Force = derivative of S along each generator, checked by central differences. */
    @ParameterizedTest(autoCloseArguments = false) @MethodSource("cases")
    void forceMatchesFiniteDifferences(Backend be, Group g, Lattice lat) {
        double beta = 2.1, eps = 1e-5;
        GaugeField u = Fields.haar(be, g, lat, 1, SEED + 4);
        Buffer fb = be.alloc(u.size());
        be.force(u, beta, fb);
        double[] f = be.download(fb);
        for (int mu = 0; mu < lat.d; mu++) {
            int x = (int) Math.floorMod(SEED * 31 + mu, lat.volume);
            int o = u.offset(0, mu, x);
            if (g == Group.U1) {
                double fd = (actionWith(be, u, o, eps, beta) - actionWith(be, u, o, -eps, beta)) / (2 * eps);
                assertEquals(fd, f[o], 1e-6, ctx(be, g, lat));
            } else {
                for (int a = 0; a < 8; a++) {
                    double[] coef = new double[8];
                    coef[a] = 1;
                    double[] t = new double[18];
                    SU3.fromCoefficients(coef, t, 0);
                    double fd = (actionRotated(be, u, o, t, eps, beta) - actionRotated(be, u, o, t, -eps, beta)) / (2 * eps);
                    // F_a = -2 Re tr(t_a F) since tr(t_a t_b) = -delta_ab / 2
                    double fa = -2 * SU3.reTraceMul(t, 0, f, o);
                    assertEquals(fd, fa, 1e-6, ctx(be, g, lat) + " a=" + a);
                }
            }
        }
    }

    private static double actionWith(Backend be, GaugeField u, int o, double d, double beta) {
        double[] h = u.toHost();
        h[o] += d;
        return action(be, GaugeField.fromHost(be, u.group, u.lattice, u.batch, h), beta)[0];
    }

    private static double actionRotated(Backend be, GaugeField u, int o, double[] t, double e, double beta) {
        double[] h = u.toHost(), vh = h.clone();
        double[] x = new double[18], ex = new double[18];
        for (int k = 0; k < 18; k++) x[k] = e * t[k];
        SU3.exp(x, 0, ex, 0);
        SU3.mul(ex, 0, h, o, vh, o);
        return action(be, GaugeField.fromHost(be, u.group, u.lattice, u.batch, vh), beta)[0];
    }

    /**
     * Agreement with the single-threaded CPU reference: bit for bit for the CPU backend at any thread count and for
     * every op whose arithmetic is only +, -, *, / and sqrt (SU(3) force and action on the native host backend, which
     * reproduces the reference's operation order without FMA); within {@link #LIBM} where U(1) goes through sin/cos,
     * which the host backend takes from the C library instead of Java's Math (each within an ulp).
     */
    static final double LIBM = 1e-14;

    @ParameterizedTest(autoCloseArguments = false) @MethodSource("cases")
    void agreesWithSingleThreadedReference(Backend be, Group g, Lattice lat) {
        Backend ref = new CpuBackend(1);
        double tol = be instanceof CpuBackend || g == Group.SU3 ? 0.0 : LIBM;
        GaugeField u = Fields.haar(be, g, lat, 3, SEED + 5);
        GaugeField ur = GaugeField.fromHost(ref, g, lat, 3, u.toHost());
        Buffer ab = be.alloc(u.size()), bb = ref.alloc(u.size());
        be.force(u, 1.1, ab);
        ref.force(ur, 1.1, bb);
        double[] fr = ref.download(bb), fb = be.download(ab);
        for (int i = 0; i < fr.length; i++) {
            if (tol == 0) assertEquals(Double.doubleToLongBits(fr[i]), Double.doubleToLongBits(fb[i]), ctx(be, g, lat) + " force " + i);
            else assertEquals(fr[i], fb[i], tol * (1 + Math.abs(fr[i])), ctx(be, g, lat) + " force " + i);
        }
        double[] s = action(be, u, 1.1), t = action(ref, ur, 1.1);
        for (int b = 0; b < 3; b++) assertEquals(t[b], s[b], tol * (1 + Math.abs(t[b])), ctx(be, g, lat) + " action");
    }

    @Test
    void gemmMatchesNaiveProductForAllTransposes() {
        long seed = SEED;
        java.util.Random r = new java.util.Random(seed);
        int m = 37, n = 23, k = 41;
        for (CpuBackend be : new CpuBackend[] {new CpuBackend(1), new CpuBackend(2)}) // gemm is a CPU-kernel helper
            for (int ta = 0; ta < 2; ta++)
                for (int tb = 0; tb < 2; tb++) {
                    double[] a = new double[m * k], b = new double[k * n], c = new double[m * n], c0 = new double[m * n];
                    for (int i = 0; i < a.length; i++) a[i] = r.nextGaussian();
                    for (int i = 0; i < b.length; i++) b[i] = r.nextGaussian();
                    for (int i = 0; i < c.length; i++) c0[i] = c[i] = r.nextGaussian();
                    boolean tA = ta == 1, tB = tb == 1;
                    be.gemm(tA, tB, m, n, k, 0.7, a, 0, tA ? m : k, b, 0, tB ? k : n, 0.3, c, 0, n);
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++) {
                            double s = 0;
                            for (int p = 0; p < k; p++) s += (tA ? a[p * m + i] : a[i * k + p]) * (tB ? b[j * k + p] : b[p * n + j]);
                            assertEquals(0.7 * s + 0.3 * c0[i * n + j], c[i * n + j], 1e-11, "seed=" + seed);
                        }
                }
    }
}
