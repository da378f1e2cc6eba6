package org.mflowhpc.flow;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.rng.RngStream;
import org.mflowhpc.testutil.Backends;

/**
 * The flow-model contract, written once and run for every model family and theory (haar for U(1) and SU(3) in
 * d = 2, 3, 4; the 2D U(1) multiscale, multiscale+flow and exact models) and every backend: log q of a sample
 * recomputed by the inverse pass equals the log q returned with it, and is gauge invariant; samples and log q do
 * not depend on the thread count or the backend; the reverse-KL gradient of the parameters agrees with finite
 * differences at fixed random streams; the config rebuilds an identical model. Random, trained-looking parameters
 * (the initial networks scaled up), never zeros.
 */
class FlowModelContractTest {

    record Case(String name, String model, Group group, Lattice lat, double beta, Map<String, Object> opts) {
        @Override public String toString() { return name; }
    }

    static Map<String, Object> opts(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case("haar U1 2D", "haar", Group.U1, new Lattice(4, 4), 1.5, opts("layers", 4, "flow", "ncp3", "hidden", List.of(4))),
                new Case("haar U1 3D", "haar", Group.U1, new Lattice(4, 4, 2), 1.0, opts("layers", 4, "flow", "rqs4", "hidden", List.of(4))),
                new Case("haar U1 4D", "haar", Group.U1, new Lattice(4, 4, 2, 2), 1.0, opts("layers", 4, "flow", "ncp2", "hidden", List.of(4))),
                new Case("haar SU3 2D", "haar", Group.SU3, new Lattice(4, 4), 4.0, opts("layers", 2, "flow", "spectral2", "hidden", List.of(4))),
                new Case("haar SU3 4D", "haar", Group.SU3, new Lattice(4, 4, 2, 2), 3.0, opts("layers", 4, "flow", "spectral1", "hidden", List.of(4), "kernel", 1)),
                new Case("multiscale U1 2D", "multiscale", Group.U1, new Lattice(4, 4), 2.0, opts("hidden", List.of(4))),
                new Case("multiscale+flow U1 2D", "multiscale+flow", Group.U1, new Lattice(4, 4), 2.0, opts("hidden", List.of(4), "refine_layers", 2, "refine_hidden", List.of(4))),
                new Case("exact U1 2D", "exact", Group.U1, new Lattice(4, 4), 2.0, opts()),
                new Case("exact SU3 2D", "exact", Group.SU3, new Lattice(4, 4), 2.0, opts()),
                new Case("multiscale(staple) U1 2D", "multiscale", Group.U1, new Lattice(4, 4), 2.0,
                        opts("doubling", "staple", "coarse", 2, "hidden", List.of(4), "flow", "rqs3", "prior_layers", 2, "level_layers", 1, "refine_hidden", List.of(4))),
                new Case("multiscale(staple-centred) SU3 2D", "multiscale", Group.SU3, new Lattice(4, 4), 4.0,
                        opts("center", "staple", "hidden", List.of(4), "flow", "spectral1", "prior_layers", 1, "refine_hidden", List.of(4))),
                new Case("multiscale(midpoint,staple) SU3 2D", "multiscale", Group.SU3, new Lattice(4, 4), 4.0,
                        opts("frames", List.of("midpoint", "staple"), "hidden", List.of(4), "flow", "spectral1", "prior_layers", 1, "refine_hidden", List.of(4))),
                new Case("multiscale(base_start=mk) SU3 2D", "multiscale", Group.SU3, new Lattice(4, 4), 4.0,
                        opts("base_start", "mk", "frames", List.of("midpoint", "staple"), "hidden", List.of(4), "flow", "spectral1", "prior_layers", 1, "refine_hidden", List.of(4))),
                new Case("multiscale(backstaple,midpoint,staple) SU3 2D", "multiscale", Group.SU3, new Lattice(4, 4), 4.0,
                        opts("frames", List.of("backstaple", "midpoint", "staple"), "hidden", List.of(4), "flow", "spectral1", "prior_layers", 1, "refine_hidden", List.of(4))),
                new Case("multiscale(staple,backstaple) U1 3D", "multiscale", Group.U1, new Lattice(4, 2, 4), 1.0,
                        opts("frames", List.of("staple", "backstaple"), "hidden", List.of(4), "flow", "rqs2")),
                new Case("multiscale(midpoint,staple,midpoint) U1 3D", "multiscale", Group.U1, new Lattice(4, 2, 4), 1.0,
                        opts("frames", List.of("midpoint", "staple", "midpoint"), "hidden", List.of(4), "flow", "rqs2")),
                new Case("multiscale U1 3D", "multiscale", Group.U1, new Lattice(4, 2, 4), 1.0,
                        opts("coarse", 2, "hidden", List.of(4), "flow", "ncp2", "prior_layers", 1, "level_layers", 1, "refine_hidden", List.of(4))),
                new Case("multiscale+flow U1 4D", "multiscale+flow", Group.U1, new Lattice(4, 4, 2, 2), 1.0,
                        opts("hidden", List.of(4), "flow", "rqs2", "level_layers", 1, "refine_layers", 2, "refine_hidden", List.of(4))),
                new Case("multiscale SU3 2D", "multiscale", Group.SU3, new Lattice(4, 4), 4.0,
                        opts("hidden", List.of(4), "flow", "spectral1", "prior_layers", 1, "level_layers", 1, "refine_hidden", List.of(4))),
                new Case("multiscale+flow SU3 4D", "multiscale+flow", Group.SU3, new Lattice(4, 2, 2, 2), 3.0,
                        opts("hidden", List.of(4), "flow", "spectral1", "prior_layers", 1, "refine_layers", 1, "refine_hidden", List.of(4))),
                new Case("multiscale(level_masks=slice) SU3 4D", "multiscale", Group.SU3, new Lattice(4, 2, 2, 2), 3.0,
                        opts("hidden", List.of(4), "flow", "spectral1", "prior_layers", 1, "level_layers", 3, "level_masks", "slice", "level_flow", "spectral1", "refine_hidden", List.of(4))),
                new Case("multiscale(level_masks=slice) U1 3D", "multiscale", Group.U1, new Lattice(4, 2, 4), 1.0,
                        opts("coarse", 2, "hidden", List.of(4), "flow", "rqs2", "prior_layers", 1, "level_layers", 4, "level_masks", "slice", "refine_hidden", List.of(4))));
    }

    static FlowModel build(Case c, Backend be) {
        FlowModel m = Models.create(c.model, be, c.group, c.lat, c.beta, c.opts, 5);
        double[] v = m.params().valuesToHost();
        RngStream r = new RngStream(9, RngStream.Domain.TEST, 0, 0);
        for (int i = 0; i < v.length; i++) v[i] = 2 * v[i] + 0.05 * r.gaussian(); // away from the identity / zero-init
        if (v.length > 0) m.params().setValues(v);
        return m;
    }

    static Stream<Object[]> casesAndBackends() {
        return cases().flatMap(c -> Backends.all().stream().map(be -> new Object[] {c, be}));
    }

    @ParameterizedTest(name = "{0} on {1}") @MethodSource("casesAndBackends")
    void logDensityReproducesLogQAndIsGaugeInvariant(Case c, Backend be) {
        FlowModel m = build(c, be);
        int nb = 3;
        GaugeField u = new GaugeField(be, c.group, c.lat, nb);
        Buffer lq = be.alloc(nb), lq2 = be.alloc(nb), lq3 = be.alloc(nb);
        m.sample(11, 2, u, lq);
        double[] q = be.download(lq);
        for (double x : q) assertTrue(Double.isFinite(x));
        m.logDensity(u, lq2);
        assertArrayEquals(q, be.download(lq2), 1e-9, "log q by the inverse pass");
        GaugeField v = u.copy();
        be.randomGauge(v, RngStream.Domain.TEST, 4, 0);
        m.logDensity(v, lq3);
        assertArrayEquals(q, be.download(lq3), 1e-9, "log q is gauge invariant");
        if (c.group == Group.U1) for (double a : u.toHost()) assertTrue(a > -Math.PI && a <= Math.PI);
    }

    @ParameterizedTest(name = "{0} on {1}") @MethodSource("casesAndBackends")
    void samplesDoNotDependOnThreadsOrBackend(Case c, Backend be) {
        FlowModel m = build(c, be), ref = build(c, Backends.REFERENCE);
        GaugeField u = new GaugeField(be, c.group, c.lat, 2), w = new GaugeField(Backends.REFERENCE, c.group, c.lat, 2);
        Buffer lq = be.alloc(2), lqr = Backends.REFERENCE.alloc(2);
        ref.sample(3, 7, w, lqr);
        // twice, each inside a scope: a model keeps no buffer it allocated during sample (scoped backends recycle them)
        for (int rep = 0; rep < 2; rep++) {
            try (Backend.Scope s = be.scope()) { m.sample(3, 7, u, lq); }
            assertArrayEquals(w.toHost(), u.toHost(), 1e-12);
            assertArrayEquals(Backends.REFERENCE.download(lqr), be.download(lq), 1e-10);
        }
    }

    static double loss(FlowModel m, Backend be, Case c, int nb) {
        GaugeField u = new GaugeField(be, c.group, c.lat, nb);
        Buffer lq = be.alloc(nb), s = be.alloc(nb);
        try (Backend.Scope sc = be.scope()) { m.sample(13, 1, u, lq); }
        be.action(u, c.beta, s, 0);
        return (be.sum(lq, 0, nb) + be.sum(s, 0, nb)) / nb;
    }

    @ParameterizedTest(name = "{0} on {1}") @MethodSource("casesAndBackends")
    void reverseKlGradientMatchesFiniteDifferences(Case c, Backend be) {
        FlowModel m = build(c, be);
        if (m.params().size() == 0) return; // the exact model has no parameters
        int nb = 2;
        GaugeField u = new GaugeField(be, c.group, c.lat, nb);
        Buffer lq = be.alloc(nb), gl = be.alloc(u.size()), glq = be.alloc(nb);
        m.params().zeroGrads();
        try (Backend.Scope sc = be.scope()) { // a training step's temporaries, as in Trainer
            Object tape = m.sampleForTraining(13, 1, u, lq);
            be.actionGradient(u, c.beta, gl);
            be.scale(gl, 0, u.size(), 1.0 / nb);
            be.fill(glq, 0, nb, 1.0 / nb);
            m.backward(tape, u, gl, glq);
        }
        double[] g = m.params().gradsToHost(), v = m.params().valuesToHost();
        double h = 1e-6, gmax = 0;
        for (double x : g) gmax = Math.max(gmax, Math.abs(x));
        assertTrue(gmax > 1e-6, "gradient is not identically zero");
        int checked = 0;
        for (int i = 0; i < v.length && checked < 20; i += Math.max(1, v.length / 20), checked++) {
            double s0 = v[i];
            v[i] = s0 + h; m.params().setValues(v); double lp = loss(m, be, c, nb);
            v[i] = s0 - h; m.params().setValues(v); double lm = loss(m, be, c, nb);
            v[i] = s0; m.params().setValues(v);
            assertEquals((lp - lm) / (2 * h), g[i], 1e-5 * (1 + Math.abs(g[i])) + 1e-7, c + ": dloss/dparam[" + i + "]");
        }
    }

    @ParameterizedTest(name = "{0}") @MethodSource("cases")
    void configRebuildsAnIdenticalModel(Case c) {
        Backend be = Backends.REFERENCE;
        FlowModel m = Models.create(c.model, be, c.group, c.lat, c.beta, c.opts, 5);
        FlowModel m2 = Models.create(m.kind(), be, c.group, c.lat, c.beta, m.config(), 5);
        assertEquals(m.kind(), m2.kind());
        assertEquals(m.params().layoutSignature(), m2.params().layoutSignature());
        assertArrayEquals(m.params().valuesToHost(), m2.params().valuesToHost());
    }

    @Test void haarLogQMatchesNumericalJacobianOfWholeMap() {
        CpuBackend be = Backends.REFERENCE;
        Lattice lat = new Lattice(4, 4);
        for (String flow : new String[] {"ncp4", "rqs5"}) {
            HaarFlowModel m = (HaarFlowModel) build(new Case("", "haar", Group.U1, lat, 1, opts("layers", 6, "flow", flow, "hidden", List.of(4))), be);
            double[] v = m.params().valuesToHost();
            for (int i = 0; i < v.length; i++) v[i] *= 1.25; // far from the identity, smooth enough for differences
            m.params().setValues(v);
            int n = 2 * lat.volume;
            GaugeField prior = new GaugeField(be, Group.U1, lat, 1);
            be.haarLinks(prior, RngStream.Domain.FLOW_PRIOR, 3, 0);
            Buffer lq = be.alloc(1);
            m.sample(3, 0, new GaugeField(be, Group.U1, lat, 1), lq);
            double[] p0 = prior.toHost();
            double[][] jac = new double[n][n];
            double h = 1e-6;
            for (int j = 0; j < n; j++) {
                double[] a = p0.clone(), b = p0.clone();
                a[j] += h; b[j] -= h;
                GaugeField p = GaugeField.fromHost(be, Group.U1, lat, 1, a), q = GaugeField.fromHost(be, Group.U1, lat, 1, b);
                Buffer lj = be.alloc(1);
                for (CouplingLayer l : m.layers()) { l.forward(p, lj, false); l.forward(q, lj, false); }
                double[] ph = p.toHost(), qh = q.toHost();
                for (int i = 0; i < n; i++) jac[i][j] = Math.IEEEremainder(ph[i] - qh[i], 2 * Math.PI) / (2 * h);
            }
            double logDet = Math.log(Math.abs(CouplingLayerContractTest.det(jac)));
            double lq0 = be.download(lq)[0];
            GaugeField moved = GaugeField.fromHost(be, Group.U1, lat, 1, p0);
            for (CouplingLayer l : m.layers()) l.forward(moved, be.alloc(1), false);
            assertTrue(CouplingLayerContractTest.linkDistance(Group.U1, p0, moved.toHost()) > 0.3, "the flow is far from the identity");
            assertTrue(lq0 != 0);
            assertEquals(-lq0, logDet, 1e-6, flow + ": log|det J| of prior->sample map vs -log q");
        }
    }

    @ParameterizedTest(name = "{0}") @MethodSource("cases")
    void degenerateLinksGiveFiniteDensitiesAndGradients(Case c) {
        // cold (every link the identity: W = 1, fully degenerate eigenvalues for SU(3)) and a field with one link set
        // to the identity: log q finite, and the training gradient finite
        Backend be = Backends.REFERENCE;
        FlowModel m = build(c, be);
        GaugeField cold = GaugeField.identity(be, c.group, c.lat, 2);
        Buffer lq = be.alloc(2);
        m.logDensity(cold, lq);
        for (double x : be.download(lq)) assertTrue(Double.isFinite(x), c + ": log q of the cold field " + x);
        GaugeField u = new GaugeField(be, c.group, c.lat, 2);
        Object tape = m.sampleForTraining(3, 0, u, lq);
        double[] h = u.toHost();
        if (c.group == Group.SU3) { java.util.Arrays.fill(h, 0, 18, 0); h[0] = 1; h[8] = 1; h[16] = 1; } else h[0] = 0;
        GaugeField one = GaugeField.fromHost(be, c.group, c.lat, 2, h);
        m.logDensity(one, lq);
        for (double x : be.download(lq)) assertTrue(Double.isFinite(x), c + ": log q with an identity link " + x);
        if (m.params().size() == 0) return;
        Buffer gl = be.alloc(u.size()), glq = be.alloc(2);
        be.actionGradient(u, c.beta, gl);
        be.fill(glq, 0, 2, 0.5);
        m.params().zeroGrads();
        m.backward(tape, u, gl, glq);
        assertTrue(Double.isFinite(m.params().gradNorm()), c + ": gradient norm");
    }

    @Test void badConfigurationsAreRefusedWithOneLineMessages() {
        Backend be = Backends.REFERENCE;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Models.create("haar", be, Group.U1, new Lattice(6, 8), 1, Map.of(), 0));
        assertTrue(e.getMessage().contains("divisible by 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Models.create("haar", be, Group.U1, new Lattice(8, 8), 1, Map.of("lyers", 3), 0));
        assertTrue(e.getMessage().contains("lyers"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Models.create("haar", be, Group.U1, new Lattice(8, 8), 1, Map.of("hidden", "abc"), 0));
        assertTrue(e.getMessage().contains("hidden"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Models.create("haar", be, Group.SU3, new Lattice(8, 8), 1, Map.of("flow", "ncp4"), 0));
        assertTrue(e.getMessage().contains("ncp4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Models.create("haar", be, Group.SU3, new Lattice(4, 4, 4, 6), 1, Map.of("layers", 40), 0));
        assertTrue(e.getMessage().contains("divisible by 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Models.create("exact", be, Group.SU3, new Lattice(8, 8), 8, Map.of(), 0));
        assertTrue(e.getMessage().contains("rejection draws"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Models.create("exact", be, Group.SU3, new Lattice(4, 4, 4), 1, Map.of(), 0));
        assertTrue(e.getMessage().contains("2D only"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Models.create("multiscale", be, Group.SU3, new Lattice(12, 8), 1, Map.of(), 0));
        assertTrue(e.getMessage().contains("cannot be built by doubling"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Models.create("multiscale", be, Group.U1, new Lattice(8, 8, 8), 1, Map.of("flow", "spectral2"), 0));
        assertTrue(e.getMessage().contains("spectral2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Models.create("multiscale", be, Group.SU3, new Lattice(8, 8), 1, Map.of("frames", List.of("midpoint", "plaquette")), 0));
        assertTrue(e.getMessage().contains("plaquette") && !e.getMessage().contains("\n"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Models.create("multiscale", be, Group.SU3, new Lattice(8, 8), 1,
                Map.of("center", "midpoint", "frames", List.of("staple", "midpoint")), 0));
        assertTrue(e.getMessage().contains("contradicts"), e.getMessage());
        assertEquals(16, ((HaarFlowModel) Models.create("haar", be, Group.U1, new Lattice(8, 8), 1, Map.of(), 0)).layers().size());
    }
}
