/*
 * Contract: exact results for 2D lattice gauge theory with the Wilson action (docs/conventions.md; docs/physics.md §6), all in float64.
 * Measure: product of normalised Haar measures. Plaquette observable (1/N) Re tr P. V = number of plaquettes of
 * an L0 x L1 periodic torus (V = L0 L1). I_n = I_n(beta) (modified Bessel, see Bessel), I_n' = (I_{n-1}+I_{n+1})/2.
 * Every sum over representations n is done relative to its largest (n = 0) term, in log space, so V = 1024 or
 * 10^6 and beta up to several hundred are fine (no I_n^V overflow). Sums over n are truncated where the remaining
 * terms are below 1e-35 relative.
 *
 * U(1) on the torus (plaquette angles independent up to the constraint sum_p phi_p = 0 mod 2 pi):
 *   Z(beta, V)        = sum_n I_n^V                                    -> u1LogZ = log Z
 *   <cos P>           = sum_n I_n^{V-1} I_n' / sum_n I_n^V             -> u1Plaquette;  V -> inf: I_1/I_0
 *   Z(theta)          = sum_n c(n + theta/2pi)^V,  c(nu) = int_{-pi}^{pi} dphi/2pi e^{beta cos phi} e^{i nu phi},
 *                       the partition function with e^{i theta Q}, Q = (1/2pi) sum_p arg P_p, arg in (-pi, pi].
 *   chi_t = <Q^2>/V   = -(1/V) Z''(0)/Z(0)
 *                     = -(1/(4 pi^2 V)) sum_n [V(V-1) I_n^{V-2} c'(n)^2 + V I_n^{V-1} c''(n)] / sum_n I_n^V,
 *                       c'(n) = -(1/pi) int_0^pi phi sin(n phi) e^{beta cos phi} dphi,
 *                       c''(n) = -(1/pi) int_0^pi phi^2 cos(n phi) e^{beta cos phi} dphi  (Gauss-Legendre);
 *                       needs V >= 3.  V -> inf: (1/4pi^2) int phi^2 e^{beta cos phi} / int e^{beta cos phi}.
 *   Wilson loop R x T (contractible: R < L0, T < L1; area A = R T; Stokes: W = prod of the A enclosed plaquettes):
 *                       <W> = sum_n I_{n+1}^A I_n^{V-A} / sum_n I_n^V (real);  V -> inf: (I_1/I_0)^A.
 *   Block density of m plaquette angles (w.r.t. dphi/2pi):  f_m(phi) = sum_n (I_n/I_0)^m e^{i n phi}.
 *
 * SU(N), infinite volume (2D: plaquettes decouple with open boundaries; on the torus the corrections are
 * O((d_r-weights)^V), negligible for V >= 64):
 *   z0(beta) = int_{SU(N)} dU e^{(beta/N) Re tr U} = sum_{k in Z} det[I_{k+i-j}(beta/N)]_{i,j=1..N},
 *   <(1/N) Re tr P> = d log z0 / d beta, the derivative taken analytically (Jacobi: sum over columns j of the
 *   determinant with column j replaced by d/dbeta I_{k+i-j}(beta/N) = (I_{k+i-j-1} + I_{k+i-j+1})/(2N)).
 *   SU(2): z0 = 2 I_1(beta)/beta and <(1/2) tr P> = I_2(beta)/I_1(beta).
 *
 * Inputs: beta >= 0 finite, V >= 1 (>= 3 for chi_t), N >= 1. Invalid input: IllegalArgumentException.
 */
package org.mflowhpc.observable.exact;

import org.mflowhpc.math.Bessel;

/** Exact 2D U(1) and SU(N) lattice gauge theory results (static, thread-safe). */
public final class Exact2D {
    private Exact2D() {}

    private static final double TRUNC = Math.log(1e-35);

    // ---------------------------------------------------------------- U(1)

    /**
     * log(e^{-beta} I_n(beta)), n = 0..nmax+1, nmax large enough that p (log I_nmax - log I_0) < log 1e-35 (p >= 1).
     * Scaled logs keep the differences log(I_n/I_0) free of the rounding of log I_0 ~ beta.
     */
    private static double[] u1LogI(double beta, double p) {
        checkBeta(beta);
        int nmax = (int) (beta + 10 * Math.sqrt(beta) + 30);
        while (true) {
            double[] l = Bessel.logInScaled(nmax + 1, beta);
            if (p * (l[nmax] - l[0]) < TRUNC || l[nmax] == Double.NEGATIVE_INFINITY) return l;
            nmax *= 2;
            if (nmax > 1 << 22) throw new IllegalStateException("U(1) character sum does not converge: beta=" + beta + ", p=" + p);
        }
    }

    /** k * l with 0 * (-inf) = 0 (an empty product of I's). */
    private static double mulLog(double k, double l) { return k == 0 ? 0 : k * l; }

    /** log Z = log sum_n I_n(beta)^V (normalised Haar measure, V plaquettes on the torus). */
    public static double u1LogZ(double beta, long V) {
        checkV(V, 1);
        double[] l = u1LogI(beta, V);
        double s = 1;
        for (int n = l.length - 1; n >= 1; n--) s += 2 * Math.exp(V * (l[n] - l[0]));
        return V * (l[0] + beta) + Math.log(s);
    }

    /** Torus {@code <cos P>} = sum_n I_n^{V-1} I_n' / sum_n I_n^V. */
    public static double u1Plaquette(double beta, long V) {
        checkV(V, 1);
        double[] l = u1LogI(beta, V);
        int nm = l.length - 2; // l has one extra order so that I_{n+1} exists
        double num = 0, den = 0;
        for (int n = nm; n >= 0; n--) {
            double m = n == 0 ? 1 : 2;
            double base = mulLog(V - 1, l[n] - l[0]);
            double lm = l[Math.abs(n - 1)] - l[0];
            num += m * 0.5 * (Math.exp(base + lm) + Math.exp(base + l[n + 1] - l[0]));
            den += m * Math.exp(V * (l[n] - l[0]));
        }
        return num / den;
    }

    /** Infinite-volume plaquette I_1(beta)/I_0(beta). */
    public static double u1PlaquetteInfinite(double beta) {
        checkBeta(beta);
        double[] l = Bessel.logInScaled(1, beta);
        return Math.exp(l[1] - l[0]);
    }

    /** Torus topological susceptibility chi_t = <Q^2>/V (V >= 3). */
    public static double u1TopologicalSusceptibility(double beta, long V) {
        checkV(V, 3);
        double[] l = u1LogI(beta, V - 2);
        int nm = l.length - 1;
        Derivs c = derivs(beta, nm);
        double it0 = Math.exp(l[0]); // e^{-beta} I_0, matching the scaled c', c''
        double num = 0, den = 0;
        for (int n = nm; n >= 0; n--) {
            double m = n == 0 ? 1 : 2;
            double d = l[n] - l[0];
            double a = c.d1[n] / it0;
            num += m * ((V - 1) * Math.exp(mulLog(V - 2, d)) * a * a + Math.exp(mulLog(V - 1, d)) * c.d2[n] / it0);
            den += m * Math.exp(V * d);
        }
        return -num / den / (4 * Math.PI * Math.PI);
    }

    /** Infinite-volume chi_t = (1/4pi^2) int phi^2 e^{beta cos phi} / int e^{beta cos phi}, phi in (-pi, pi]. */
    public static double u1TopologicalSusceptibilityInfinite(double beta) {
        checkBeta(beta);
        Derivs c = derivs(beta, 0);
        double it0 = Math.exp(Bessel.logInScaled(0, beta)[0]);
        return -c.d2[0] / it0 / (4 * Math.PI * Math.PI);
    }

    /** Scaled c'(n), c''(n) (times e^{-beta}) for n = 0..nmax. */
    private static final class Derivs { double[] d1, d2; }

    private static final GaussLegendre GL16 = new GaussLegendre(16);

    private static Derivs derivs(double beta, int nmax) {
        Derivs r = new Derivs();
        r.d1 = new double[nmax + 1];
        r.d2 = new double[nmax + 1];
        for (int n = 0; n <= nmax; n++) {
            int panels = 32 + n + (int) Math.sqrt(beta);
            double[] x = GL16.compositeNodes(0, Math.PI, panels), w = GL16.compositeWeights(0, Math.PI, panels);
            double s1 = 0, s2 = 0;
            for (int i = 0; i < x.length; i++) {
                double phi = x[i];
                double e = w[i] * Math.exp(beta * (Math.cos(phi) - 1));
                s1 += e * phi * Math.sin(n * phi);
                s2 += e * phi * phi * Math.cos(n * phi);
            }
            r.d1[n] = -s1 / Math.PI;
            r.d2[n] = -s2 / Math.PI;
        }
        return r;
    }

    /** Infinite-volume Wilson loop (I_1/I_0)^{R T}. */
    public static double u1WilsonLoop(double beta, int R, int T) {
        if (R < 0 || T < 0) throw new IllegalArgumentException("loop sizes must be >= 0: " + R + "x" + T);
        return Math.exp((double) R * T * Math.log(u1PlaquetteInfinite(beta)));
    }

    /** Torus Wilson loop R x T on an L0 x L1 lattice (R < L0, T < L1): sum_n I_{n+1}^A I_n^{V-A} / sum_n I_n^V. */
    public static double u1WilsonLoop(double beta, int R, int T, int L0, int L1) {
        if (R < 0 || T < 0 || R >= L0 || T >= L1)
            throw new IllegalArgumentException("torus Wilson loop " + R + "x" + T + " must satisfy 0 <= R < L0 = " + L0 + ", 0 <= T < L1 = " + L1 + " (contractible)");
        return u1WilsonLoopArea(beta, (long) R * T, (long) L0 * L1);
    }

    /** Torus expectation of the product of A plaquettes (a contractible loop enclosing area A), 0 <= A <= V. */
    public static double u1WilsonLoopArea(double beta, long A, long V) {
        checkV(V, 1);
        if (A < 0 || A > V) throw new IllegalArgumentException("area " + A + " outside [0, V = " + V + "]");
        double[] l = u1LogI(beta, Math.max(1, Math.min(A, V - A)));
        int nm = l.length - 2;
        double num = 0, den = 0;
        for (int n = nm; n >= -nm - 1; n--) {
            num += Math.exp(mulLog(A, l[Math.abs(n + 1)] - l[0]) + mulLog(V - A, l[Math.abs(n)] - l[0]));
            if (n >= -nm) den += Math.exp(V * (l[Math.abs(n)] - l[0]));
        }
        return num / den;
    }

    /**
     * Density of the sum of m independent plaquette angles w.r.t. dphi/2pi:
     * f_m(phi) = 1 + 2 sum_{n>=1} (I_n/I_0)^m cos(n phi), m > 0 real. Absolute accuracy ~1e-15 * f_m(0)
     * (values far below that, in the tails of large m, are dominated by rounding).
     */
    public static double u1BlockDensity(double beta, double m, double phi) {
        if (!(m > 0)) throw new IllegalArgumentException("block size m must be > 0, got " + m);
        double[] l = u1LogI(beta, m);
        double s = 0;
        for (int n = l.length - 1; n >= 1; n--) s += Math.exp(m * (l[n] - l[0])) * Math.cos(n * phi);
        return 1 + 2 * s;
    }

    // ---------------------------------------------------------------- SU(N)

    /** log z0(beta) for SU(N): log of the single-plaquette integral with normalised Haar measure. */
    public static double suNLogZ0(int N, double beta) {
        double[] r = suN(N, beta);
        return r[0];
    }

    /** Infinite-volume 2D SU(N) plaquette {@code <(1/N) Re tr P>} = d log z0 / d beta. */
    public static double suNPlaquette(int N, double beta) {
        double[] r = suN(N, beta);
        return r[1];
    }

    /** {log z0, d log z0/d beta}. */
    private static double[] suN(int N, double beta) {
        if (N < 1) throw new IllegalArgumentException("N must be >= 1, got " + N);
        checkBeta(beta);
        double x = beta / N;
        int kmax = (int) (2 * x + 10 * Math.sqrt(x) + 40);
        int omax = kmax + N + 1;
        double[] l = Bessel.logInScaled(omax, x);
        double[] it = new double[omax + 1]; // e^{-x} I_n(x)
        for (int n = 0; n <= omax; n++) it[n] = Math.exp(l[n]);
        double z = 0, dz = 0;
        int small = 0;
        double[][] a = new double[N][N], b = new double[N][N];
        for (int kk = 0; kk <= kmax; kk++) {
            double tz = 0, tdz = 0;
            for (int sgn = (kk == 0 ? 1 : -1); sgn <= 1; sgn += 2) {
                int k = sgn * kk;
                for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) a[i][j] = it[Math.abs(k + i - j)];
                tz += det(a, b);
                for (int c = 0; c < N; c++) {
                    for (int i = 0; i < N; i++) for (int j = 0; j < N; j++)
                        a[i][j] = j == c ? (it[Math.abs(k + i - j - 1)] + it[Math.abs(k + i - j + 1)]) / (2.0 * N) : it[Math.abs(k + i - j)];
                    tdz += det(a, b);
                }
            }
            z += tz;
            dz += tdz;
            if (Math.abs(tz) <= 1e-18 * Math.abs(z) && Math.abs(tdz) <= 1e-18 * Math.abs(dz)) { if (++small >= 3) break; } else small = 0;
            if (kk == kmax) throw new IllegalStateException("SU(" + N + ") character sum did not converge at beta=" + beta);
        }
        if (!(z > 0)) throw new IllegalStateException("SU(" + N + ") z0 not positive at beta=" + beta + " (cancellation)");
        return new double[] {N * x + Math.log(z), dz / z};
    }

    /** Determinant by LU with partial pivoting (a is read, work is overwritten). */
    private static double det(double[][] a, double[][] work) {
        int n = a.length;
        for (int i = 0; i < n; i++) System.arraycopy(a[i], 0, work[i], 0, n);
        double d = 1;
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(work[r][c]) > Math.abs(work[p][c])) p = r;
            if (work[p][c] == 0) return 0;
            if (p != c) { double[] t = work[p]; work[p] = work[c]; work[c] = t; d = -d; }
            d *= work[c][c];
            for (int r = c + 1; r < n; r++) {
                double f = work[r][c] / work[c][c];
                if (f != 0) for (int k = c + 1; k < n; k++) work[r][k] -= f * work[c][k];
            }
        }
        return d;
    }

    private static void checkBeta(double beta) {
        if (!(beta >= 0) || Double.isInfinite(beta)) throw new IllegalArgumentException("beta must be finite and >= 0, got " + beta);
    }

    private static void checkV(long V, long min) {
        if (V < min) throw new IllegalArgumentException("number of plaquettes V must be >= " + min + ", got " + V);
    }
}
