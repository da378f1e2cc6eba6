package org.mflowhpc.flow.multiscale;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.mflowhpc.backend.cpu.Su3Spectral;
import org.mflowhpc.group.SU3;
import org.mflowhpc.observable.exact.SU3Characters;
import org.mflowhpc.rng.RngStream;

/**
 * Start of the SU(3) doubling flow ({@code base_start} for SU(3)): initial parameters of the first frame's spectral
 * flow that push Haar measure to nearly the one-link Wilson density p_kappa(W) = exp(kappa Re tr W) / z(kappa), with
 * kappa from a per-level effective coupling. SU(3) has no closed-form base map like U(1)'s logistic, so the start is
 * the spectral flow itself, fitted once per kappa; from there everything is learned.
 *
 * <h2>Coupling of a block of a target plaquettes</h2>
 * rho(beta) = b_(1,0) / (3 b_0), the fundamental character coefficient ratio ({@link SU3Characters#fundamentalRatio}),
 * plays the role of U(1)'s I_1/I_0: in 2D a block of a plaquettes has the fundamental coefficient rho(beta)^a, matched
 * by one plaquette at beta_a with rho(beta_a) = rho(beta)^a ("rg"); "mk" (Migdal-Kadanoff) rho(beta_a) =
 * rho(a^{(d-2)/2} beta)^a, equal to rg in 2D; "bare" beta_a = beta. a = 1 gives beta exactly.
 *
 * <h2>Width</h2>
 * In the midpoint frame the new link's conditional is exp((beta_a/N) Re tr W H), H = Γ (S + S^dag) Γ^dag with
 * eigenvalues 2 cos(σ_i/2), σ_i the eigenphases of the coarse plaquette of area 2a. H is replaced by its typical value
 * c 1, c = 2 sqrt((1 + u)/2) with u = rho(beta_a)^2 the mean (1/N) Re tr of that plaquette at the level's coupling
 * (cos(σ/2) = sqrt((1 + cos σ)/2) at the mean trace): kappa = beta_a c / N. The network learns the rest, including the
 * dependence on the local coarse plaquette.
 *
 * <h2>Fit</h2>
 * Reverse KL of g_θ on B = 128 fixed Haar draws (RngStream(0, NN_INIT, 0, 6 + i)): loss = mean_i(-log J(W_i) - kappa
 * Re tr g(W_i)) (+ log z, a constant), gradient through {@link Su3Spectral#backward} (gOut = -kappa 1 / B,
 * gLogJ = -1/B), Adam (lr 0.05, 150 steps, from θ = 0, the identity); kappa < 0.01 keeps the identity. Deterministic;
 * cached per (flow, kappa). Measured KL to p_kappa from the identity / after the fit (on the 128 draws):
 * kappa 0.6: 0.13 / -0.01; 2.0: 1.3 / 0.005; 4.3: 5.4 / 0.03; 6.8: 11.4 / 0.16.
 * Cost per fit: 150 x 128 single-link forward and backward passes, ~2e8 flops (well under a second).
 */
public final class SU3BaseStart {
    private SU3BaseStart() {}

    static final int BATCH = 128, STEPS = 150;
    static final double LR = 0.05;
    private static final Map<String, double[]> CACHE = new ConcurrentHashMap<>();

    /** beta_a of a block of {@code area} target plaquettes in d dimensions for start rg, mk or bare (see the class comment). */
    public static double coupling(String start, double beta, double area, int d) {
        if (start.equals("bare") || area == 1) return beta;
        double b = start.equals("mk") ? Math.pow(area, (d - 2) / 2.0) * beta : beta;
        if (!start.equals("mk") && !start.equals("rg")) throw new IllegalArgumentException("no SU(3) coupling for base_start " + start);
        return inverseRho(Math.pow(SU3Characters.fundamentalRatio(b), area));
    }

    /** beta with rho(beta) = y, y in [0, 1). */
    static double inverseRho(double y) {
        if (y <= 0) return 0;
        double lo = 0, hi = 1;
        while (SU3Characters.fundamentalRatio(hi) < y) { lo = hi; hi *= 2; if (hi > 1e6) return hi; }
        for (int i = 0; i < 100 && hi - lo > 1e-12 * hi; i++) {
            double mid = 0.5 * (lo + hi);
            if (SU3Characters.fundamentalRatio(mid) < y) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /** kappa of the one-link density for a level at coupling betaA (see "Width"). */
    public static double kappa(double betaA) {
        double u = Math.pow(SU3Characters.fundamentalRatio(betaA), 2);
        return betaA * 2 * Math.sqrt((1 + u) / 2) / 3;
    }

    /** Fitted parameters (paramsPerElement of the flow, stride 1) pushing Haar to ≈ p_kappa; a fresh copy. */
    public static double[] fit(Su3Spectral flow, double kappa) {
        return CACHE.computeIfAbsent(flow.kind() + "@" + Double.doubleToLongBits(kappa), key -> doFit(flow, kappa)).clone();
    }

    private static double[] doFit(Su3Spectral flow, double kappa) {
        int np = flow.paramsPerElement();
        double[] th = new double[np], m = new double[np], v = new double[np], g = new double[np];
        if (kappa < 1e-2) return th; // within 1e-4 nats of Haar (KL ~ 4 kappa^2 / 9): the identity, not a fit to the draws' noise
        double[] w = new double[18 * BATCH], gOut = new double[18], gW = new double[18];
        for (int i = 0; i < BATCH; i++) SU3.haar(new RngStream(0, RngStream.Domain.NN_INIT, 0, 6 + i), w, 18 * i);
        gOut[0] = gOut[8] = gOut[16] = -kappa / BATCH;
        double b1 = 0.9, b2 = 0.999;
        for (int t = 1; t <= STEPS; t++) {
            java.util.Arrays.fill(g, 0);
            for (int i = 0; i < BATCH; i++) flow.backward(w, 18 * i, th, 0, 1, gOut, 0, -1.0 / BATCH, gW, 0, g, 0, 1);
            for (int j = 0; j < np; j++) {
                m[j] = b1 * m[j] + (1 - b1) * g[j];
                v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j];
                th[j] -= LR * (m[j] / (1 - Math.pow(b1, t))) / (Math.sqrt(v[j] / (1 - Math.pow(b2, t))) + 1e-8);
            }
        }
        for (double x : th) if (!Double.isFinite(x)) throw new IllegalStateException("SU(3) base start fit diverged at kappa " + kappa);
        return th;
    }

    /** Reverse KL (up to log z) of parameters th on the fit's draws: mean(-log J - kappa Re tr g(W)). For tests. */
    static double loss(Su3Spectral flow, double[] th, double kappa) {
        double[] w = new double[18], out = new double[18];
        double s = 0;
        for (int i = 0; i < BATCH; i++) {
            SU3.haar(new RngStream(0, RngStream.Domain.NN_INIT, 0, 6 + i), w, 0);
            double lj = flow.forward(w, 0, th, 0, 1, out, 0);
            s += -lj - kappa * (out[0] + out[8] + out[16]);
        }
        return s / BATCH;
    }
}
