/*
 * Contract under test: Exact2D reproduces every number of the exact 2D tables (docs/physics.md §6; embedded below) to
 * the printed precision (half a unit of the last printed digit), plus independent checks: infinite-volume limits,
 * chi_t on a 2x2 torus by direct numerical convolution of the plaquette-angle densities, beta = 0 values,
 * Wilson-loop symmetries, block-density identities, SU(2) = I_2/I_1, SU(1) trivial, strong coupling.
 */
package org.mflowhpc.observable.exact;

import static org.junit.jupiter.api.Assertions.*;

import java.util.function.DoubleUnaryOperator;

import org.junit.jupiter.api.Test;
import org.mflowhpc.math.Bessel;

class Exact2DTest {
    /** beta, L, <cos P>, chi_t, log Z — exact U(1) table (docs/physics.md §6). */
    private static final double[][] U1 = {
        {1, 8, 0.44638997, 4.063624e-02, 15.098519},
        {1, 16, 0.44638997, 4.063624e-02, 60.394076},
        {1, 32, 0.44638997, 4.063624e-02, 241.576303},
        {2, 8, 0.69777466, 1.936405e-02, 52.735587},
        {2, 16, 0.69777466, 1.936405e-02, 210.942347},
        {2, 32, 0.69777466, 1.936405e-02, 843.769386},
        {4, 8, 0.86353004, 7.531499e-03, 155.198426},
        {4, 16, 0.86352261, 7.554213e-03, 620.793036},
        {4, 32, 0.86352261, 7.554213e-03, 2483.172143},
        {6, 8, 0.91245491, 4.362513e-03, 269.329477},
        {6, 16, 0.91235930, 4.666803e-03, 1077.295392},
        {6, 32, 0.91235930, 4.666803e-03, 4309.181568},
        {8, 8, 0.93547709, 2.621422e-03, 387.745841},
        {8, 16, 0.93523549, 3.398663e-03, 1550.874689},
        {8, 32, 0.93523549, 3.398672e-03, 6203.498758},
        {12, 8, 0.95779859, 8.589206e-04, 630.484332},
        {12, 16, 0.95738151, 2.206652e-03, 2521.472669},
        {12, 32, 0.95738141, 2.208065e-03, 10085.890559},
        {16, 8, 0.96865281, 2.598923e-04, 877.208026},
        {16, 16, 0.96822883, 1.622466e-03, 3507.927920},
        {16, 32, 0.96822776, 1.636359e-03, 14031.709625},
    };
    /** beta, SU(3) plaquette (L=8 and infinite volume agree in the table). */
    private static final double[][] SU3 = {
        {1, 0.06012655}, {2, 0.12862779}, {4, 0.27961915}, {6, 0.42253174}, {8, 0.53575399}, {12, 0.67767204},
    };
    /** beta, SU(2) plaquette = I_2/I_1. */
    private static final double[][] SU2 = {{1, 0.24019372}, {2, 0.43312743}, {4, 0.65804727}, {8, 0.81924941}};

    @Test void u1TableReproduced() {
        for (double[] r : U1) {
            double beta = r[0];
            long V = (long) (r[1] * r[1]);
            String at = "beta=" + beta + " L=" + (int) r[1];
            assertEquals(r[2], Exact2D.u1Plaquette(beta, V), 0.5e-8, "<cos P> " + at);
            assertEquals(r[3], Exact2D.u1TopologicalSusceptibility(beta, V), 0.5e-6 * Math.pow(10, Math.floor(Math.log10(r[3]))), "chi_t " + at);
            assertEquals(r[4], Exact2D.u1LogZ(beta, V), 0.5e-6, "log Z " + at);
        }
    }

    @Test void suNTableReproduced() {
        for (double[] r : SU3) assertEquals(r[1], Exact2D.suNPlaquette(3, r[0]), 0.5e-8, "SU(3) beta=" + r[0]);
        for (double[] r : SU2) {
            assertEquals(r[1], Exact2D.suNPlaquette(2, r[0]), 0.5e-8, "SU(2) beta=" + r[0]);
            assertEquals(Bessel.I(2, r[0]) / Bessel.I(1, r[0]), Exact2D.suNPlaquette(2, r[0]), 1e-13);
        }
    }

    @Test void suNIdentities() {
        // SU(2): z0 = 2 I_1(beta)/beta
        for (double b : new double[] {0.5, 3, 10, 30}) assertEquals(Math.log(2 * Bessel.I(1, b) / b), Exact2D.suNLogZ0(2, b), 1e-12);
        // SU(1) is trivial: z0 = e^beta, plaquette 1
        assertEquals(1.0, Exact2D.suNPlaquette(1, 3.3), 1e-13);
        assertEquals(3.3, Exact2D.suNLogZ0(1, 3.3), 1e-13);
        // strong coupling: <(1/N) Re tr P> = beta/(2 N^2) + O(beta^2) for N >= 3 (beta/18 for SU(3))
        double b = 1e-3;
        assertEquals(b / 18, Exact2D.suNPlaquette(3, b), 1e-2 * b * b);
        assertEquals(0.0, Exact2D.suNPlaquette(3, 0), 1e-15);
        // derivative against a central difference of log z0
        double h = 1e-4, x = 5.0;
        double fd = (Exact2D.suNLogZ0(3, x + h) - Exact2D.suNLogZ0(3, x - h)) / (2 * h);
        assertEquals(fd, Exact2D.suNPlaquette(3, x), 1e-8);
        // SU(4) sanity: in (0, 1), increasing
        double p4a = Exact2D.suNPlaquette(4, 8), p4b = Exact2D.suNPlaquette(4, 16);
        assertTrue(p4a > 0 && p4a < p4b && p4b < 1, p4a + " " + p4b);
    }

    @Test void u1LimitsAndConsistency() {
        // large V -> infinite volume
        for (double b : new double[] {0.5, 2, 5}) {
            assertEquals(Exact2D.u1PlaquetteInfinite(b), Exact2D.u1Plaquette(b, 4096), 1e-14);
            assertEquals(Exact2D.u1TopologicalSusceptibilityInfinite(b), Exact2D.u1TopologicalSusceptibility(b, 4096), 1e-12);
            assertEquals(4096 * Bessel.logI(0, b), Exact2D.u1LogZ(b, 4096), 1e-9);
        }
        assertEquals(0.6977747, Exact2D.u1PlaquetteInfinite(2), 0.5e-7); // I_1(2)/I_0(2), docs/physics.md §6
        // beta = 0: uniform angles
        assertEquals(0.0, Exact2D.u1Plaquette(0, 64), 0);
        assertEquals(0.0, Exact2D.u1LogZ(0, 64), 0);
        assertEquals(1.0 / 12, Exact2D.u1TopologicalSusceptibility(0, 64), 1e-14);
        assertEquals(1.0 / 12, Exact2D.u1TopologicalSusceptibilityInfinite(0), 1e-14);
        // log Z derivative is V <cos P>
        double h = 1e-4;
        double fd = (Exact2D.u1LogZ(3 + h, 64) - Exact2D.u1LogZ(3 - h, 64)) / (2 * h);
        assertEquals(64 * Exact2D.u1Plaquette(3, 64), fd, 1e-6);
        // huge volume and large beta stay finite (log-space sums)
        assertTrue(Double.isFinite(Exact2D.u1LogZ(200, 1 << 20)));
        assertTrue(Double.isFinite(Exact2D.u1TopologicalSusceptibility(40, 1 << 20)));
    }

    @Test void u1ChiOn2x2TorusByDirectConvolution() {
        // 2x2 torus: 4 plaquette angles, iid density e^{beta cos phi} on (-pi, pi], constrained sum = 2 pi Q, Q in {-1,0,1}.
        // <Q^2> = 2 g4(2pi) / (g4(0) + 2 g4(2pi)), g4 = density of the sum of 4 angles, g2 of 2.
        double beta = 1.5;
        GaussLegendre gl = new GaussLegendre(24);
        DoubleUnaryOperator g2 = s -> {
            double lo = Math.max(-Math.PI, s - Math.PI), hi = Math.min(Math.PI, s + Math.PI);
            if (hi <= lo) return 0;
            return gl.integrate(p -> Math.exp(beta * Math.cos(p) + beta * Math.cos(s - p)), lo, hi, 8);
        };
        double g40 = gl.integrate(t -> g2.applyAsDouble(t) * g2.applyAsDouble(-t), -2 * Math.PI, 0, 16)
                + gl.integrate(t -> g2.applyAsDouble(t) * g2.applyAsDouble(-t), 0, 2 * Math.PI, 16);
        double g41 = gl.integrate(t -> g2.applyAsDouble(t) * g2.applyAsDouble(2 * Math.PI - t), 0, 2 * Math.PI, 16);
        double q2 = 2 * g41 / (g40 + 2 * g41);
        assertEquals(q2 / 4, Exact2D.u1TopologicalSusceptibility(beta, 4), 1e-11);
    }

    @Test void u1ChiAgainstMpmath() {
        // -(1/V) d^2 log Z(theta)/d theta^2 from the same character sum evaluated by mpmath 1.3 at 40 digits
        // (quadratures by mp.quad). At beta = 40, V = 64 the sum cancels chi_inf = 6.4e-4 down to 1.6e-7.
        assertEquals(1.61536862155507e-7, Exact2D.u1TopologicalSusceptibility(40, 64), 1e-11 * 1.6e-7 * 100);
        assertEquals(3.52892544435493e-4, Exact2D.u1TopologicalSusceptibility(3, 6), 1e-12 * 3.5e-4 * 10);
        assertEquals(6.41396648362031e-4, Exact2D.u1TopologicalSusceptibilityInfinite(40), 1e-14 * 6.4e-4 * 10);
    }

    @Test void u1WilsonLoops() {
        // W(1x1) = plaquette; W(A) = W(V - A); infinite-volume area law; small loops converge to it in large V
        assertEquals(Exact2D.u1Plaquette(2, 64), Exact2D.u1WilsonLoop(2, 1, 1, 8, 8), 1e-14);
        assertEquals(Exact2D.u1WilsonLoopArea(3, 5, 16), Exact2D.u1WilsonLoopArea(3, 11, 16), 1e-14);
        assertEquals(Exact2D.u1Plaquette(3, 16), Exact2D.u1WilsonLoopArea(3, 15, 16), 1e-14);
        assertEquals(1.0, Exact2D.u1WilsonLoopArea(3, 0, 16), 1e-14);
        double r = Exact2D.u1PlaquetteInfinite(2.5);
        assertEquals(Math.pow(r, 6), Exact2D.u1WilsonLoop(2.5, 2, 3), 1e-14);
        assertEquals(Math.pow(r, 6), Exact2D.u1WilsonLoop(2.5, 2, 3, 64, 64), 1e-13);
        assertThrows(IllegalArgumentException.class, () -> Exact2D.u1WilsonLoop(2, 8, 1, 8, 8));
    }

    @Test void u1BlockDensity() {
        // normalised w.r.t. dphi/2pi; convolution f_a * f_b = f_{a+b}; f_1 = e^{beta cos phi}/I_0
        double beta = 2.0;
        GaussLegendre gl = new GaussLegendre(20);
        assertEquals(1.0, gl.integrate(p -> Exact2D.u1BlockDensity(beta, 4, p), -Math.PI, Math.PI, 16) / (2 * Math.PI), 1e-13);
        assertEquals(Math.exp(beta * Math.cos(0.7)) / Bessel.I(0, beta), Exact2D.u1BlockDensity(beta, 1, 0.7), 1e-13);
        double phi = 1.1;
        double conv = gl.integrate(t -> Exact2D.u1BlockDensity(beta, 2, t) * Exact2D.u1BlockDensity(beta, 3, phi - t), -Math.PI, Math.PI, 16) / (2 * Math.PI);
        assertEquals(Exact2D.u1BlockDensity(beta, 5, phi), conv, 1e-12);
    }
}
