package org.mflowhpc.flow;

import static org.mflowhpc.group.U1.wrap;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.flow.linkflow.CircleFlow;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.Activation;
import org.mflowhpc.nn.Params;
import org.mflowhpc.nn.Sequential;
import org.mflowhpc.rng.RngStream;

/**
 * Gauge-equivariant plaquette coupling layer for 2D U(1) (Kanwar et al. arXiv:2003.06413; tutorial
 * arXiv:2101.08176), stripe masks of period 4.
 *
 * <p>Geometry (mu = this layer's link direction, nu = 1 - mu, o = offset in 0..3; requires L_nu % 4 == 0).
 * P(x) = theta_0(x) + theta_1(x+0) - theta_0(x+1) - theta_1(x) is the plaquette at x. The active link theta_mu(x)
 * with x_nu = o (mod 4) enters P(x) with sign sigma = +1 (mu = 0) or -1 (mu = 1); P(x) with x_nu = o is ACTIVE
 * (contains exactly one active link), P with x_nu = o-1 is passive (changes as a consequence), P with
 * x_nu = o+1, o+2 (mod 4) are FROZEN (contain no active link).
 *
 * <p>Map: conditioner input = frozen plaquettes as 2 channels (cos P, sin P), zero elsewhere; a periodic CNN
 * (2 -> hidden -> flow.paramsPerElement(), kernel k; its last layer is evaluated only on the V/4 active sites)
 * gives raw circle-flow parameters per active site; on active sites
 * P' = f(P) and theta_mu(x) += sigma (f(P) - P) (wrapped to (-pi, pi]). Then P'(x) = f(P(x)) exactly and the
 * Jacobian is triangular: log J = sum_active log f'(P). Gauge invariance of log q follows because features and
 * updates depend only on plaquettes. Inverse: features from the (unchanged) frozen plaquettes, P = f^{-1}(P'),
 * theta -= sigma (P' - P).
 *
 * <p>Backward: dL/dP_active = sigma g (f'(P) - 1) + gLogJ (log f')' + the conditioner path
 * (dL/dfeatures -> dL/dP_frozen = -sin P g_cos + cos P g_sin); plaquette gradients are scattered to their four
 * links. Cost per layer and configuration: the CNN (2 * sum_l C_in C_out k^2 V flops forward, twice that
 * backward) plus V/4 circle-flow evaluations.
 */
public final class U1PlaquetteCoupling implements GaugeFlowLayer {
    private final Sequential net;
    private final CircleFlow flow;
    private final int mu, offset;

    public U1PlaquetteCoupling(Backend be, Params params, String name, int mu, int offset, CircleFlow flow,
                               int[] hidden, int kernel, Activation.Kind act) {
        if (mu != 0 && mu != 1) throw new IllegalArgumentException("mu must be 0 or 1");
        if (offset < 0 || offset > 3) throw new IllegalArgumentException("mask offset must be in 0..3");
        this.mu = mu; this.offset = offset; this.flow = flow;
        this.net = Sequential.convNet(be, params, name, 2, hidden, flow.paramsPerElement(), kernel, act);
    }

    public void init(RngStream rng) { net.init(rng); }
    public int mu() { return mu; }
    public int offset() { return offset; }
    public CircleFlow flow() { return flow; }

    private static final int FROZEN = 0, ACTIVE = 1, PASSIVE = 2;

    /** 0 frozen, 1 active, 2 passive, for the plaquette at site x. */
    private int role(Lattice lat, int x) {
        int nu = 1 - mu;
        int c = Math.floorMod(lat.coords(x)[nu] - offset, 4);
        return c == 0 ? ACTIVE : c == 3 ? PASSIVE : FROZEN;
    }

    private void check(GaugeField u) {
        if (u.group != Group.U1 || u.lattice.d != 2) throw new IllegalArgumentException("U1PlaquetteCoupling needs 2D U(1) fields");
        if (u.lattice.extent(1 - mu) % 4 != 0)
            throw new IllegalArgumentException("stripe masks need L" + (1 - mu) + " divisible by 4, lattice is " + u.lattice);
    }

    private static double plaq(GaugeField u, int b, int x) {
        Lattice lat = u.lattice;
        double[] f = u.data;
        return f[u.offset(b, 0, x)] + f[u.offset(b, 1, lat.up(0, x))] - f[u.offset(b, 0, lat.up(1, x))] - f[u.offset(b, 1, x)];
    }

    private static final class Tape {
        double[] p, raw; Object netCtx; int nb; Lattice lat; byte[] roles; int[] active;
    }

    private static int[] activeSites(byte[] roles) {
        int n = 0;
        for (byte r : roles) if (r == ACTIVE) n++;
        int[] a = new int[n];
        n = 0;
        for (int x = 0; x < roles.length; x++) if (roles[x] == ACTIVE) a[n++] = x;
        return a;
    }

    private byte[] roles(Lattice lat) {
        byte[] r = new byte[lat.volume];
        for (int x = 0; x < lat.volume; x++) r[x] = (byte) role(lat, x);
        return r;
    }

    /** Plaquette angles (unwrapped sums) and conditioner features of the frozen plaquettes. */
    private void features(GaugeField u, byte[] roles, double[] p, double[] feat) {
        int V = u.lattice.volume;
        for (int b = 0; b < u.batch; b++)
            for (int x = 0; x < V; x++) {
                double a = plaq(u, b, x);
                p[b * V + x] = a;
                if (roles[x] == FROZEN) {
                    feat[(2 * b) * V + x] = Math.cos(a);
                    feat[(2 * b + 1) * V + x] = Math.sin(a);
                }
            }
    }

    @Override public Object forward(GaugeField u, double[] logJ, boolean train) {
        check(u);
        Lattice lat = u.lattice;
        int V = lat.volume, nb = u.batch, C = flow.paramsPerElement();
        byte[] roles = roles(lat);
        int[] act = activeSites(roles);
        int M = act.length;
        double[] p = new double[nb * V], feat = new double[nb * 2 * V], raw = new double[nb * C * M];
        features(u, roles, p, feat);
        Object ctx = net.forwardAt(feat, nb, lat.extent(0), lat.extent(1), act, raw, train);
        double sigma = mu == 0 ? 1 : -1;
        double[] out = new double[2];
        for (int b = 0; b < nb; b++) {
            double lj = 0;
            for (int j = 0; j < M; j++) {
                int x = act[j];
                double a = p[b * V + x];
                flow.forward(a, raw, b * C * M + j, M, out);
                int o = u.offset(b, mu, x);
                u.data[o] = wrap(u.data[o] + sigma * (out[0] - a));
                lj += out[1];
            }
            logJ[b] += lj;
        }
        if (!train) return null;
        Tape t = new Tape();
        t.p = p; t.raw = raw; t.netCtx = ctx; t.nb = nb; t.lat = lat; t.roles = roles; t.active = act;
        return t;
    }

    @Override public void inverse(GaugeField u, double[] logJ) {
        check(u);
        Lattice lat = u.lattice;
        int V = lat.volume, nb = u.batch, C = flow.paramsPerElement();
        byte[] roles = roles(lat);
        int[] act = activeSites(roles);
        int M = act.length;
        double[] p = new double[nb * V], feat = new double[nb * 2 * V], raw = new double[nb * C * M];
        features(u, roles, p, feat);
        net.forwardAt(feat, nb, lat.extent(0), lat.extent(1), act, raw, false);
        double sigma = mu == 0 ? 1 : -1;
        double[] out = new double[2];
        for (int b = 0; b < nb; b++) {
            double lj = 0;
            for (int j = 0; j < M; j++) {
                int x = act[j];
                double a = p[b * V + x];
                flow.inverse(a, raw, b * C * M + j, M, out);
                int o = u.offset(b, mu, x);
                u.data[o] = wrap(u.data[o] - sigma * (a - out[0]));
                lj -= out[1];
            }
            logJ[b] += lj;
        }
    }

    @Override public void backward(Object tapeObj, double[] g, double[] gLogJ) {
        Tape t = (Tape) tapeObj;
        Lattice lat = t.lat;
        int V = lat.volume, nb = t.nb, C = flow.paramsPerElement(), d = 2;
        double sigma = mu == 0 ? 1 : -1;
        int M = t.active.length;
        double[] gP = new double[nb * V], gRaw = new double[nb * C * M];
        for (int b = 0; b < nb; b++)
            for (int j = 0; j < M; j++) {
                int x = t.active[j];
                double ga = sigma * g[(b * d + mu) * V + x];
                int off = b * C * M + j;
                gP[b * V + x] += flow.backward(t.p[b * V + x], t.raw, off, M, ga, gLogJ[b], gRaw, off, M) - ga;
            }
        double[] gFeat = new double[nb * 2 * V];
        net.backward(t.netCtx, gRaw, gFeat);
        for (int b = 0; b < nb; b++)
            for (int x = 0; x < V; x++) {
                if (t.roles[x] != FROZEN) continue;
                double a = t.p[b * V + x];
                gP[b * V + x] += -Math.sin(a) * gFeat[(2 * b) * V + x] + Math.cos(a) * gFeat[(2 * b + 1) * V + x];
            }
        // P(x) = th0(x) + th1(x+0) - th0(x+1) - th1(x)
        for (int b = 0; b < nb; b++)
            for (int x = 0; x < V; x++) {
                double gp = gP[b * V + x];
                if (gp == 0) continue;
                g[(b * d) * V + x] += gp;
                g[(b * d + 1) * V + lat.up(0, x)] += gp;
                g[(b * d) * V + lat.up(1, x)] -= gp;
                g[(b * d + 1) * V + x] -= gp;
            }
    }
}
