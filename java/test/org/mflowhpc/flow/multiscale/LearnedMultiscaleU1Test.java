package org.mflowhpc.flow.multiscale;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.observable.exact.Exact2D;
import org.mflowhpc.nn.Params;
import org.mflowhpc.observable.stats.Ess;
import org.mflowhpc.rng.RngStream;
import org.mflowhpc.train.Trainer;

/**
 * Learned multiscale flow: inverse pass, gauge invariance, reparameterisation gradient of the reverse-KL loss
 * against central finite differences, and clear errors.
 */
class LearnedMultiscaleU1Test {
    private static final CpuBackend CPU = new CpuBackend(1);

    /** A model with random (non-zero) networks everywhere, so every parameter matters. */
    static LearnedMultiscaleU1 randomModel(Lattice lat, double beta, int refine, String flow, boolean latent, String base) {
        Map<String, Object> c = LearnedMultiscaleU1.defaultConfig(beta, 3);
        c.put("latent_flow", latent);
        c.put("base", base);
        c.put("zero_init", false);
        c.put("refine_layers", refine);
        c.put("flow", flow);
        c.put("hidden", List.of(6));
        c.put("refine_hidden", List.of(4));
        return new LearnedMultiscaleU1(CPU, lat, c);
    }

    /** model.sample into a fresh buffer on the field's backend, returned as a host copy. */
    static double[] sample(LearnedMultiscaleU1 m, long seed, long step, GaugeField u) {
        Backend be = u.backend();
        Buffer lq = be.alloc(u.batch);
        m.sample(seed, step, u, lq);
        return be.download(lq);
    }

    static double[] logDensity(LearnedMultiscaleU1 m, GaugeField u) {
        Backend be = u.backend();
        Buffer lq = be.alloc(u.batch);
        m.logDensity(u, lq);
        return be.download(lq);
    }

    static double[] action(GaugeField u, double beta) {
        Backend be = u.backend();
        Buffer s = be.alloc(u.batch);
        be.action(u, beta, s, 0);
        return be.download(s);
    }

    private static double loss(LearnedMultiscaleU1 m, GaugeField u, double beta, long seed) {
        double[] lq = sample(m, seed, 0, u), s = action(u, beta);
        double l = 0;
        for (int b = 0; b < u.batch; b++) l += lq[b] + s[b];
        return l / u.batch;
    }

    @Test void logDensityInvertsSampleAndIsGaugeInvariant() {
        Object[][] cases = {{8, 8, 2.0, 0, "rqs8", false, "logistic"}, {4, 8, 1.0, 2, "ncp3", true, "logistic"},
                {8, 4, 3.0, 0, "ncp2", false, "cauchy"}, {16, 8, 4.0, 1, "rqs4", true, "cauchy"}, {8, 8, 12.0, 0, "rqs8", false, "logistic"}};
        for (Object[] c : cases) {
            Lattice lat = new Lattice((Integer) c[0], (Integer) c[1]);
            double beta = (Double) c[2];
            LearnedMultiscaleU1 m = randomModel(lat, beta, (Integer) c[3], (String) c[4], (Boolean) c[5], (String) c[6]);
            int nb = 4;
            GaugeField u = new GaugeField(CPU, Group.U1, lat, nb);
            double[] lq = sample(m, 17, 5, u);
            double[] lq2 = logDensity(m, u);
            for (int b = 0; b < nb; b++) assertEquals(lq[b], lq2[b], 1e-10, "logDensity(sample) " + lat + " " + c[4]);
            int n = m.chain().layers() + 1;
            double[] parts = new double[nb * n];
            m.logDensityByLevel(u, parts);
            for (int b = 0; b < nb; b++) {
                double sum = 0;
                for (int k = 0; k < n; k++) sum += parts[b * n + k];
                assertEquals(lq[b], sum, 1e-10, "by-level parts sum to log q");
                if ((Integer) c[3] == 0) assertEquals(0.0, parts[b * n + n - 1], 0);
            }
            double[] omega = new double[nb * lat.volume];
            RngStream r = new RngStream(8, RngStream.Domain.TEST, 0, 0);
            for (int i = 0; i < omega.length; i++) omega[i] = r.angle();
            GaugeField g = u.copy();
            CPU.gaugeTransform(g, CPU.upload(omega));
            double[] lqg = logDensity(m, g);
            for (int b = 0; b < nb; b++) assertEquals(lq[b], lqg[b], 1e-10, "gauge invariance " + lat);
            // also on arbitrary (hot) configurations
            double[] hh = new double[2 * 2 * lat.volume];
            for (int i = 0; i < hh.length; i++) hh[i] = r.angle();
            GaugeField h = GaugeField.fromHost(CPU, Group.U1, lat, 2, hh);
            double[] a = logDensity(m, h);
            GaugeField hg = h.copy();
            CPU.gaugeTransform(hg, CPU.upload(java.util.Arrays.copyOf(omega, 2 * lat.volume)));
            double[] bb = logDensity(m, hg);
            for (int b = 0; b < 2; b++) { assertTrue(Double.isFinite(a[b])); assertEquals(a[b], bb[b], 1e-10); }
        }
    }

    @Test void backwardMatchesFiniteDifferencesOfReverseKl() {
        // variants: {refine layers, flow, latent_flow, base}
        Object[][] variants = {{0, "rqs4", false, "logistic"}, {2, "ncp2", false, "logistic"}, {0, "rqs4", true, "logistic"},
                {0, "ncp2", false, "cauchy"}, {0, "rqs4", true, "cauchy"}};
        for (int variant = 0; variant < variants.length; variant++) {
            Object[] vr = variants[variant];
            int refine = (Integer) vr[0];
            Lattice lat = new Lattice(4, 4);
            double beta = 1.5;
            LearnedMultiscaleU1 m = randomModel(lat, beta, refine, (String) vr[1], (Boolean) vr[2], (String) vr[3]);
            int nb = 3;
            GaugeField u = new GaugeField(CPU, Group.U1, lat, nb);
            Params p = m.params();
            p.zeroGrads();
            Buffer lq = CPU.alloc(nb), gLinks = CPU.alloc(u.size()), dlq = CPU.alloc(nb);
            Object tape = m.sampleForTraining(21, 0, u, lq);
            // Euclidean link gradient of the loss (U(1): dS/dtheta / B), as the Trainer feeds it
            CPU.actionGradient(u, beta, gLinks);
            CPU.scale(gLinks, 0, u.size(), 1.0 / nb);
            CPU.fill(dlq, 0, nb, 1.0 / nb);
            m.backward(tape, u, gLinks, dlq);
            double[] grad = p.gradsToHost();
            // a few parameters from every network: first and last conv of each level, and refinement layers
            List<Integer> idx = new ArrayList<>();
            for (Params.Block b : p.blocks()) {
                idx.add(b.offset);
                if (b.size > 3) idx.add(b.offset + b.size / 2 + 1);
            }
            double[] v = p.valuesToHost();
            double h = 1e-5, worst = 0;
            int checked = 0;
            for (int i : idx) {
                double keep = v[i];
                v[i] = keep + h;
                p.setValues(v);
                double lp = loss(m, new GaugeField(CPU, Group.U1, lat, nb), beta, 21);
                v[i] = keep - h;
                p.setValues(v);
                double lm = loss(m, new GaugeField(CPU, Group.U1, lat, nb), beta, 21);
                v[i] = keep;
                p.setValues(v);
                double fd = (lp - lm) / (2 * h);
                double err = Math.abs(fd - grad[i]);
                worst = Math.max(worst, err / Math.max(1e-3, Math.abs(fd)));
                assertEquals(fd, grad[i], 2e-6 + 1e-5 * Math.abs(fd), "parameter " + i + " variant " + variant);
                checked++;
            }
            System.out.println("variant " + java.util.Arrays.toString(vr) + ": " + checked + " parameters, worst relative gradient error " + worst);
        }
    }

    /** Fresh-sample diagnostics: {ESS, KL = E[log q + S] + log Z, var(log w)}. */
    static double[] diagnostics(LearnedMultiscaleU1 m, double beta, int n, long seed) {
        GaugeField u = new GaugeField(CPU, Group.U1, m.lattice(), n);
        double[] lq = sample(m, seed, 0, u), s = action(u, beta), lw = new double[n];
        double mean = 0;
        for (int b = 0; b < n; b++) { lw[b] = -s[b] - lq[b]; mean += lw[b] / n; }
        double var = 0;
        for (double x : lw) var += (x - mean) * (x - mean) / (n - 1);
        return new double[] {Ess.essFraction(lw), -mean + Exact2D.u1LogZ(beta, m.lattice().volume), var};
    }

    static Trainer.Options options(int steps, int batch, double lr) throws java.io.IOException {
        Trainer.Options o = new Trainer.Options();
        o.runDir = java.nio.file.Files.createTempDirectory("mstrain");
        o.steps = steps; o.batch = batch; o.schedule = org.mflowhpc.nn.LrSchedule.constant(lr);
        o.log = null; o.plot = false; o.checkpointEvery = 0;
        return o;
    }

    @Test void shortTrainingWithTheModelAgnosticTrainerLowersKl() throws Exception {
        Lattice lat = new Lattice(8, 8);
        double beta = 2.0;
        LearnedMultiscaleU1 m = new LearnedMultiscaleU1(CPU, lat, LearnedMultiscaleU1.defaultConfig(beta, 0));
        double[] before = diagnostics(m, beta, 256, 1);
        Trainer.Result r = new Trainer(m, CPU, beta, options(40, 32, 1e-3)).run();
        assertEquals(Trainer.Status.COMPLETED, r.status);
        double[] after = diagnostics(m, beta, 256, 1);
        System.out.printf("8x8 beta=2 multiscale: init ESS %.4f KL %.4f var(logw) %.4f -> after 40 steps ESS %.4f KL %.4f var(logw) %.4f%n",
                before[0], before[1], before[2], after[0], after[1], after[2]);
        assertTrue(before[1] > 0 && after[1] > 0, "KL must be positive");
        assertTrue(after[1] < 0.8 * before[1], "training must lower the KL");
    }

    @Test void configRebuildsTheSameModelAndResultsDoNotDependOnThreads() {
        Lattice lat = new Lattice(8, 8);
        Map<String, Object> c = LearnedMultiscaleU1.defaultConfig(4.0, 9);
        c.put("refine_layers", 2);
        LearnedMultiscaleU1 a = new LearnedMultiscaleU1(CPU, lat, c);
        assertEquals("multiscale+flow", a.kind());
        try (CpuBackend two = new CpuBackend(2)) {
            LearnedMultiscaleU1 b = new LearnedMultiscaleU1(two, lat, new java.util.LinkedHashMap<>(a.config()));
            assertEquals(a.params().layoutSignature(), b.params().layoutSignature());
            assertArrayEquals(a.params().valuesToHost(), b.params().valuesToHost(), 0);
            assertEquals(a.config(), b.config());
            GaugeField ua = new GaugeField(CPU, Group.U1, lat, 5), ub = new GaugeField(two, Group.U1, lat, 5);
            double[] la = sample(a, 3, 4, ua), lb = sample(b, 3, 4, ub);
            assertArrayEquals(ua.toHost(), ub.toHost(), 0);
            assertArrayEquals(la, lb, 0);
        }
        assertEquals("multiscale", new LearnedMultiscaleU1(CPU, lat, LearnedMultiscaleU1.defaultConfig(4.0, 9)).kind());
    }

    @Test void clearErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LearnedMultiscaleU1(CPU, new Lattice(12, 16), LearnedMultiscaleU1.defaultConfig(2, 0)));
        assertEquals("lattice 12x16 cannot be built by doubling from 1x1: extent 12 is not a power of two", e.getMessage());
        Map<String, Object> c = LearnedMultiscaleU1.defaultConfig(2, 0);
        c.put("refine_layers", 2);
        e = assertThrows(IllegalArgumentException.class, () -> new LearnedMultiscaleU1(CPU, new Lattice(2, 8), c));
        assertTrue(e.getMessage().contains("divisible by 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new LearnedMultiscaleU1(CPU, new Lattice(8, 8, 8), LearnedMultiscaleU1.defaultConfig(2, 0)));
        assertTrue(e.getMessage().contains("2D U(1) only"), e.getMessage());
        Map<String, Object> bad = LearnedMultiscaleU1.defaultConfig(2, 0);
        bad.put("layers", 3);
        e = assertThrows(IllegalArgumentException.class, () -> new LearnedMultiscaleU1(CPU, new Lattice(8, 8), bad));
        assertTrue(e.getMessage().contains("unknown multiscale config key 'layers'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LearnedMultiscaleU1(CPU, new Lattice(8, 8), new java.util.HashMap<>()));
        assertTrue(e.getMessage().contains("beta"), e.getMessage());
    }
}
