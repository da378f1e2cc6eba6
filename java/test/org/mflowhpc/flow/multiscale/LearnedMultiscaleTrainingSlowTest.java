package org.mflowhpc.flow.multiscale;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.observable.stats.Ess;
import org.mflowhpc.observable.exact.Exact2D;
import org.mflowhpc.rng.RngStream;
import org.mflowhpc.train.Trainer;

/**
 * Slow: trains the learned multiscale flow on 8x8, beta = 2 with the model-agnostic Trainer and measures ESS on
 * 4096 fresh samples with a bootstrap error (docs/physics.md §2: a few hundred samples can flatter a heavy-tailed log w).
 */
@Tag("slow")
class LearnedMultiscaleTrainingSlowTest {
    private static final CpuBackend CPU = new CpuBackend(2);

    /** {ESS, bootstrap std error, KL, var(log w)} on n fresh samples. */
    static double[] essWithError(LearnedMultiscaleU1 m, double beta, int n) {
        double[] lw = new double[n];
        int chunk = 256;
        for (int c = 0; c < n / chunk; c++) {
            GaugeField u = new GaugeField(CPU, Group.U1, m.lattice(), chunk);
            double[] lq = LearnedMultiscaleU1Test.sample(m, 4242, c, u), s = LearnedMultiscaleU1Test.action(u, beta);
            for (int b = 0; b < chunk; b++) lw[c * chunk + b] = -s[b] - lq[b];
        }
        double ess = Ess.essFraction(lw);
        RngStream r = new RngStream(1, RngStream.Domain.BOOTSTRAP, 0, 0);
        int nboot = 200;
        double s1 = 0, s2 = 0;
        double[] bs = new double[n];
        for (int k = 0; k < nboot; k++) {
            for (int i = 0; i < n; i++) bs[i] = lw[(int) (r.uniform() * n)];
            double e = Ess.essFraction(bs);
            s1 += e; s2 += e * e;
        }
        double mean = 0, var = 0;
        for (double x : lw) mean += x / n;
        for (double x : lw) var += (x - mean) * (x - mean) / (n - 1);
        double kl = -mean + Exact2D.u1LogZ(beta, m.lattice().volume);
        return new double[] {ess, Math.sqrt(Math.max(0, s2 / nboot - (s1 / nboot) * (s1 / nboot))), kl, var};
    }

    private static double[] trainAndMeasure(int l, double beta, int steps, double lr, double clip) throws Exception {
        LearnedMultiscaleU1 m = new LearnedMultiscaleU1(CPU, new Lattice(l, l), LearnedMultiscaleU1.defaultConfig(beta, 0));
        double[] before = essWithError(m, beta, 4096);
        Trainer.Options o = LearnedMultiscaleU1Test.options(steps, 64, lr);
        o.clipNorm = clip;
        long t0 = System.nanoTime();
        Trainer.Result r = new Trainer(m, CPU, beta, o).run();
        double secs = (System.nanoTime() - t0) * 1e-9;
        assertEquals(Trainer.Status.COMPLETED, r.status);
        double[] after = essWithError(m, beta, 4096);
        System.out.printf("%dx%d beta=%g learned multiscale: init ESS %.4f +- %.4f (KL %.4f, var(log w) %.4f); after %d steps "
                + "(batch 64, Adam %g, clip %g, %.0f s): ESS %.4f +- %.4f (KL %.4f, var(log w) %.4f) on 4096 fresh samples%n",
                l, l, beta, before[0], before[1], before[2], before[3], steps, lr, clip, secs, after[0], after[1], after[2], after[3]);
        return new double[] {before[0], after[0], before[2], after[2]};
    }

    @Test void trainingOn8x8Beta2ReachesEssWellAboveOneHalf() throws Exception {
        double[] r = trainAndMeasure(8, 2.0, 800, 1e-3, Double.POSITIVE_INFINITY);
        assertTrue(r[1] > 0.85, "ESS " + r[1]);
        assertTrue(r[3] < 0.5 * r[2], "training must at least halve the KL");
    }

    @Test void trainingOn16x16Beta8() throws Exception {
        double[] r = trainAndMeasure(16, 8.0, 800, 5e-4, 50);
        assertTrue(r[1] > 0.4, "ESS " + r[1]);
        assertTrue(r[3] < 0.5 * r[2], "training must at least halve the KL");
    }
}
