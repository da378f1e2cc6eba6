package org.mflowhpc.sample;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.flow.Models;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.LrSchedule;
import org.mflowhpc.observable.exact.Exact2D;
import org.mflowhpc.observable.stats.Autocorrelation;
import org.mflowhpc.observable.stats.Jackknife;
import org.mflowhpc.train.Trainer;

/**
 * Exactness of every model family (haar, the 2D U(1) multiscale models, the staple-doubling multiscale model for
 * U(1) and SU(3) in 2, 3 and 4 dimensions, the exact oracle), in the default suite: a briefly trained (so imperfect)
 * flow, made exact by (a) reweighting, <P> = sum w P / sum w over fresh samples (jackknife error of the ratio), and
 * (b) an independence Metropolis chain (Gamma-method error), reproduces the reference plaquette. In 2D that is exact:
 * U(1) from the exact torus sum, SU(3) from d log z0 / d beta (on 4x4 at these beta the finite-volume terms are below
 * 1e-8). In 3D and 4D it is heatbath + overrelaxation on the same lattice (16 chains, binned error), compared within
 * 4 sigma of the combined error; the lattices are the smallest the multiscale chain builds (U(1) from 1^d, SU(3) from
 * 2^d, anisotropic where that gives one doubling layer). The same flow's unweighted mean is reported in the message,
 * so a failure shows whether the weights were wrong or the model.
 */
class FlowExactnessTest {
    @TempDir Path tmp;

    record Case(String name, String model, Group group, int[] extents, double beta, int steps, Map<String, Object> opts) {
        Case(String name, String model, Group group, double beta, int steps, Map<String, Object> opts) {
            this(name, model, group, new int[] {4, 4}, beta, steps, opts);
        }
        @Override public String toString() { return name; }
    }

    static Map<String, Object> opts(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("haar U1", "haar", Group.U1, 1.5, 40, opts("layers", 4, "flow", "ncp2", "hidden", List.of(4))),
                new Case("multiscale U1", "multiscale", Group.U1, 1.5, 40, opts("hidden", List.of(8))),
                new Case("multiscale+flow U1", "multiscale+flow", Group.U1, 1.5, 30, opts("hidden", List.of(8), "refine_layers", 2, "refine_hidden", List.of(4))),
                new Case("exact U1", "exact", Group.U1, 1.5, 0, opts()),
                new Case("exact SU3", "exact", Group.SU3, 1.5, 0, opts()),
                new Case("haar SU3", "haar", Group.SU3, 2.5, 40, opts("layers", 4, "flow", "spectral2", "hidden", List.of(4))),
                new Case("multiscale(coarse=2, bare start) U1", "multiscale", Group.U1, 1.5, 80,
                        opts("coarse", 2, "base_start", "bare", "hidden", List.of(8), "flow", "rqs4", "prior_layers", 2)),
                new Case("multiscale SU3", "multiscale", Group.SU3, 2.5, 60, opts("hidden", List.of(8), "flow", "spectral2", "prior_layers", 2)),
                // 3D and 4D: the reference is a heatbath run on the same lattice (no exact value)
                new Case("multiscale+flow U1 3D 2x2x2", "multiscale+flow", Group.U1, new int[] {2, 2, 2}, 1.0, 150,
                        opts("hidden", List.of(8), "refine_layers", 2, "refine_hidden", List.of(4))),
                new Case("multiscale U1 3D 4x4x2", "multiscale", Group.U1, new int[] {4, 4, 2}, 0.7, 150, opts("hidden", List.of(8))),
                new Case("multiscale+flow U1 4D 2x2x2x2", "multiscale+flow", Group.U1, new int[] {2, 2, 2, 2}, 0.4, 150, opts()),
                new Case("multiscale SU3 3D 4x4x2", "multiscale", Group.SU3, new int[] {4, 4, 2}, 2.0, 150,
                        opts("hidden", List.of(8), "flow", "spectral2", "prior_layers", 2)),
                new Case("multiscale SU3 4D 4x2x2x2", "multiscale", Group.SU3, new int[] {4, 2, 2, 2}, 1.0, 150,
                        opts("hidden", List.of(8), "flow", "spectral2", "prior_layers", 2)));
    }

    /** The reference plaquette and its error: exact in 2D, else heatbath + overrelaxation on the same lattice. */
    static double[] referencePlaquette(Case c, Lattice lat) {
        if (lat.d == 2) return new double[] {c.group == Group.U1 ? Exact2D.u1Plaquette(c.beta, lat.volume) : Exact2D.suNPlaquette(3, c.beta), 0};
        HeatbathTest.Measured m = HeatbathTest.run(c.group, lat, c.beta, 16, 1, 50, 400, 77);
        return new double[] {m.plaq(), m.plaqErr()};
    }

    /**
     * The slow suite: larger 3D/4D lattices at weaker coupling (where a CPU-budget flow still reweights), longer training
     * and 16000 samples, so the comparison with the heatbath is tighter (errors of 1e-3 to 5e-3).
     */
    static Stream<Case> slowCases() {
        return Stream.of(
                new Case("multiscale+flow U1 3D 4x4x4", "multiscale+flow", Group.U1, new int[] {4, 4, 4}, 0.5, 400, opts()),
                new Case("multiscale+flow U1 4D 4x4x2x2", "multiscale+flow", Group.U1, new int[] {4, 4, 2, 2}, 0.3, 300, opts()),
                new Case("multiscale SU3 3D 4x4x2", "multiscale", Group.SU3, new int[] {4, 4, 2}, 2.0, 300,
                        opts("hidden", List.of(8), "flow", "spectral2", "prior_layers", 2)));
    }

    @ParameterizedTest(name = "{0}") @MethodSource("cases")
    void reweightingAndIndependenceMetropolisReproduceTheExactPlaquette(Case c) throws Exception {
        check(c, 8);
    }

    @Tag("slow") @ParameterizedTest(name = "{0}") @MethodSource("slowCases")
    void largerLatticesReproduceTheHeatbathPlaquette(Case c) throws Exception {
        check(c, 32);
    }

    private void check(Case c, int batches) throws Exception {
        Lattice lat = new Lattice(c.extents);
        try (CpuBackend be = new CpuBackend(2)) {
            FlowModel m = Models.create(c.model, be, c.group, lat, c.beta, c.opts, 3);
            if (c.steps > 0) {
                Trainer.Options o = new Trainer.Options();
                o.seed = 11; o.batch = 32; o.steps = c.steps; o.schedule = LrSchedule.constant(3e-3);
                o.log = null; o.plot = false; o.runDir = tmp.resolve(c.model);
                new Trainer(m, be, c.beta, o).run();
            }
            int nb = 500, n = nb * batches;
            double[] plaq = new double[n], logw = new double[n];
            GaugeField u = new GaugeField(be, c.group, lat, nb);
            Buffer lq = be.alloc(nb), s = be.alloc(nb), p = be.alloc(nb);
            IndependenceMetropolis mh = new IndependenceMetropolis(21);
            GaugeField chain = new GaugeField(be, c.group, lat, nb);
            double[] chainPlaq = new double[n], outLq = new double[nb], outLw = new double[nb];
            int[] acc = new int[nb];
            Buffer cp = be.alloc(nb);
            for (int k = 0; k < batches; k++) {
                m.sample(99, k, u, lq);
                be.action(u, c.beta, s, 0);
                be.meanPlaquette(u, p, 0);
                double[] lqh = be.download(lq), sh = be.download(s), ph = be.download(p), lw = new double[nb];
                for (int b = 0; b < nb; b++) { lw[b] = -sh[b] - lqh[b]; logw[k * nb + b] = lw[b]; plaq[k * nb + b] = ph[b]; }
                mh.advance(u, 0, nb, lqh, lw, (long) k * nb, chain, outLq, outLw, acc);
                be.meanPlaquette(chain, cp, 0);
                be.download(cp, 0, chainPlaq, k * nb, nb);
            }
            double mx = Double.NEGATIVE_INFINITY;
            for (double x : logw) mx = Math.max(mx, x);
            double[] w = new double[n], wp = new double[n];
            double unweighted = 0;
            for (int i = 0; i < n; i++) { w[i] = Math.exp(logw[i] - mx); wp[i] = w[i] * plaq[i]; unweighted += plaq[i] / n; }
            Jackknife.Result rw = Jackknife.derived(new double[][] {wp, w}, a -> a[0] / a[1], 50);
            double[] ref = referencePlaquette(c, lat);
            double exact = ref[0];
            String msg = c + ": " + (lat.d == 2 ? "exact " : "heatbath ") + exact + (lat.d == 2 ? "" : " ± " + ref[1]) + ", unweighted " + unweighted + ", reweighted " + rw.value() + " ± " + rw.error()
                    + ", acceptance " + mh.acceptanceRate() + ", ESS " + org.mflowhpc.observable.stats.Ess.essFraction(logw);
            Autocorrelation.Result ch = Autocorrelation.analyze(chainPlaq);
            System.out.println(msg + ", MH chain " + ch.value() + " ± " + ch.error());
            assertTrue(rw.error() > 0 && rw.error() < 0.02, msg);
            assertEquals(exact, rw.value(), 4 * Math.hypot(rw.error(), ref[1]) + 1e-12, "reweighting: " + msg);
            assertTrue(mh.acceptanceRate() > 0.05, msg);
            assertEquals(exact, ch.value(), 4 * Math.hypot(ch.error(), ref[1]) + 1e-12, "independence MH: " + msg + ", chain " + ch);
            if (c.model.equals("exact")) {
                assertEquals(1.0, mh.acceptanceRate(), 0, "the exact model is accepted always");
                assertEquals(exact, unweighted, 4 * rw.error() + 1e-12);
            }
        }
    }
}
