package org.mflowhpc.report;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.mflowhpc.observable.stats.Ess;
import org.mflowhpc.rng.RngStream;

/**
 * FlowWeights against observable.stats.Ess (the ESS at n = N and its bootstrap error are measure's numbers), its
 * histogram bookkeeping, the top-k shares of equal and of one dominant weight, and the ESS curve of a heavy-tailed
 * weight distribution (it falls with n: the small-sample ESS overstates).
 */
class FlowWeightsTest {
    static double[] gaussian(int n, double sigma, long seed) {
        RngStream r = new RngStream(seed, RngStream.Domain.TEST, 0, 0);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = 3.0 + sigma * r.gaussian();
        return v;
    }

    @Test void agreesWithEssAndKeepsTheBooks() {
        double[] lw = gaussian(3000, 0.5, 1);
        lw[7] = Double.NEGATIVE_INFINITY;
        FlowWeights f = new FlowWeights(lw, 40);
        Ess.Summary s = Ess.summary(lw, 200, 1);
        assertEquals(s.essFraction(), f.summary.essFraction(), 0.0);
        assertEquals(s.essError(), f.summary.essError(), 0.0);
        assertEquals(s.logZ(), f.summary.logZ(), 0.0);
        int last = f.curveN.length - 1;
        assertEquals(3000, f.curveN[last]);
        assertEquals(s.essFraction(), f.curveEss[last], 0.0);
        assertEquals(s.essError(), f.curveErr[last], 0.0);
        assertTrue(f.curveLo[last] <= f.curveEss[last] + 0.01 && f.curveHi[last] >= f.curveEss[last] - 0.01);
        for (int i = 1; i < f.curveN.length; i++) assertTrue(f.curveN[i] > f.curveN[i - 1]);
        double tot = 0;
        for (double c : f.counts) tot += c;
        assertEquals(2999, tot, 0.0, "every finite weight in one bin");
        assertEquals(1, f.zeroWeights);
        assertEquals(40, f.counts.length);
        double mn = Double.POSITIVE_INFINITY, mx = Double.NEGATIVE_INFINITY;
        for (double v : lw) if (v > Double.NEGATIVE_INFINITY) { mn = Math.min(mn, v - s.logZ()); mx = Math.max(mx, v - s.logZ()); }
        assertEquals(mn, f.binLo[0], 0.0);
        assertEquals(mx, f.binHi[39], 0.0);
        // normal reference has the sample's scale: its sum over bins is close to the count
        double nsum = 0;
        for (double v : f.normal) nsum += v;
        assertEquals(2999, nsum, 60);
        assertEquals(f.topShare[f.topShare.length - 1], 1.0, 1e-12);
    }

    @Test void topKShares() {
        double[] eq = new double[1000];
        FlowWeights f = new FlowWeights(eq, 10);
        for (int i = 0; i < f.topK.length; i++) assertEquals(f.topK[i] / 1000, f.topShare[i], 1e-12);
        assertEquals(0.01, f.topNamed.get("1%"), 1e-12);
        assertEquals(1.0, f.summary.essFraction(), 1e-12);
        double[] dom = new double[1000];
        dom[123] = 30; // one weight e^30 times the others
        FlowWeights g = new FlowWeights(dom, 10);
        assertEquals(1.0, g.topNamed.get("1"), 1e-9);
        assertEquals(1.0 / 1000, g.summary.essFraction(), 1e-6);
    }

    @Test void heavyTailsShowAsAFallingEssCurve() {
        // log w with a heavy right tail: rare huge weights; the ESS of small samples is far too high
        RngStream r = new RngStream(9, RngStream.Domain.TEST, 0, 0);
        double[] lw = new double[5000];
        for (int i = 0; i < lw.length; i++) lw[i] = -Math.log(r.uniform()) * 1.6; // exponential log w: Pareto weights
        FlowWeights f = new FlowWeights(lw, 60);
        assertTrue(f.curveEss[0] > 3 * f.curveEss[f.curveEss.length - 1], "ESS(10) " + f.curveEss[0] + " vs ESS(N) " + f.curveEss[f.curveEss.length - 1]);
        assertTrue(f.topNamed.get("1%") > 0.2, "top 1% holds " + f.topNamed.get("1%"));
    }

    @Test void geometricSizes() {
        List<Integer> g = FlowWeights.geometric(10, 4096, 24);
        assertEquals(10, g.get(0));
        assertEquals(4096, g.get(g.size() - 1));
        for (int i = 1; i < g.size(); i++) assertTrue(g.get(i) > g.get(i - 1));
        assertTrue(g.size() >= 20 && g.size() <= 25, g.toString());
        assertEquals(List.of(2), FlowWeights.geometric(2, 2, 24));
        assertEquals(List.of(1, 2, 3), FlowWeights.geometric(1, 3, 60));
        assertThrows(IllegalArgumentException.class, () -> new FlowWeights(new double[] {1}, 10));
        assertThrows(IllegalArgumentException.class, () -> new FlowWeights(new double[] {Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY}, 10));
    }
}
