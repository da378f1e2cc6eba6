package org.mflowhpc.sample;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.flow.Models;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.LrSchedule;
import org.mflowhpc.observable.stats.Autocorrelation;
import org.mflowhpc.observable.stats.Jackknife;
import org.mflowhpc.rng.RngStream;
import org.mflowhpc.train.Trainer;

/**
 * Exactness of the multiscale model in d = 3, 4 (where no closed form exists), in the default suite: a briefly
 * trained multiscale flow on a small lattice, made exact by reweighting (jackknife error of the ratio) and by an
 * independence Metropolis chain (Gamma-method error), reproduces the mean plaquette (1/N) Re tr P of the project's
 * heatbath on the same lattice (16 independent chains, 50 thermalisation sweeps, 120 measured sweeps each; error
 * from the spread of the chain means). Agreement within 4 combined standard errors.
 */
class MultiscaleHeatbathTest {
    @TempDir Path tmp;

    record Case(String name, Group group, Lattice lat, double beta, int steps, Map<String, Object> opts) {
        @Override public String toString() { return name; }
    }

    static Stream<Case> cases() {
        Map<String, Object> u1 = new LinkedHashMap<>(Map.of("hidden", List.of(8), "flow", "rqs4", "level_layers", 1, "refine_hidden", List.of(4)));
        Map<String, Object> su3 = new LinkedHashMap<>(Map.of("hidden", List.of(4), "flow", "spectral1", "prior_layers", 1, "refine_hidden", List.of(4)));
        return Stream.of(
                new Case("multiscale U1 4x4x2 beta=0.7", Group.U1, new Lattice(4, 4, 2), 0.7, 60, u1),
                new Case("multiscale SU3 4x2x2x2 beta=0.6", Group.SU3, new Lattice(4, 2, 2, 2), 0.6, 30, su3));
    }

    /** Heatbath mean plaquette and its error: {mean, error}. */
    static double[] heatbath(CpuBackend be, Case c) {
        int chains = 16, therm = 50, meas = 120;
        GaugeField u = new GaugeField(be, c.group, c.lat, chains);
        be.haarLinks(u, RngStream.Domain.TEST, 7, 0);
        Buffer p = be.alloc(chains);
        double[] mean = new double[chains];
        for (int s = 0; s < therm + meas; s++) {
            be.heatbath(u, c.beta, 5, s);
            if (s < therm) continue;
            be.meanPlaquette(u, p, 0);
            double[] h = be.download(p);
            for (int b = 0; b < chains; b++) mean[b] += h[b] / meas;
        }
        double m = 0, v = 0;
        for (double x : mean) m += x / chains;
        for (double x : mean) v += (x - m) * (x - m) / (chains - 1);
        return new double[] {m, Math.sqrt(v / chains)};
    }

    @ParameterizedTest(name = "{0}") @MethodSource("cases")
    void reweightedAndMetropolisPlaquetteMatchTheHeatbath(Case c) throws Exception {
        try (CpuBackend be = new CpuBackend(2)) {
            FlowModel m = Models.create("multiscale", be, c.group, c.lat, c.beta, c.opts, 3);
            Trainer.Options o = new Trainer.Options();
            o.seed = 11; o.batch = 32; o.steps = c.steps; o.schedule = LrSchedule.constant(3e-3);
            o.log = null; o.plot = false; o.runDir = tmp.resolve("run");
            new Trainer(m, be, c.beta, o).run();
            int nb = 500, batches = 8, n = nb * batches;
            double[] plaq = new double[n], logw = new double[n], chainPlaq = new double[n];
            GaugeField u = new GaugeField(be, c.group, c.lat, nb), chain = new GaugeField(be, c.group, c.lat, nb);
            Buffer lq = be.alloc(nb), s = be.alloc(nb), p = be.alloc(nb), cp = be.alloc(nb);
            IndependenceMetropolis mh = new IndependenceMetropolis(21);
            double[] outLq = new double[nb], outLw = new double[nb];
            int[] acc = new int[nb];
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
            for (int i = 0; i < n; i++) { w[i] = Math.exp(logw[i] - mx); wp[i] = w[i] * plaq[i]; }
            Jackknife.Result rw = Jackknife.derived(new double[][] {wp, w}, a -> a[0] / a[1], 50);
            double[] hb = heatbath(be, c);
            Autocorrelation.Result ch = Autocorrelation.analyze(chainPlaq);
            String msg = c + ": heatbath " + hb[0] + " ± " + hb[1] + ", reweighted " + rw.value() + " ± " + rw.error()
                    + ", MH " + ch.value() + " ± " + ch.error() + ", acceptance " + mh.acceptanceRate()
                    + ", ESS " + org.mflowhpc.observable.stats.Ess.essFraction(logw);
            assertTrue(rw.error() > 0 && rw.error() < 0.03, msg);
            assertTrue(mh.acceptanceRate() > 0.05, msg);
            assertEquals(hb[0], rw.value(), 4 * Math.hypot(rw.error(), hb[1]), "reweighting: " + msg);
            assertEquals(hb[0], ch.value(), 4 * Math.hypot(ch.error(), hb[1]), "independence MH: " + msg);
            System.out.println(msg);
        }
    }
}
