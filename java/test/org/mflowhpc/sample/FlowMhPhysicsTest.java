package org.mflowhpc.sample;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.flow.Models;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.observable.Observables;
import org.mflowhpc.observable.exact.Exact2D;
import org.mflowhpc.observable.stats.Autocorrelation;
import org.mflowhpc.train.Trainer;

/**
 * Exactness of flow sampling: a trained multiscale model (2D U(1), 8x8, beta = 2), made exact by the independence
 * Metropolis chain, reproduces the exact plaquette and topological susceptibility within 4 sigma (Gamma-method
 * errors, which include the chain's autocorrelation from rejections).
 */
@Tag("slow")
class FlowMhPhysicsTest {
    static final long SAMPLE_SEED = System.getenv("MFLOW_TEST_SAMPLE_SEED") == null ? 777 : Long.parseLong(System.getenv("MFLOW_TEST_SAMPLE_SEED"));
    @TempDir Path tmp;

    @Test void trainedMultiscaleFlowWithMetropolisIsExact() throws Exception {
        double beta = 2.0;
        Lattice lat = new Lattice(8, 8);
        try (CpuBackend be = new CpuBackend(2)) {
            FlowModel m = Models.create("multiscale", be, Group.U1, lat, beta, Map.of(), 11);
            Trainer.Options o = new Trainer.Options();
            o.seed = 11; o.batch = 64; o.steps = 300; o.runDir = tmp; o.log = null; o.plot = false;
            new Trainer(m, be, beta, o).run();

            int batch = 256, batches = 40, n = batch * batches;
            IndependenceMetropolis mh = new IndependenceMetropolis(12345);
            Observables obs = new Observables(be);
            double[] plaq = new double[n], chi = new double[n];
            GaugeField prop = new GaugeField(be, Group.U1, lat, batch), chain = new GaugeField(be, Group.U1, lat, batch);
            Buffer logQB = be.alloc(batch), actB = be.alloc(batch), pB = be.alloc(batch);
            double[] logW = new double[batch];
            double[] cq = new double[batch], cw = new double[batch];
            int[] acc = new int[batch];
            for (int k = 0; k < batches; k++) {
                m.sample(SAMPLE_SEED, k, prop, logQB);
                be.action(prop, beta, actB, 0);
                double[] logQ = be.download(logQB), act = be.download(actB);
                for (int b = 0; b < batch; b++) logW[b] = -act[b] - logQ[b];
                mh.advance(prop, 0, batch, logQ, logW, (long) k * batch, chain, cq, cw, acc);
                be.meanPlaquette(chain, pB, 0);
                double[] p = be.download(pB);
                double[] q = obs.topologicalCharge(chain);
                for (int b = 0; b < batch; b++) { plaq[k * batch + b] = p[b]; chi[k * batch + b] = q[b] * q[b] / lat.volume; }
            }
            assertTrue(mh.acceptanceRate() > 0.2, "acceptance " + mh.acceptanceRate());
            Autocorrelation.Result rp = Autocorrelation.analyze(plaq), rc = Autocorrelation.analyze(chi);
            double ep = Exact2D.u1Plaquette(beta, lat.volume), ec = Exact2D.u1TopologicalSusceptibility(beta, lat.volume);
            String msg = String.format("plaq %.5f(%.5f) exact %.5f; chi %.5f(%.5f) exact %.5f; acceptance %.3f; tau %.2f %.2f",
                    rp.value(), rp.error(), ep, rc.value(), rc.error(), ec, mh.acceptanceRate(), rp.tauInt(), rc.tauInt());
            System.out.println(msg);
            assertEquals(ep, rp.value(), 4 * rp.error(), msg);
            assertEquals(ec, rc.value(), 4 * rc.error(), msg);
            assertTrue(rp.error() < 0.003 && rc.error() < 0.002, "errors too large to be a test: " + msg);
        }
    }
}
