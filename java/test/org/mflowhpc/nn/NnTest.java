package org.mflowhpc.nn;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.rng.RngStream;

/**
 * Conv2D / activations / Sequential: forward against a direct periodic convolution, backward (input, weight,
 * bias) against central finite differences of L = sum r .* y, reproducible init, Adam and schedules.
 */
class NnTest {
    static final CpuBackend BE = new CpuBackend(2);

    static double[] rand(RngStream r, int n) { double[] a = new double[n]; for (int i = 0; i < n; i++) a[i] = r.gaussian(); return a; }

    static double loss(Layer l, double[] x, int nb, int l0, int l1, double[] r) {
        double[] y = new double[nb * l.outChannels() * l0 * l1];
        l.forward(x, nb, l0, l1, y, false);
        double s = 0;
        for (int i = 0; i < y.length; i++) s += r[i] * y[i];
        return s;
    }

    /** Checks dL/dx and dL/dparams of L = sum r y against central differences. */
    static void gradCheck(Layer l, Params p, int nb, int l0, int l1, long seed, double tol) {
        RngStream rng = new RngStream(seed, RngStream.Domain.TEST, 0, 0);
        int V = l0 * l1;
        double[] x = rand(rng, nb * l.inChannels() * V), r = rand(rng, nb * l.outChannels() * V);
        double[] y = new double[r.length], dx = new double[x.length];
        p.zeroGrads();
        Object ctx = l.forward(x, nb, l0, l1, y, true);
        l.backward(ctx, r, dx);
        double h = 1e-6;
        for (int i = 0; i < x.length; i += Math.max(1, x.length / 40)) {
            double s = x[i];
            x[i] = s + h; double lp = loss(l, x, nb, l0, l1, r);
            x[i] = s - h; double lm = loss(l, x, nb, l0, l1, r);
            x[i] = s;
            assertEquals((lp - lm) / (2 * h), dx[i], tol * (1 + Math.abs(dx[i])), "dx[" + i + "]");
        }
        double[] v = p.values(), g = p.grads();
        for (int i = 0; i < v.length; i += Math.max(1, v.length / 60)) {
            double s = v[i];
            v[i] = s + h; double lp = loss(l, x, nb, l0, l1, r);
            v[i] = s - h; double lm = loss(l, x, nb, l0, l1, r);
            v[i] = s;
            assertEquals((lp - lm) / (2 * h), g[i], tol * (1 + Math.abs(g[i])), "dparam[" + i + "]");
        }
    }

    @Test void convForwardMatchesDirectPeriodicConvolution() {
        Params p = new Params();
        Conv2D c = new Conv2D(BE, p, "c", 3, 4, 3);
        p.freeze();
        c.init(new RngStream(5, RngStream.Domain.NN_INIT, 0, 0));
        int l0 = 6, l1 = 4, V = 24, nb = 2;
        double[] x = rand(new RngStream(1, RngStream.Domain.TEST, 0, 0), nb * 3 * V), y = new double[nb * 4 * V];
        c.forward(x, nb, l0, l1, y, false);
        double[] w = p.values();
        int wo = p.block("c.weight").offset, bo = p.block("c.bias").offset;
        for (int b = 0; b < nb; b++)
            for (int o = 0; o < 4; o++)
                for (int x1 = 0; x1 < l1; x1++)
                    for (int x0 = 0; x0 < l0; x0++) {
                        double s = w[bo + o];
                        for (int ci = 0; ci < 3; ci++)
                            for (int a1 = 0; a1 < 3; a1++)
                                for (int a0 = 0; a0 < 3; a0++) {
                                    int s0 = Math.floorMod(x0 + a0 - 1, l0), s1 = Math.floorMod(x1 + a1 - 1, l1);
                                    s += w[wo + ((o * 3 + ci) * 3 + a1) * 3 + a0] * x[(b * 3 + ci) * V + s0 + l0 * s1];
                                }
                        assertEquals(s, y[(b * 4 + o) * V + x0 + l0 * x1], 1e-12);
                    }
    }

    @Test void convBackwardMatchesFiniteDifferences() {
        Params p = new Params();
        Conv2D c = new Conv2D(BE, p, "c", 2, 3, 3);
        p.freeze();
        c.init(new RngStream(7, RngStream.Domain.NN_INIT, 0, 0));
        gradCheck(c, p, 2, 4, 6, 11, 1e-6);
        Params p2 = new Params();
        Conv2D d = Conv2D.dense(BE, p2, "d", 3, 2);
        p2.freeze();
        d.init(new RngStream(7, RngStream.Domain.NN_INIT, 0, 0));
        gradCheck(d, p2, 3, 4, 2, 12, 1e-6);
    }

    @Test void subsetOutputMatchesGatheredFullOutputAndGradients() {
        Params p = new Params();
        Sequential net = Sequential.convNet(BE, p, "net", 2, new int[] {4}, 3, 3, Activation.Kind.TANH);
        p.freeze();
        net.init(new RngStream(8, RngStream.Domain.NN_INIT, 0, 0));
        int l0 = 4, l1 = 8, V = 32, nb = 2, M = 5;
        int[] sites = {1, 6, 13, 20, 31};
        RngStream r = new RngStream(4, RngStream.Domain.TEST, 0, 0);
        double[] x = rand(r, nb * 2 * V), full = new double[nb * 3 * V], sub = new double[nb * 3 * M];
        net.forward(x, nb, l0, l1, full, false);
        net.forwardAt(x, nb, l0, l1, sites, sub, false);
        for (int b = 0; b < nb; b++) for (int c = 0; c < 3; c++) for (int j = 0; j < M; j++)
            assertEquals(full[(b * 3 + c) * V + sites[j]], sub[(b * 3 + c) * M + j], 1e-14);
        // gradients: subset loss sum r_sub y_sub equals the full loss with r zero off the subset
        double[] rs = rand(r, nb * 3 * M), rf = new double[nb * 3 * V];
        for (int b = 0; b < nb; b++) for (int c = 0; c < 3; c++) for (int j = 0; j < M; j++)
            rf[(b * 3 + c) * V + sites[j]] = rs[(b * 3 + c) * M + j];
        double[] dx1 = new double[x.length], dx2 = new double[x.length];
        p.zeroGrads();
        net.backward(net.forward(x, nb, l0, l1, new double[full.length], true), rf, dx1);
        double[] g1 = p.grads().clone();
        p.zeroGrads();
        net.backward(net.forwardAt(x, nb, l0, l1, sites, new double[sub.length], true), rs, dx2);
        for (int i = 0; i < x.length; i++) assertEquals(dx1[i], dx2[i], 1e-12);
        for (int i = 0; i < g1.length; i++) assertEquals(g1[i], p.grads()[i], 1e-12);
    }

    @Test void activationsBackwardMatchFiniteDifferences() {
        for (Activation.Kind k : Activation.Kind.values()) {
            Params p = new Params();
            gradCheck(new Activation(k, 2), p, 2, 4, 4, 13, 1e-6);
        }
    }

    @Test void sequentialCnnBackwardMatchesFiniteDifferences() {
        for (Activation.Kind k : new Activation.Kind[] {Activation.Kind.TANH, Activation.Kind.SILU, Activation.Kind.GELU}) {
            Params p = new Params();
            Sequential net = Sequential.convNet(BE, p, "net", 2, new int[] {5, 4}, 3, 3, k);
            p.freeze();
            net.init(new RngStream(3, RngStream.Domain.NN_INIT, 0, 0));
            gradCheck(net, p, 2, 4, 4, 17, 1e-5);
        }
    }

    @Test void initIsReproducibleAndLayoutNamed() {
        double[][] vals = new double[2][];
        for (int rep = 0; rep < 2; rep++) {
            Params p = new Params();
            Sequential net = Sequential.convNet(BE, p, "net", 2, new int[] {8, 8}, 13, 3, Activation.Kind.LEAKY_RELU);
            p.freeze();
            net.init(new RngStream(42, RngStream.Domain.NN_INIT, 0, 0));
            vals[rep] = p.values().clone();
            assertEquals("net.conv0.weight[8,2,3,3];net.conv0.bias[8];net.conv1.weight[8,8,3,3];net.conv1.bias[8];"
                    + "net.conv2.weight[13,8,3,3];net.conv2.bias[13]", p.layoutSignature());
        }
        assertArrayEquals(vals[0], vals[1]);
        assertTrue(Arrays.stream(vals[0]).allMatch(v -> v != 0 && Math.abs(v) < 1));
    }

    @Test void adamMinimisesQuadraticAndClipsAndRestores() {
        Params p = new Params();
        p.add("x", 3);
        p.freeze();
        double[] target = {1, -2, 0.5};
        Adam a = new Adam(p);
        for (int it = 0; it < 2000; it++) {
            p.zeroGrads();
            for (int i = 0; i < 3; i++) p.grads()[i] = 2 * (p.values()[i] - target[i]);
            Adam.clipGradNorm(p, 1.0);
            assertTrue(p.gradNorm() <= 1.0 + 1e-12);
            a.step(LrSchedule.cosine(0.05, 2000, 0).lr(it));
        }
        for (int i = 0; i < 3; i++) assertEquals(target[i], p.values()[i], 1e-3);
        // restore gives bit-identical continuation
        Params q = new Params(); q.add("x", 3); q.freeze(); q.setValues(p.values());
        Adam b = new Adam(q); b.restore(a.m(), a.v(), a.t());
        for (Params pp : new Params[] {p, q}) { pp.grads()[0] = 0.3; pp.grads()[1] = -0.1; pp.grads()[2] = 0.7; }
        a.step(1e-3); b.step(1e-3);
        assertArrayEquals(p.values(), q.values());
    }

    @Test void schedulesRoundTrip() {
        for (String s : new String[] {"constant:0.001", "cosine:0.001:1000:1.0E-5", "step:0.01:100:0.5"}) {
            LrSchedule l = LrSchedule.parse(s);
            assertEquals(s, l.spec());
            assertEquals(LrSchedule.parse(l.spec()).lr(537), l.lr(537));
        }
        assertEquals(0.001, LrSchedule.parse("cosine:0.001:1000").lr(0), 0);
        assertEquals(0.0, LrSchedule.parse("cosine:0.001:1000").lr(1000), 1e-18);
        assertEquals(0.0025, LrSchedule.parse("step:0.01:100:0.5").lr(250), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.parse("linear:3"));
    }
}
