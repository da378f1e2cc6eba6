package org.mflowhpc.backend.cpu;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;
import org.mflowhpc.group.SU3;
import org.mflowhpc.rng.RngStream;
import org.mflowhpc.testutil.Fields;

/**
 * Su3Spectral: bijectivity, identity at zero parameters, conjugation equivariance, log J against a numerical
 * Jacobian in left-invariant algebra coordinates, backward against central differences, degenerate spectra,
 * special unitarity of the output. Fresh random inputs every run (seed printed on failure).
 */
class Su3SpectralTest {
    final long seed = Fields.freshSeed();
    final RngStream r = new RngStream(seed, RngStream.Domain.TEST, 17, 5);
    static final int[] KS = {1, 2, 4};

    // ------------------------------------------------------------------ helpers

    /** Random raw parameters of size ~0.5-1, laid out with the given stride at offset off. */
    double[] randomRaw(Su3Spectral f, int off, int stride, double scale) {
        double[] raw = new double[off + f.paramsPerElement() * stride];
        for (int i = 0; i < raw.length; i++) raw[i] = 1e3 * (r.uniform() - 0.5); // junk outside the element
        for (int p = 0; p < f.paramsPerElement(); p++) raw[off + p * stride] = scale * r.gaussian();
        return raw;
    }

    static double maxDiff(double[] a, int ao, double[] b, int bo) {
        double m = 0;
        for (int i = 0; i < 18; i++) m = Math.max(m, Math.abs(a[ao + i] - b[bo + i]));
        return m;
    }

    static double[] generator(int a) {
        double[] p = new double[8], t = new double[18];
        p[a] = 1;
        SU3.fromCoefficients(p, t, 0);
        return t;
    }

    /** exp(eps t_a) W. */
    static double[] leftMove(double[] w, int a, double eps) {
        double[] t = generator(a), e = new double[18], out = new double[18];
        for (int i = 0; i < 18; i++) t[i] *= eps;
        SU3.exp(t, 0, e, 0);
        SU3.mul(e, 0, w, 0, out, 0);
        return out;
    }

    static double[] diagSu3(double p0, double p1, double p2) {
        double[] w = new double[18];
        double[] ph = {p0, p1, p2};
        for (int j = 0; j < 3; j++) { w[8 * j] = Math.cos(ph[j]); w[8 * j + 1] = Math.sin(ph[j]); }
        return w;
    }

    /** Omega D Omega^dag. */
    static double[] conj(double[] om, double[] d) {
        double[] t = new double[18], out = new double[18];
        SU3.mul(om, 0, d, 0, t, 0);
        SU3.mulDag(t, 0, om, 0, out, 0);
        return out;
    }

    static double reDot(double[] a, int ao, double[] b, int bo) {
        double s = 0;
        for (int i = 0; i < 18; i++) s += a[ao + i] * b[bo + i];
        return s;
    }

    static double logAbsDet(double[][] m) {
        int n = m.length;
        double[][] a = new double[n][];
        for (int i = 0; i < n; i++) a[i] = m[i].clone();
        double ld = 0;
        for (int c = 0; c < n; c++) {
            int piv = c;
            for (int i = c + 1; i < n; i++) if (Math.abs(a[i][c]) > Math.abs(a[piv][c])) piv = i;
            double[] t = a[c]; a[c] = a[piv]; a[piv] = t;
            ld += Math.log(Math.abs(a[c][c]));
            for (int i = c + 1; i < n; i++) {
                double f = a[i][c] / a[c][c];
                for (int j = c; j < n; j++) a[i][j] -= f * a[c][j];
            }
        }
        return ld;
    }

    // ------------------------------------------------------------------ 1. bijectivity and log J consistency

    @Test void inverseUndoesForwardAndLogJsAgree() {
        for (int kk : KS) {
            Su3Spectral f = new Su3Spectral(kk);
            assertEquals(6 * kk, f.paramsPerElement());
            assertEquals("spectral" + kk, f.kind());
            for (int it = 0; it < 60; it++) {
                int off = 3, stride = 5;
                double[] raw = randomRaw(f, off, stride, 0.8);
                double[] w = new double[18], wp = new double[21], back = new double[18], again = new double[18];
                SU3.haar(r, w, 0);
                double lj = f.forward(w, 0, raw, off, stride, wp, 3);
                double ljInv = f.inverse(wp, 3, raw, off, stride, back, 0);
                assertTrue(maxDiff(w, 0, back, 0) < 1e-10, "roundtrip K=" + kk + " seed=" + seed);
                assertEquals(lj, ljInv, 1e-9, "log J forward vs inverse, seed=" + seed);
                f.forward(back, 0, raw, off, stride, again, 0);
                assertTrue(maxDiff(again, 0, wp, 3) < 1e-10, "g(g^-1(W')) = W', seed=" + seed);
                assertTrue(maxDiff(w, 0, wp, 3) > 1e-6, "non-trivial parameters must move W");
            }
        }
    }

    // ------------------------------------------------------------------ 2. zero parameters = identity

    @Test void zeroParametersGiveIdentity() {
        for (int kk : KS) {
            Su3Spectral f = new Su3Spectral(kk);
            double[] raw = new double[f.paramsPerElement()];
            double[] w = new double[18], wp = new double[18];
            for (int it = 0; it < 50; it++) {
                SU3.haar(r, w, 0);
                double lj = f.forward(w, 0, raw, 0, 1, wp, 0);
                assertTrue(maxDiff(w, 0, wp, 0) < 1e-12, "identity map, seed=" + seed);
                assertEquals(0, lj, 1e-12);
            }
        }
    }

    // ------------------------------------------------------------------ 3. conjugation equivariance

    @Test void conjugationEquivariant() {
        for (int kk : KS) {
            Su3Spectral f = new Su3Spectral(kk);
            for (int it = 0; it < 40; it++) {
                double[] raw = randomRaw(f, 0, 1, 0.8);
                double[] w = new double[18], om = new double[18], wp = new double[18], wq = new double[18];
                SU3.haar(r, w, 0);
                SU3.haar(r, om, 0);
                double lj = f.forward(w, 0, raw, 0, 1, wp, 0);
                double lj2 = f.forward(conj(om, w), 0, raw, 0, 1, wq, 0);
                assertTrue(maxDiff(conj(om, wp), 0, wq, 0) < 1e-12, "equivariance, seed=" + seed);
                assertEquals(lj, lj2, 1e-11);
                // and the map genuinely acts on the spectrum: W' commutes with W but differs from it
                double[] c1 = new double[18], c2 = new double[18];
                SU3.mul(w, 0, wp, 0, c1, 0);
                SU3.mul(wp, 0, w, 0, c2, 0);
                assertTrue(maxDiff(c1, 0, c2, 0) < 1e-12, "same eigenvectors");
            }
        }
    }

    // ------------------------------------------------------------------ 4. log J vs numerical Jacobian

    @Test void logJMatchesNumericalJacobianInAlgebraCoordinates() {
        double h = 1e-5;
        for (int kk : KS) {
            Su3Spectral f = new Su3Spectral(kk);
            double maxDev = 0;
            for (int it = 0; it < 8; it++) {
                double[] raw = randomRaw(f, 0, 1, 0.8);
                double[] w = new double[18], w0 = new double[18], wpp = new double[18], wmm = new double[18];
                SU3.haar(r, w, 0);
                double lj = f.forward(w, 0, raw, 0, 1, w0, 0);
                double[][] jac = new double[8][8];
                double[] d = new double[18], t = new double[18];
                for (int a = 0; a < 8; a++) {
                    f.forward(leftMove(w, a, h), 0, raw, 0, 1, wpp, 0);
                    f.forward(leftMove(w, a, -h), 0, raw, 0, 1, wmm, 0);
                    for (int i = 0; i < 18; i++) d[i] = (wpp[i] - wmm[i]) / (2 * h);
                    SU3.mulDag(d, 0, w0, 0, t, 0); // dW' W'^dag, in the algebra
                    for (int b = 0; b < 8; b++) jac[b][a] = -2 * SU3.reTraceMul(generator(b), 0, t, 0);
                }
                assertEquals(logAbsDet(jac), lj, 1e-6, "K=" + kk + " seed=" + seed);
                double dev = 0;
                for (int a = 0; a < 8; a++)
                    for (int b = 0; b < 8; b++) dev = Math.max(dev, Math.abs(jac[b][a] - (a == b ? 1 : 0)));
                maxDev = Math.max(maxDev, dev);
            }
            // every f fixes x = 0, 1/2, 1, so a single W can be nearly fixed; over 8 Haar draws the map must act
            assertTrue(maxDev > 1e-2, "parameters of size ~1 give a non-trivial Jacobian, seed=" + seed);
        }
    }

    // ------------------------------------------------------------------ 5. backward vs finite differences

    static double loss(Su3Spectral f, double[] w, double[] raw, int off, int stride, double[] c, double kl) {
        double[] wp = new double[18];
        double lj = f.forward(w, 0, raw, off, stride, wp, 0);
        return reDot(c, 0, wp, 0) + kl * lj; // Re tr(C^dag W') + k log J
    }

    /**
     * A conjugated diagonal W whose alcove gaps (a, b, c) put it in region `which`: 0: a > pi, 1: b > pi, 2: c > pi
     * (each selects the complement branch of a different gap ratio), 3: near the wall a = 0 (gap 1e-2), 4: near the
     * wall c = 0, 5: all gaps < pi.
     */
    double[] alcovePoint(int which) {
        double u = r.uniform(), tp = 2 * Math.PI;
        double big = Math.PI + 0.3 + 1.5 * u, rest = tp - big, s1 = rest * (0.2 + 0.6 * r.uniform());
        double[] g;
        switch (which) {
            case 0: g = new double[] {big, s1, rest - s1}; break;
            case 1: g = new double[] {s1, big, rest - s1}; break;
            case 2: g = new double[] {s1, rest - s1, big}; break;
            case 3: g = new double[] {1e-2, 2 + u, tp - 2 - u - 1e-2}; break;
            case 4: g = new double[] {2 + u, tp - 2 - u - 1e-2, 1e-2}; break;
            default: g = new double[] {1.5 + u, 2.2 - u, tp - 3.7}; break;
        }
        double a = g[0], b = g[1];
        double[] om = new double[18];
        SU3.haar(r, om, 0);
        return conj(om, diagSu3((2 * a + b) / 3, (b - a) / 3, -(a + 2 * b) / 3));
    }

    @Test void backwardMatchesFiniteDifferences() {
        double h = 1e-5;
        for (int kk : KS) {
            Su3Spectral f = new Su3Spectral(kk);
            for (int it = 0; it < 8; it++) {
                int off = 2, stride = 3, gOff = 1, gStride = 2;
                double[] raw = randomRaw(f, off, stride, 0.8);
                double[] w = new double[18], c = new double[18];
                if (it < 2) SU3.haar(r, w, 0);
                else w = alcovePoint(it - 2);
                for (int i = 0; i < 18; i++) c[i] = r.gaussian();
                double kl = r.gaussian();
                double[] gW = new double[20];
                double[] gRaw = new double[gOff + f.paramsPerElement() * gStride];
                double pre = 0.25;
                for (int p = 0; p < f.paramsPerElement(); p++) gRaw[gOff + p * gStride] = pre; // must ADD
                f.backward(w, 0, raw, off, stride, c, 0, kl, gW, 2, gRaw, gOff, gStride);
                // (i) parameters
                for (int p = 0; p < f.paramsPerElement(); p++) {
                    double[] rp = raw.clone(), rm = raw.clone();
                    rp[off + p * stride] += h;
                    rm[off + p * stride] -= h;
                    double fd = (loss(f, w, rp, off, stride, c, kl) - loss(f, w, rm, off, stride, c, kl)) / (2 * h);
                    double an = gRaw[gOff + p * gStride] - pre;
                    assertEquals(fd, an, 1e-6 * Math.max(1, Math.abs(fd)), "dL/draw_" + p + " K=" + kk + " it=" + it + " seed=" + seed);
                }
                // (ii) link, along the 8 tangent directions t_a W
                double[] tw = new double[18];
                for (int a = 0; a < 8; a++) {
                    SU3.mul(generator(a), 0, w, 0, tw, 0);
                    double an = reDot(gW, 2, tw, 0);
                    // Richardson-extrapolated central differences (h, h/2): O(h^4), needed near the walls where
                    // third derivatives grow like 1/gap^2
                    double fd1 = (loss(f, leftMove(w, a, h), raw, off, stride, c, kl)
                            - loss(f, leftMove(w, a, -h), raw, off, stride, c, kl)) / (2 * h);
                    double fd2 = (loss(f, leftMove(w, a, h / 2), raw, off, stride, c, kl)
                            - loss(f, leftMove(w, a, -h / 2), raw, off, stride, c, kl)) / h;
                    double fd = (4 * fd2 - fd1) / 3;
                    assertEquals(fd, an, 1e-6 * Math.max(1, Math.abs(fd)), "dL/dW along t_" + a + " K=" + kk + " it=" + it + " seed=" + seed);
                }
                // gradient is tangent-projected: G W^dag is traceless anti-Hermitian
                double[] gwd = new double[18], ta = new double[18];
                SU3.mulDag(gW, 2, w, 0, gwd, 0);
                SU3.projectTA(gwd, 0, ta, 0);
                assertTrue(maxDiff(gwd, 0, ta, 0) < 1e-12);
            }
        }
    }

    // ------------------------------------------------------------------ 6. degenerate spectra

    @Test void degenerateInputsAreFinite() {
        double phi = 0.3 + r.uniform();
        double w3 = 2 * Math.PI / 3;
        double[] om = new double[18];
        SU3.haar(r, om, 0);
        double[][] cases = {
                diagSu3(0, 0, 0),                                   // identity
                diagSu3(phi, phi, -2 * phi),                        // doubly degenerate
                diagSu3(-phi / 2, -phi / 2, phi),                   // doubly degenerate, other wall
                diagSu3(w3, w3, w3),                                // centre e^{2 pi i/3}
                diagSu3(-w3, -w3, -w3),                             // centre e^{-2 pi i/3}
                diagSu3(Math.PI, Math.PI, 0),                       // eigenvalues -1, -1, 1
                conj(om, diagSu3(phi, phi + 1e-9, -2 * phi - 1e-9)), // near-degenerate, gap 1e-9
                conj(om, diagSu3(phi, phi, -2 * phi)),
                conj(om, diagSu3(w3 + 1e-9, w3 - 2e-9, w3 + 1e-9)), // near a centre element
                conj(om, diagSu3(1e-9, -3e-9, 2e-9)),               // near identity
                conj(om, diagSu3(-w3 + 1e-9, -w3, -w3 - 1e-9)),      // near e^{-2 pi i/3}, the stick-breaking pole
        };
        for (int kk : KS) {
            Su3Spectral f = new Su3Spectral(kk);
            for (double[] w : cases) {
                double[] raw = randomRaw(f, 0, 1, 0.8);
                double[] wp = new double[18], back = new double[18], gW = new double[18], c = new double[18];
                double[] gRaw = new double[f.paramsPerElement()];
                double lj = f.forward(w, 0, raw, 0, 1, wp, 0);
                assertTrue(Double.isFinite(lj), "log J finite, seed=" + seed);
                for (double v : wp) assertTrue(Double.isFinite(v));
                assertTrue(SU3.unitarityDeviation(wp, 0) < 1e-10, "output in SU(3)");
                double ljInv = f.inverse(wp, 0, raw, 0, 1, back, 0);
                assertTrue(Double.isFinite(ljInv));
                assertTrue(maxDiff(w, 0, back, 0) < 1e-10, "roundtrip at degenerate input, seed=" + seed);
                // the class map keeps eigenvectors: W' commutes with W
                double[] c1 = new double[18], c2 = new double[18];
                SU3.mul(w, 0, wp, 0, c1, 0);
                SU3.mul(wp, 0, w, 0, c2, 0);
                assertTrue(maxDiff(c1, 0, c2, 0) < 1e-10);
                for (int i = 0; i < 18; i++) c[i] = r.gaussian();
                f.backward(w, 0, raw, 0, 1, c, 0, 0.7, gW, 0, gRaw, 0, 1);
                for (double v : gW) assertTrue(Double.isFinite(v), "finite link gradient, seed=" + seed);
                for (double v : gRaw) assertTrue(Double.isFinite(v), "finite parameter gradient, seed=" + seed);
                // the map is smooth in the parameters even on walls and vertices (branches depend on W only), so
                // the guarded (series / convention) branches must still give exact parameter gradients
                double h = 1e-5;
                for (int p = 0; p < f.paramsPerElement(); p++) {
                    double[] rp = raw.clone(), rm = raw.clone();
                    rp[p] += h;
                    rm[p] -= h;
                    double fd = (loss(f, w, rp, 0, 1, c, 0.7) - loss(f, w, rm, 0, 1, c, 0.7)) / (2 * h);
                    assertEquals(fd, gRaw[p], 1e-6 * Math.max(1, Math.abs(fd)), "degenerate dL/draw_" + p + " seed=" + seed);
                }
            }
            // a degenerate eigenvalue stays degenerate: W' of diag(e^{i phi}, e^{i phi}, .) has W'_00 = W'_11
            double[] raw = randomRaw(f, 0, 1, 0.8), wp = new double[18];
            f.forward(diagSu3(phi, phi, -2 * phi), 0, raw, 0, 1, wp, 0);
            assertEquals(wp[0], wp[8], 1e-13);
            assertEquals(wp[1], wp[9], 1e-13);
            f.forward(diagSu3(w3, w3, w3), 0, raw, 0, 1, wp, 0);
            assertTrue(maxDiff(wp, 0, diagSu3(w3, w3, w3), 0) < 1e-13, "centre elements are fixed points");
        }
    }

    @Test void logJIsContinuousTowardsAWall() {
        // Approaching the doubly degenerate wall a -> 0 (away from vertices) log J converges: the guard takes the
        // limit, not a different branch.
        Su3Spectral f = new Su3Spectral(3);
        double[] raw = randomRaw(f, 0, 1, 0.8), om = new double[18], wp = new double[18];
        SU3.haar(r, om, 0);
        double phi = 0.4 + 0.5 * r.uniform();
        double l0 = f.forward(conj(om, diagSu3(phi, phi, -2 * phi)), 0, raw, 0, 1, wp, 0);
        for (double gap : new double[] {1e-4, 1e-6, 1e-8}) {
            double l = f.forward(conj(om, diagSu3(phi + gap, phi, -2 * phi - gap)), 0, raw, 0, 1, wp, 0);
            assertEquals(l0, l, 50 * gap, "gap " + gap + " seed=" + seed);
        }
    }

    @Test void linkGradientConvergesTowardsEachWall() {
        // At a wall g is not differentiable, but the one-sided gradient exists: approaching it, the gradient must
        // converge (differences ~ gap), including across the switch to the series branch (gap ~ 2 pi 1e-6).
        Su3Spectral f = new Su3Spectral(2);
        for (int wall = 0; wall < 3; wall++) {
            double[] raw = randomRaw(f, 0, 1, 0.8), om = new double[18], c = new double[18];
            SU3.haar(r, om, 0);
            for (int i = 0; i < 18; i++) c[i] = r.gaussian();
            double o1 = 2 + r.uniform();
            double[] prev = null;
            double prevGap = 0;
            for (double gap : new double[] {1e-4, 1e-5, 1e-6, 1e-7}) {
                double o2 = 2 * Math.PI - o1 - gap;
                double[] g = wall == 0 ? new double[] {gap, o1, o2} : wall == 1 ? new double[] {o1, gap, o2}
                        : new double[] {o1, o2, gap};
                double a = g[0], b = g[1];
                double[] w = conj(om, diagSu3((2 * a + b) / 3, (b - a) / 3, -(a + 2 * b) / 3));
                double[] gW = new double[18], gRaw = new double[f.paramsPerElement()];
                f.backward(w, 0, raw, 0, 1, c, 0, 0.9, gW, 0, gRaw, 0, 1);
                if (prev != null)
                    assertTrue(maxDiff(prev, 0, gW, 0) < 1e3 * prevGap, "wall " + wall + " gap " + gap + " seed=" + seed);
                prev = gW;
                prevGap = gap;
            }
        }
    }

    // ------------------------------------------------------------------ 7. output special unitary

    @Test void outputIsSpecialUnitary() {
        for (int kk : KS) {
            Su3Spectral f = new Su3Spectral(kk);
            for (int it = 0; it < 100; it++) {
                double[] raw = randomRaw(f, 0, 1, 1.0);
                double[] w = new double[18], wp = new double[18], p = new double[18], d = new double[2];
                SU3.haar(r, w, 0);
                f.forward(w, 0, raw, 0, 1, wp, 0);
                SU3.dagMul(wp, 0, wp, 0, p, 0);
                p[0] -= 1; p[8] -= 1; p[16] -= 1;
                double m = 0;
                for (double v : p) m = Math.max(m, Math.abs(v));
                assertTrue(m < 1e-12, "W'^dag W' = 1, seed=" + seed);
                SU3.det(wp, 0, d);
                assertEquals(1, d[0], 1e-12);
                assertEquals(0, d[1], 1e-12);
            }
        }
    }

    // ------------------------------------------------------------------ principal square root (multiscale midpoint)

    @Test void sqrtSquaresBackIsSpecialUnitaryAndEquivariant() {
        for (int it = 0; it < 20; it++) {
            double[] w = new double[18], q = new double[18], q2 = new double[18], om = new double[18];
            SU3.haar(r, w, 0);
            SU3.haar(r, om, 0);
            Su3Spectral.sqrt(w, 0, q, 0);
            SU3.mul(q, 0, q, 0, q2, 0);
            assertTrue(maxDiff(q2, 0, w, 0) < 1e-12, "sqrt(W)^2 = W, seed=" + seed);
            assertTrue(SU3.unitarityDeviation(q, 0) < 1e-12, "sqrt(W) in SU(3), seed=" + seed);
            double[] sq = new double[18];
            Su3Spectral.sqrt(conj(om, w), 0, sq, 0);
            assertTrue(maxDiff(sq, 0, conj(om, q), 0) < 1e-11, "sqrt(Ω W Ω†) = Ω sqrt(W) Ω†, seed=" + seed);
            // the Weyl-cell branch: eigenphases of sqrt(W) are halves of phases in [-4pi/3, 4pi/3], so Re tr >= -3/2
            assertTrue(SU3.reTrace(q, 0) >= -1.5 - 1e-12, "eigenphases of sqrt(W) within [-2pi/3, 2pi/3], seed=" + seed);
        }
        double[] id = diagSu3(0, 0, 0), q = new double[18];
        Su3Spectral.sqrt(id, 0, q, 0);
        assertTrue(maxDiff(q, 0, id, 0) < 1e-14, "sqrt(1) = 1");
    }

    @Test void sqrtBackwardMatchesFiniteDifferences() {
        double h = 1e-5;
        for (int it = 0; it < 12; it++) {
            double[] w = new double[18], c = new double[18], gW = new double[20], q = new double[18], tw = new double[18];
            if (it < 8) SU3.haar(r, w, 0); else w = alcovePoint(it - 8);
            for (int i = 0; i < 18; i++) c[i] = r.gaussian();
            Su3Spectral.sqrtBackward(w, 0, c, 0, gW, 2);
            for (int a = 0; a < 8; a++) {
                SU3.mul(generator(a), 0, w, 0, tw, 0);
                double an = reDot(gW, 2, tw, 0);
                Su3Spectral.sqrt(leftMove(w, a, h), 0, q, 0);
                double lp = reDot(c, 0, q, 0);
                Su3Spectral.sqrt(leftMove(w, a, -h), 0, q, 0);
                double lm = reDot(c, 0, q, 0);
                double fd = (lp - lm) / (2 * h);
                assertEquals(fd, an, 1e-6 * Math.max(1, Math.abs(fd)), "d sqrt along t_" + a + " it=" + it + " seed=" + seed);
            }
        }
    }
}
