package org.mflowhpc.train;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.flow.HaarFlowModel;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.LrSchedule;
import org.mflowhpc.observable.stats.Ess;

/**
 * Physics sanity: Haar + flow on 2D U(1), L = 8, beta = 1 learns (ESS on fresh samples well above the Haar prior's),
 * plus a timing measurement of the tutorial architecture (printed, not asserted).
 */
class TrainingSanityTest {
    /** ESS of n fresh samples from the model (n/chunk calls at distinct steps). */
    static double freshEss(HaarFlowModel m, CpuBackend be, double beta, int n, long seed) {
        double[] lw = new double[n];
        int chunk = 256;
        for (int c = 0; c * chunk < n; c++) {
            int nb = Math.min(chunk, n - c * chunk);
            GaugeField u = new GaugeField(be, Group.U1, m.lattice(), nb);
            Buffer lqB = be.alloc(nb), sB = be.alloc(nb);
            m.sample(seed, c, u, lqB);
            be.action(u, beta, sB, 0);
            double[] lq = be.download(lqB), s = be.download(sB);
            for (int b = 0; b < nb; b++) lw[c * chunk + b] = -s[b] - lq[b];
        }
        return Ess.essFraction(lw);
    }

    @Test void haarFlowLearnsU1AtBetaOne(@TempDir Path tmp) throws Exception {
        try (CpuBackend be = new CpuBackend(2)) {
            Lattice lat = new Lattice(8, 8);
            // 8 layers: the smallest stack in which every link is active once (2 directions x 4 offsets)
            HaarFlowModel m = new HaarFlowModel(be, Group.U1, lat, Map.of("layers", 8, "flow", "ncp4", "hidden", java.util.List.of(8),
                    "init_seed", 1L));
            double ess0 = freshEss(m, be, 1.0, 1024, 1234);
            Trainer.Options o = new Trainer.Options();
            o.runDir = tmp; o.steps = 300; o.batch = 32; o.seed = 7;
            o.schedule = LrSchedule.constant(1e-2); o.log = null; o.plot = false;
            o.checkpointEvery = 0;
            long t0 = System.nanoTime();
            Trainer.Result r = new Trainer(m, be, 1.0, o).run();
            double secs = (System.nanoTime() - t0) * 1e-9;
            double ess1 = freshEss(m, be, 1.0, 1024, 1234);
            System.out.printf("haar+flow L=8 beta=1: ESS before %.4f after %.4f (300 steps, batch 32, %.1f s)%n", ess0, ess1, secs);
            assertEquals(Trainer.Status.COMPLETED, r.status);
            // measured: before 0.0054, after 0.265 (deterministic: fixed seeds, thread-count independent; oriented-plaquette
            // coupling layers of the Backend seam; the pre-seam P_01 layers gave 0.0024 -> 0.302)
            assertTrue(ess1 > 0.15 && ess1 > 20 * ess0, "ESS before " + ess0 + " after " + ess1);
        }
    }

    /**
     * docs/physics.md §6, tutorial arXiv:2101.08176 setup (L=8, beta=2, 16 NCP layers, batch 64, Adam 1e-3, 1000 steps): ESS ~ 0.4.
     * Measured here (seed 7, init_seed 1): batch ESS 0.2-0.32 over the last 200 steps, loss -51.29 (-log Z = -52.736,
     * so KL ~ 1.44), ESS on 4096 fresh samples 0.130. The assertion guards against regressions only.
     */
    @Tag("slow")
    @Test void tutorialBenchmarkBetaTwo(@TempDir Path tmp) throws Exception {
        try (CpuBackend be = new CpuBackend()) {
            HaarFlowModel m = new HaarFlowModel(be, Group.U1, new Lattice(8, 8), HaarFlowModel.defaultConfig(1));
            Trainer.Options o = new Trainer.Options();
            o.runDir = tmp; o.steps = 1000; o.batch = 64; o.seed = 7; o.schedule = LrSchedule.constant(1e-3);
            o.log = System.out; o.logEvery = 100; o.progressBar = false; o.checkpointEvery = 250;
            long t0 = System.nanoTime();
            Trainer.Result r = new Trainer(m, be, 2.0, o).run();
            double ess = freshEss(m, be, 2.0, 4096, 99);
            System.out.printf("tutorial benchmark L=8 beta=2: ESS(4096 fresh) %.4f, %.1f s%n", ess, (System.nanoTime() - t0) * 1e-9);
            assertEquals(Trainer.Status.COMPLETED, r.status);
            assertTrue(ess > 0.08, "ESS " + ess);
        }
    }

    @Tag("slow")
    @Test void timeTutorialArchitectureStep(@TempDir Path tmp) throws Exception {
        for (int threads : new int[] {1, 2}) {
            try (CpuBackend be = new CpuBackend(threads)) {
                HaarFlowModel m = new HaarFlowModel(be, Group.U1, new Lattice(8, 8), HaarFlowModel.defaultConfig(1));
                Trainer.Options o = new Trainer.Options();
                o.runDir = tmp.resolve("t" + threads); o.steps = 30; o.batch = 64; o.seed = 7;
                o.log = null; o.plot = false; o.checkpointEvery = 0;
                Trainer t = new Trainer(m, be, 2.0, o);
                o.steps = 5; t.run(); // warm-up
                o.steps = 35;
                long t0 = System.nanoTime();
                t.run();
                double per = (System.nanoTime() - t0) * 1e-9 / 30;
                System.out.printf("tutorial arch (16 x ncp6, hidden [8,8], k=3), L=8, batch 64, %d threads: %.1f ms/step, %d params%n",
                        threads, 1e3 * per, m.params().size());
            }
        }
    }
}
