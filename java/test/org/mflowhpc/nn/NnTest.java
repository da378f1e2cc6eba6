package org.mflowhpc.nn;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.Index;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.rng.RngStream;

/**
 * Conv (any d) / activations / Sequential / Adam on backend buffers: forward against a direct periodic
 * convolution, backward (input, weight, bias) against central finite differences of L = sum r .* y in d = 1..4,
 * site-subset output against the gathered full output, reproducible init, Adam and schedules.
 */
class NnTest {
    static final CpuBackend BE = new CpuBackend(2);

    static double[] rand(RngStream r, int n) { double[] a = new double[n]; for (int i = 0; i < n; i++) a[i] = r.gaussian(); return a; }

    static int vol(int[] ext) { int v = 1; for (int e : ext) v *= e; return v; }

    static double loss(Layer l, double[] x, int nb, int[] ext, int[] sites, double[] r) {
        int M = sites == null ? vol(ext) : sites.length;
        Buffer y = BE.alloc(nb * l.outChannels() * M);
        l.forward(BE.upload(x), nb, ext, sites == null ? null : BE.index(sites), y, false);
        double[] yh = BE.download(y);
        double s = 0;
        for (int i = 0; i < yh.length; i++) s += r[i] * yh[i];
        return s;
    }

    /** Checks dL/dx and dL/dparams of L = sum r y against central differences. */
    static void gradCheck(Layer l, Params p, int nb, int[] ext, int[] sites, long seed, double tol) {
        RngStream rng = new RngStream(seed, RngStream.Domain.TEST, 0, 0);
        int V = vol(ext), M = sites == null ? V : sites.length;
        double[] x = rand(rng, nb * l.inChannels() * V), r = rand(rng, nb * l.outChannels() * M);
        Buffer xb = BE.upload(x), y = BE.alloc(r.length), dxb = BE.alloc(x.length);
        p.zeroGrads();
        Object ctx = l.forward(xb, nb, ext, sites == null ? null : BE.index(sites), y, true);
        l.backward(ctx, BE.upload(r), dxb);
        double[] dx = BE.download(dxb);
        double h = 1e-6;
        for (int i = 0; i < x.length; i += Math.max(1, x.length / 40)) {
            double s = x[i];
            x[i] = s + h; double lp = loss(l, x, nb, ext, sites, r);
            x[i] = s - h; double lm = loss(l, x, nb, ext, sites, r);
            x[i] = s;
            assertEquals((lp - lm) / (2 * h), dx[i], tol * (1 + Math.abs(dx[i])), "dx[" + i + "]");
        }
        double[] v = p.valuesToHost(), g = p.gradsToHost();
        for (int i = 0; i < v.length; i += Math.max(1, v.length / 60)) {
            double s = v[i];
            v[i] = s + h; p.setValues(v); double lp = loss(l, x, nb, ext, sites, r);
            v[i] = s - h; p.setValues(v); double lm = loss(l, x, nb, ext, sites, r);
            v[i] = s; p.setValues(v);
            assertEquals((lp - lm) / (2 * h), g[i], tol * (1 + Math.abs(g[i])), "dparam[" + i + "]");
        }
    }

    static Params frozenInit(Params p, Layer l, long seed) {
        p.freeze(BE);
        double[] v = p.valuesToHost();
        l.init(new RngStream(seed, RngStream.Domain.NN_INIT, 0, 0), v);
        p.setValues(v);
        return p;
    }

    @Test void convForwardMatchesDirectPeriodicConvolution() {
        Params p = new Params();
        Conv c = new Conv(p, "c", 2, 3, 4, 3);
        frozenInit(p, c, 5);
        int l0 = 6, l1 = 4, V = 24, nb = 2;
        double[] x = rand(new RngStream(1, RngStream.Domain.TEST, 0, 0), nb * 3 * V);
        Buffer yb = BE.alloc(nb * 4 * V);
        c.forward(BE.upload(x), nb, new int[] {l0, l1}, null, yb, false);
        double[] y = BE.download(yb), v = p.valuesToHost();
        Params.Block w = c.weightBlock(), bias = c.biasBlock();
        for (int b = 0; b < nb; b++)
            for (int o = 0; o < 4; o++)
                for (int x1 = 0; x1 < l1; x1++)
                    for (int x0 = 0; x0 < l0; x0++) {
                        double s = v[bias.offset + o];
                        for (int ci = 0; ci < 3; ci++)
                            for (int a1 = 0; a1 < 3; a1++)
                                for (int a0 = 0; a0 < 3; a0++) {
                                    int y0 = Math.floorMod(x0 + a0 - 1, l0), y1 = Math.floorMod(x1 + a1 - 1, l1);
                                    s += v[w.offset + ((o * 3 + ci) * 3 + a1) * 3 + a0] * x[(b * 3 + ci) * V + y0 + l0 * y1];
                                }
                        assertEquals(s, y[(b * 4 + o) * V + x0 + l0 * x1], 1e-12);
                    }
    }

    @Test void convBackwardMatchesFiniteDifferencesInEveryDimension() {
        int[][] exts = {{5}, {4, 3}, {4, 2, 3}, {2, 3, 2, 2}};
        for (int[] ext : exts)
            for (int k : new int[] {1, 3}) {
                Params p = new Params();
                Conv c = new Conv(p, "c", ext.length, 2, 3, k);
                frozenInit(p, c, 7 + k);
                gradCheck(c, p, 2, ext, null, 11 + ext.length, 1e-6);
            }
    }

    @Test void subsetOutputMatchesGatheredFullOutputAndGradients() {
        int[] ext = {4, 4, 2};
        int V = 32, nb = 2;
        int[] sites = {1, 5, 6, 17, 30};
        Params p = new Params();
        Conv c = new Conv(p, "c", 3, 2, 3, 3);
        frozenInit(p, c, 9);
        double[] x = rand(new RngStream(2, RngStream.Domain.TEST, 0, 0), nb * 2 * V);
        Buffer full = BE.alloc(nb * 3 * V), sub = BE.alloc(nb * 3 * sites.length);
        c.forward(BE.upload(x), nb, ext, null, full, false);
        c.forward(BE.upload(x), nb, ext, BE.index(sites), sub, false);
        double[] f = BE.download(full), s = BE.download(sub);
        for (int b = 0; b < nb; b++)
            for (int ch = 0; ch < 3; ch++)
                for (int j = 0; j < sites.length; j++)
                    assertEquals(f[(b * 3 + ch) * V + sites[j]], s[(b * 3 + ch) * sites.length + j], 1e-14);
        gradCheck(c, p, nb, ext, sites, 21, 1e-6);
    }

    @Test void activationsBackwardMatchFiniteDifferences() {
        for (Backend.Act k : Backend.Act.values()) {
            Params p = new Params();
            Activation a = new Activation(p, k, 2);
            p.freeze(BE);
            gradCheck(a, p, 2, new int[] {4, 4}, null, 13, 1e-6);
        }
    }

    @Test void sequentialCnnBackwardMatchesFiniteDifferences() {
        for (Backend.Act k : new Backend.Act[] {Backend.Act.TANH, Backend.Act.SILU, Backend.Act.GELU}) {
            Params p = new Params();
            Sequential net = Sequential.convNet(p, "net", 2, 2, new int[] {5, 4}, 3, 3, k);
            frozenInit(p, net, 3);
            gradCheck(net, p, 2, new int[] {4, 4}, null, 17, 1e-5);
        }
        Params p = new Params();
        Sequential net = Sequential.convNet(p, "net", 4, 3, new int[] {4}, 2, 1, Backend.Act.TANH);
        frozenInit(p, net, 4);
        gradCheck(net, p, 2, new int[] {2, 2, 2, 4}, new int[] {0, 3, 9, 31}, 19, 1e-5);
    }

    @Test void initIsReproducibleAndLayoutNamed() {
        double[][] vals = new double[2][];
        for (int rep = 0; rep < 2; rep++) {
            Params p = new Params();
            Sequential net = Sequential.convNet(p, "net", 2, 2, new int[] {8, 8}, 13, 3, Backend.Act.LEAKY_RELU);
            frozenInit(p, net, 42);
            vals[rep] = p.valuesToHost();
            assertEquals("net.conv0.weight[8,2,3,3];net.conv0.bias[8];net.conv1.weight[8,8,3,3];net.conv1.bias[8];"
                    + "net.conv2.weight[13,8,3,3];net.conv2.bias[13]", p.layoutSignature());
        }
        assertArrayEquals(vals[0], vals[1]);
        assertTrue(Arrays.stream(vals[0]).allMatch(v -> v != 0 && Math.abs(v) < 1));
        Params p4 = new Params();
        Sequential.convNet(p4, "n", 4, 12, new int[] {8}, 4, 3, Backend.Act.TANH);
        assertEquals("n.conv0.weight[8,12,3,3,3,3];n.conv0.bias[8];n.conv1.weight[4,8,3,3,3,3];n.conv1.bias[4]", p4.layoutSignature());
    }

    @Test void adamMinimisesQuadraticAndClipsAndRestores() {
        Params p = new Params();
        p.add("x", 3);
        p.freeze(BE);
        double[] target = {1, -2, 0.5};
        Adam a = new Adam(p);
        for (int it = 0; it < 2000; it++) {
            double[] v = p.valuesToHost(), g = new double[3];
            for (int i = 0; i < 3; i++) g[i] = 2 * (v[i] - target[i]);
            BE.upload(g, 0, p.grads(), 0, 3);
            Adam.clipGradNorm(p, 1.0);
            assertTrue(p.gradNorm() <= 1.0 + 1e-12);
            a.step(LrSchedule.cosine(0.05, 2000, 0).lr(it));
        }
        for (int i = 0; i < 3; i++) assertEquals(target[i], p.valuesToHost()[i], 1e-3);
        // restore gives bit-identical continuation
        Params q = new Params(); q.add("x", 3); q.freeze(BE); q.setValues(p.valuesToHost());
        Adam b = new Adam(q); b.restore(a.mToHost(), a.vToHost(), a.t());
        for (Params pp : new Params[] {p, q}) BE.upload(new double[] {0.3, -0.1, 0.7}, 0, pp.grads(), 0, 3);
        a.step(1e-3); b.step(1e-3);
        assertArrayEquals(p.valuesToHost(), q.valuesToHost());
        // one step against the formula
        Params r = new Params(); r.add("x", 1); r.freeze(BE); r.setValues(new double[] {0.4});
        Adam c = new Adam(r, 0.9, 0.999, 1e-8, 0.01);
        BE.upload(new double[] {0.25}, 0, r.grads(), 0, 1);
        c.step(0.1);
        double m = 0.1 * 0.25, vv = 0.001 * 0.0625;
        double expect = 0.4 - 0.1 * ((m / 0.1) / (Math.sqrt(vv / 0.001) + 1e-8) + 0.01 * 0.4);
        assertEquals(expect, r.valuesToHost()[0], 1e-15);
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
