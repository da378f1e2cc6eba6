package org.mflowhpc.backend.host;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.Index;
import org.mflowhpc.backend.LinkFlow;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.rng.Philox;
import org.mflowhpc.rng.RngStream;
import org.mflowhpc.testutil.Fields;

/**
 * Every op of the seam on the host backend against the float64 CPU reference (single-threaded CpuBackend), on fresh
 * random inputs each run (seed printed on failure; replay with -Dmflow.test.seed=S), for 1 and 2 OpenMP threads.
 *
 * <p>Tolerances, by what the arithmetic of the op is (see HostBackend's class comment):
 * <ul>
 *   <li>{@link #BITWISE}: only +, -, *, /, sqrt, IEEE remainder (both sides evaluate the same expressions in the same
 *       order without FMA): identical doubles (doubleToLongBits);
 *   <li>{@link #LIBM}: one layer of transcendentals (sin, cos, exp, log, atan2, tanh from the C library vs Java's
 *       Math, each within an ulp): |host - cpu| <= LIBM (1 + |cpu|);
 *   <li>{@link #CHAIN}: compositions of many transcendental steps and iterations (link flows, spectral
 *       eigen-decomposition, heatbath draws): |host - cpu| <= CHAIN (1 + |cpu|).
 * </ul>
 * Results for 1 and 2 threads are required to be bit-identical to each other for every op.
 */
class HostBackendTest {
    static final double BITWISE = 0.0, LIBM = 1e-14, CHAIN = 1e-11;
    static final long SEED = Fields.freshSeed();
    static final CpuBackend REF = new CpuBackend(1);

    @BeforeAll static void library() {
        java.util.Properties bp = HostLibrary.buildProperties();
        if ("built".equals(bp.getProperty("host")))
            assertTrue(HostLibrary.status().available(), "the host library was built but does not load: " + HostLibrary.status().detail());
        assumeTrue(HostBackend.available(), "host library absent: " + HostLibrary.status().detail());
    }

    static Stream<Arguments> threads() { return Stream.of(Arguments.of(1), Arguments.of(2)); }

    static String ctx(String what) { return what + " seed=" + SEED; }

    /** Asserts ref and got agree within tol (0 = bit for bit). */
    static void same(String what, double[] ref, double[] got, double tol) {
        assertEquals(ref.length, got.length, ctx(what) + ": length");
        for (int i = 0; i < ref.length; i++) {
            if (tol == 0) {
                if (Double.doubleToLongBits(ref[i]) != Double.doubleToLongBits(got[i]))
                    fail(ctx(what) + ": element " + i + " differs: cpu " + ref[i] + " host " + got[i]);
            } else if (!(ref[i] == got[i]) && !(Math.abs(ref[i] - got[i]) <= tol * (1 + Math.abs(ref[i])))
                    && !(Double.isNaN(ref[i]) && Double.isNaN(got[i]))) { // equal infinities agree
                fail(ctx(what) + ": element " + i + " differs beyond " + tol + ": cpu " + ref[i] + " host " + got[i]);
            }
        }
    }

    /** count Haar-random SU(3) matrices, 18 doubles each. */
    static double[] su3s(int count, long seed) {
        double[] h = Fields.haarHost(Group.SU3, new Lattice(2, 2), (count + 7) / 8, seed);
        return java.util.Arrays.copyOf(h, 18 * count);
    }

    static double[] gaussians(int n, long seed) {
        RngStream r = new RngStream(seed, RngStream.Domain.TEST, 3, 0);
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = r.gaussian();
        return a;
    }

    /** The same host data on the reference and on the host backend. */
    record Pair(GaugeField ref, GaugeField host) {}

    static Pair haar(HostBackend be, Group g, Lattice lat, int batch, long seed) {
        double[] h = Fields.haarHost(g, lat, batch, seed);
        return new Pair(GaugeField.fromHost(REF, g, lat, batch, h), GaugeField.fromHost(be, g, lat, batch, h));
    }

    /** Runs op on both backends with an output of n doubles (initialised to init) and compares. */
    static void out(String what, HostBackend be, int n, double[] init, double tol, BiConsumer<Backend, Buffer> op) {
        Buffer r = init == null ? REF.alloc(n) : REF.upload(init), h = init == null ? be.alloc(n) : be.upload(init);
        op.accept(REF, r);
        op.accept(be, h);
        same(what, REF.download(r), be.download(h), tol);
    }

    static final Lattice[] LATTICES = {new Lattice(6, 4), new Lattice(4, 2, 4), new Lattice(4, 4, 2, 4)};

    static Stream<Arguments> groupsAndLattices() {
        List<Arguments> a = new ArrayList<>();
        for (int t = 1; t <= 2; t++)
            for (Group g : Group.values())
                for (Lattice l : LATTICES) a.add(Arguments.of(t, g, l));
        return a.stream();
    }

    // ------------------------------------------------------------------ library, memory, Philox

    @Test void buildInfoNamesVersionAndVariant() {
        var info = HostLibrary.buildInfo();
        assertTrue(info.containsKey("version") && info.containsKey("compiler") && info.containsKey("simd"), info.toString());
        assertEquals(HostLibrary.status().variant(), info.get("variant"));
    }

    @ParameterizedTest @MethodSource("threads")
    void memoryOpsRoundTripBitForBit(int t) {
        HostBackend be = new HostBackend(t);
        double[] a = gaussians(1000, SEED);
        a[3] = -0.0; a[5] = Double.NaN; a[7] = Double.POSITIVE_INFINITY;
        Buffer b = be.upload(a);
        same("upload/download", a, be.download(b), BITWISE);
        double[] part = new double[10];
        be.download(b, 100, part, 0, 10);
        same("partial download", java.util.Arrays.copyOfRange(a, 100, 110), part, BITWISE);
        be.copy(b, 0, b, 10, 500); // overlapping, like System.arraycopy
        double[] ref = a.clone();
        System.arraycopy(ref, 0, ref, 10, 500);
        same("overlapping copy", ref, be.download(b), BITWISE);
        be.fill(b, 20, 30, 2.5);
        java.util.Arrays.fill(ref, 20, 50, 2.5);
        same("fill", ref, be.download(b), BITWISE);
        Buffer z = be.alloc(77);
        same("alloc is zero", new double[77], be.download(z), BITWISE);
    }

    @Test void badRangesAndForeignBuffersAreRejected() {
        HostBackend be = new HostBackend(1);
        Buffer b = be.alloc(10);
        assertThrows(IllegalArgumentException.class, () -> be.copy(b, 5, b, 0, 6));
        assertThrows(IllegalArgumentException.class, () -> be.fill(b, -1, 2, 0));
        assertThrows(IllegalArgumentException.class, () -> be.sum(REF.alloc(10), 0, 10));
        assertThrows(IllegalArgumentException.class, () -> be.upload(new double[3], 0, b, 8, 3));
        GaugeField u = new GaugeField(be, Group.U1, new Lattice(4, 4), 1);
        assertThrows(IllegalArgumentException.class, () -> be.plaquettes(u, be.alloc(5)));
        assertThrows(IllegalArgumentException.class, () -> be.gatherActive(u, 0, 1, be.index(new int[] {0, 16}), be.alloc(2)));
        assertThrows(IllegalArgumentException.class, () -> be.staples(u, 2, be.alloc(32)));
        assertThrows(IllegalArgumentException.class, () -> be.linkFlowForward(LinkFlow.ncp(33), 1, 1, be.alloc(1), be.alloc(67), 0, 67, be.alloc(1), be.alloc(1)));
    }

    @Test void scopesRecycleTemporariesAndRejectUseAfterClose() {
        HostBackend be = new HostBackend(2);
        Buffer outer = be.alloc(1000);
        Buffer inner, nested;
        try (Backend.Scope s = be.scope()) {
            inner = be.alloc(1000);
            be.fill(inner, 0, 1000, 3.5);
            try (Backend.Scope t = be.scope()) {
                nested = be.alloc(7);
                be.fill(nested, 0, 7, 1.0);
            }
            assertThrows(IllegalStateException.class, () -> be.sum(nested, 0, 7), "nested scope closed");
            assertEquals(3500.0, be.sum(inner, 0, 1000), "the outer scope's buffer lives until its scope closes");
        }
        assertThrows(IllegalStateException.class, () -> be.fill(inner, 0, 1, 0.0));
        assertEquals(8L * (1000 + 7), be.pooledBytes());
        Buffer again = be.alloc(1000); // the recycled memory, zero-filled
        assertEquals(8L * 7, be.pooledBytes());
        assertEquals(0.0, be.maxAbs(again, 0, 1000));
        be.fill(outer, 0, 1000, 2.0);
        assertEquals(2000.0, be.sum(outer, 0, 1000), "a buffer allocated outside every scope is never released");
    }

    @Test void philoxKnownAnswersAndStreamsEqualJava() {
        int[] o = new int[4];
        HostNative.philox(new int[] {0, 0, 0, 0}, new int[] {0, 0}, o);
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, o);
        HostNative.philox(new int[] {-1, -1, -1, -1}, new int[] {-1, -1}, o);
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}, o);
        HostNative.philox(new int[] {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, new int[] {0xa4093822, 0x299f31d0}, o);
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}, o);
        java.util.Random r = new java.util.Random(SEED);
        int[] j = new int[4];
        for (int i = 0; i < 200; i++) {
            int[] c = {r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt()}, k = {r.nextInt(), r.nextInt()};
            HostNative.philox(c, k, o);
            Philox.block(c[0], c[1], c[2], c[3], k[0], k[1], j, 0);
            assertArrayEquals(j, o, ctx("philox block"));
        }
        // streams: (seed, domain, step, site) with 64-bit step and site (the high words enter c3)
        long[][] addr = {{SEED, 2, 7, 3}, {-1L, 99, 1L << 40, (1L << 35) + 5}, {r.nextLong(), 8, r.nextLong(), r.nextLong()}};
        int n = 101;
        for (long[] a : addr) {
            double[] h = new double[n], ref = new double[n];
            for (int kind = 0; kind < 4; kind++) {
                HostNative.stream(a[0], (int) a[1], a[2], a[3], kind, n, h);
                RngStream s = new RngStream(a[0], (int) a[1], a[2], a[3]);
                for (int i = 0; i < n; i++)
                    ref[i] = kind == 0 ? s.uniform() : kind == 1 ? s.gaussian() : kind == 2 ? s.angle() : s.nextInt();
                // words, uniforms and angles are exact arithmetic on the words; gaussians use log, sqrt, sin, cos
                same("stream kind " + kind, ref, h, kind == 1 ? LIBM : BITWISE);
            }
        }
    }

    // ------------------------------------------------------------------ gauge ops

    @ParameterizedTest @MethodSource("groupsAndLattices")
    void plaquettesActionAndStaples(int t, Group g, Lattice lat) {
        HostBackend be = new HostBackend(t);
        Pair p = haar(be, g, lat, 3, SEED + 1);
        boolean u1 = g == Group.U1;
        int V = lat.volume, np = lat.planes();
        out("plaquettes " + g + " " + lat, be, 3 * np * V, null, u1 ? LIBM : BITWISE, (b, o) -> b.plaquettes(field(b, p), o));
        if (u1) out("plaquetteAngles " + lat, be, 3 * np * V, null, BITWISE, (b, o) -> b.plaquetteAngles(field(b, p), o));
        out("action " + g + " " + lat, be, 5, null, u1 ? LIBM : BITWISE, (b, o) -> b.action(field(b, p), 1.7, o, 2));
        out("meanPlaquette " + g + " " + lat, be, 4, null, u1 ? LIBM : BITWISE, (b, o) -> b.meanPlaquette(field(b, p), o, 1));
        for (int mu = 0; mu < lat.d; mu++) {
            int m = mu;
            out("staples " + g + " " + lat + " mu=" + mu, be, (u1 ? 2 : 18) * 3 * V, null, u1 ? LIBM : BITWISE,
                    (b, o) -> b.staples(field(b, p), m, o));
        }
        out("force " + g + " " + lat, be, p.ref.size(), null, u1 ? LIBM : BITWISE, (b, o) -> b.force(field(b, p), 2.3, o));
        out("actionGradient " + g + " " + lat, be, p.ref.size(), null, u1 ? LIBM : BITWISE, (b, o) -> b.actionGradient(field(b, p), 2.3, o));
    }

    static GaugeField field(Backend b, Pair p) { return b == REF ? p.ref : p.host; }

    @ParameterizedTest @MethodSource("groupsAndLattices")
    void gaugeTransformsHaarLinksAndRandomGauge(int t, Group g, Lattice lat) {
        HostBackend be = new HostBackend(t);
        Pair p = haar(be, g, lat, 2, SEED + 2);
        double[] om = Fields.gauge(g, lat, 2, SEED + 3);
        REF.gaugeTransform(p.ref, REF.upload(om));
        be.gaugeTransform(p.host, be.upload(om));
        same("gaugeTransform " + g + " " + lat, p.ref.toHost(), p.host.toHost(), BITWISE);
        // Haar links: U(1) angles are exact functions of the Philox words; SU(3) goes through gaussians
        GaugeField a = new GaugeField(REF, g, lat, 2), h = new GaugeField(be, g, lat, 2);
        REF.haarLinks(a, RngStream.Domain.FLOW_PRIOR, SEED, 5);
        be.haarLinks(h, RngStream.Domain.FLOW_PRIOR, SEED, 5);
        same("haarLinks " + g + " " + lat, a.toHost(), h.toHost(), g == Group.U1 ? BITWISE : LIBM);
        REF.randomGauge(a, RngStream.Domain.GAUGE, SEED + 1, 2);
        be.randomGauge(h, RngStream.Domain.GAUGE, SEED + 1, 2);
        same("randomGauge " + g + " " + lat, a.toHost(), h.toHost(), g == Group.U1 ? BITWISE : 10 * LIBM);
    }

    // ------------------------------------------------------------------ updates

    @ParameterizedTest @MethodSource("groupsAndLattices")
    void heatbathOverrelaxAndHmcPieces(int t, Group g, Lattice lat) {
        HostBackend be = new HostBackend(t);
        Pair p = haar(be, g, lat, 2, SEED + 4);
        REF.heatbath(p.ref, 2.2, SEED, 3);
        be.heatbath(p.host, 2.2, SEED, 3);
        same("heatbath " + g + " " + lat, p.ref.toHost(), p.host.toHost(), CHAIN);
        Pair q = haar(be, g, lat, 2, SEED + 5);
        REF.overrelax(q.ref, 2.2, SEED, 0);
        be.overrelax(q.host, 2.2, SEED, 0);
        // U(1): a chain within the sweep (later staples contain updated links; arg A amplifies by 1/|A|)
        same("overrelax " + g + " " + lat, q.ref.toHost(), q.host.toHost(), g == Group.U1 ? CHAIN : BITWISE);
        int n = 2 * lat.d * lat.volume * g.dof;
        out("drawMomenta " + g + " " + lat, be, n, null, LIBM, (b, o) -> b.drawMomenta(g, lat, 2, RngStream.Domain.HMC_MOMENTA, SEED, 9, o));
        double[] mom = new double[n];
        Buffer pr = REF.alloc(n);
        REF.drawMomenta(g, lat, 2, RngStream.Domain.HMC_MOMENTA, SEED, 9, pr);
        REF.download(pr, 0, mom, 0, n);
        out("kineticEnergy " + g + " " + lat, be, 3, null, BITWISE, (b, o) -> b.kineticEnergy(g, lat, 2, b.upload(mom), o, 1));
        Pair r = haar(be, g, lat, 2, SEED + 6);
        REF.updateLinks(r.ref, REF.upload(mom), 0.137);
        be.updateLinks(r.host, be.upload(mom), 0.137);
        same("updateLinks " + g + " " + lat, r.ref.toHost(), r.host.toHost(), BITWISE);
        // reunitarise a perturbed field
        double[] h = r.ref.toHost(), noise = gaussians(h.length, SEED + 7);
        for (int i = 0; i < h.length; i++) h[i] += (g == Group.U1 ? 3.0 : 1e-3) * noise[i];
        GaugeField a = GaugeField.fromHost(REF, g, lat, 2, h), b = GaugeField.fromHost(be, g, lat, 2, h);
        REF.reunitarize(a);
        be.reunitarize(b);
        same("reunitarize " + g + " " + lat, a.toHost(), b.toHost(), BITWISE);
    }

    // ------------------------------------------------------------------ coupling layers

    @ParameterizedTest @MethodSource("groupsAndLattices")
    void loopFeaturesGatherScatterAndBackward(int t, Group g, Lattice lat) {
        HostBackend be = new HostBackend(t);
        boolean u1 = g == Group.U1;
        int V = lat.volume, np = lat.planes(), nb = 2, dof = g.dof;
        Pair p = haar(be, g, lat, nb, SEED + 8);
        java.util.Random rnd = new java.util.Random(SEED);
        int[] frozen = new int[np * V];
        for (int i = 0; i < frozen.length; i++) frozen[i] = rnd.nextInt(3) == 0 ? 0 : 1;
        Index fr = REF.index(frozen), fh = be.index(frozen);
        Function<Backend, Index> fz = b -> b == REF ? fr : fh;
        out("loopFeatures " + g + " " + lat, be, nb * 2 * np * V, null, u1 ? LIBM : BITWISE, (b, o) -> b.loopFeatures(field(b, p), fz.apply(b), o));
        double[] gFeat = gaussians(nb * 2 * np * V, SEED + 9), gl0 = gaussians(p.ref.size(), SEED + 10);
        for (int i = 0; i < gFeat.length; i += 7) gFeat[i] = 0; // includes (0, 0) pairs that are skipped
        out("loopFeaturesBackward " + g + " " + lat, be, p.ref.size(), gl0, u1 ? LIBM : BITWISE,
                (b, o) -> b.loopFeaturesBackward(field(b, p), fz.apply(b), b.upload(gFeat), o));
        // active links of direction mu with partner nu on the slice x_nu = 1 (mod 4) or 1 (mod 2)
        int mu = lat.d - 1, nu = 0;
        List<Integer> list = new ArrayList<>();
        for (int x = 0; x < V; x++) if (lat.coords(x)[nu] % 2 == 1 && lat.coords(x)[mu] % 2 == 0) list.add(x);
        int[] sites = list.stream().mapToInt(Integer::intValue).toArray();
        int M = sites.length, n = nb * M;
        Index sr = REF.index(sites), sh = be.index(sites);
        Function<Backend, Index> st = b -> b == REF ? sr : sh;
        for (int side : new int[] {nu, ~nu}) { // the staple on the +nu side, then (nu = ~n) on the -nu side
            final int pn = side;
            String tag = side < 0 ? " backward staple" : "";
            out("gatherActive " + g + " " + lat + tag, be, n * dof, null, BITWISE, (b, o) -> b.gatherActive(field(b, p), mu, pn, st.apply(b), o));
            double[] w = u1 ? gaussians(n, SEED + 11) : su3s(n, SEED + 11);
            Pair q = haar(be, g, lat, nb, SEED + 12);
            REF.scatterActive(q.ref, mu, pn, sr, REF.upload(w));
            be.scatterActive(q.host, mu, pn, sh, be.upload(w));
            same("scatterActive " + g + " " + lat + tag, q.ref.toHost(), q.host.toHost(), BITWISE);
            double[] gW = gaussians(n * dof, SEED + 13);
            out("scatterActiveBackward gLinks " + g + " " + lat + tag, be, q.ref.size(), gl0, BITWISE,
                    (b, o) -> b.scatterActiveBackward(field(b, q), mu, pn, st.apply(b), b.upload(w), o, b.alloc(n * dof)));
            out("scatterActiveBackward gW " + g + " " + lat + tag, be, n * dof, null, BITWISE,
                    (b, o) -> b.scatterActiveBackward(field(b, q), mu, pn, st.apply(b), b.upload(w), b.upload(gl0), o));
            out("gatherActiveBackward " + g + " " + lat + tag, be, q.ref.size(), gl0, BITWISE,
                    (b, o) -> b.gatherActiveBackward(field(b, q), mu, pn, st.apply(b), b.upload(w), b.upload(gW), o));
        }
    }

    // ------------------------------------------------------------------ link flows

    static Stream<Arguments> flows() {
        List<Arguments> a = new ArrayList<>();
        for (int t = 1; t <= 2; t++)
            for (LinkFlow f : new LinkFlow[] {LinkFlow.ncp(1), LinkFlow.ncp(4), LinkFlow.rqs(2), LinkFlow.rqs(7), LinkFlow.spectral(1), LinkFlow.spectral(3)})
                a.add(Arguments.of(t, f));
        return a.stream();
    }

    @ParameterizedTest @MethodSource("flows")
    void linkFlowsForwardInverseBackward(int t, LinkFlow f) {
        HostBackend be = new HostBackend(t);
        int nb = 3, m = 7, n = nb * m, P = f.paramsPerElement(), rB = P * m + 3, rOff = 5, dof = f.isU1() ? 1 : 18;
        double[] raw = gaussians(rOff + nb * rB, SEED + 20);
        for (int i = 0; i < raw.length; i++) raw[i] *= 0.8;
        double[] w;
        if (f.isU1()) {
            w = gaussians(n, SEED + 21);
            for (int i = 0; i < n; i++) w[i] *= 2.5; // lifts beyond (-pi, pi] too
        } else {
            w = su3s(n, SEED + 21);
            SU3.setIdentity(w, 0); // a degenerate element (the identity)
        }
        double[] wf = w;
        String name = f.name();
        out("linkFlowForward " + name, be, n * dof, null, CHAIN, (b, o) -> b.linkFlowForward(f, n, m, b.upload(wf), b.upload(raw), rOff, rB, o, b.alloc(n)));
        out("linkFlowForward logJ " + name, be, n, null, CHAIN, (b, o) -> b.linkFlowForward(f, n, m, b.upload(wf), b.upload(raw), rOff, rB, b.alloc(n * dof), o));
        out("linkFlowInverse " + name, be, n * dof, null, CHAIN, (b, o) -> b.linkFlowInverse(f, n, m, b.upload(wf), b.upload(raw), rOff, rB, o, b.alloc(n)));
        out("linkFlowInverse logJ " + name, be, n, null, CHAIN, (b, o) -> b.linkFlowInverse(f, n, m, b.upload(wf), b.upload(raw), rOff, rB, b.alloc(n * dof), o));
        double[] gOut = gaussians(n * dof, SEED + 22), gLj = gaussians(n, SEED + 23), gRaw0 = gaussians(raw.length, SEED + 24);
        out("linkFlowBackward gW " + name, be, n * dof, null, CHAIN,
                (b, o) -> b.linkFlowBackward(f, n, m, b.upload(wf), b.upload(raw), rOff, rB, b.upload(gOut), b.upload(gLj), o, b.upload(gRaw0)));
        out("linkFlowBackward gRaw " + name, be, raw.length, gRaw0, CHAIN,
                (b, o) -> b.linkFlowBackward(f, n, m, b.upload(wf), b.upload(raw), rOff, rB, b.upload(gOut), b.upload(gLj), b.alloc(n * dof), o));
    }

    // ------------------------------------------------------------------ networks

    static Stream<Arguments> convs() {
        // extents, k, cin, cout, sites (null = all), nb; K = cin k^d covers both weight-gradient forms (K < 32, K >= 32)
        return Stream.of(
                Arguments.of(new int[] {6, 4}, 3, 2, 3, false, 3),   // K = 18: dot form
                Arguments.of(new int[] {6, 4}, 3, 4, 2, true, 2),    // K = 36: saxpy form, output at a site list
                Arguments.of(new int[] {4, 2, 4}, 1, 5, 4, true, 3), // k = 1 (per-site MLP)
                Arguments.of(new int[] {2, 4, 2, 2}, 3, 1, 2, false, 2), // 4D, K = 81
                Arguments.of(new int[] {9}, 5, 3, 2, false, 2));     // d = 1, odd extent
    }

    @ParameterizedTest @MethodSource("convs")
    void convolutionForwardAndBackwardBitForBit(int[] ext, int k, int cin, int cout, boolean subset, int nb) {
        for (int t = 1; t <= 2; t++) {
            HostBackend be = new HostBackend(t);
            int V = 1, T = 1;
            for (int e : ext) { V *= e; T *= k; }
            int K = cin * T;
            int[] sites = null;
            if (subset) {
                List<Integer> l = new ArrayList<>();
                for (int x = 0; x < V; x += 3) l.add(x);
                sites = l.stream().mapToInt(Integer::intValue).toArray();
            }
            int M = sites == null ? V : sites.length;
            double[] x = gaussians(nb * cin * V, SEED + 30), wts = gaussians(7 + cout * K + cout, SEED + 31);
            for (int i = 0; i < wts.length; i += 5) wts[i] = 0; // zero weights are skipped by the reference
            int wOff = 7, bOff = 7 + cout * K;
            int[] s = sites;
            Function<Backend, Index> si = b -> s == null ? null : b.index(s);
            String name = "conv " + java.util.Arrays.toString(ext) + " k=" + k + " cin=" + cin + " cout=" + cout + " subset=" + subset + " x" + t;
            out(name, be, nb * cout * M, null, BITWISE, (b, o) -> b.conv(ext, nb, cin, cout, k, b.upload(x), b.upload(wts), wOff, bOff, si.apply(b), o));
            double[] dy = gaussians(nb * cout * M, SEED + 32), g0 = gaussians(wts.length, SEED + 33);
            for (int i = 0; i < dy.length; i += 4) dy[i] = 0;
            out(name + " backward grads", be, wts.length, g0, BITWISE,
                    (b, o) -> b.convBackward(ext, nb, cin, cout, k, b.upload(x), b.upload(wts), wOff, si.apply(b), b.upload(dy), null, o, wOff, bOff));
            out(name + " backward dx", be, nb * cin * V, gaussians(nb * cin * V, 1), BITWISE,
                    (b, o) -> b.convBackward(ext, nb, cin, cout, k, b.upload(x), b.upload(wts), wOff, si.apply(b), b.upload(dy), o, b.alloc(wts.length), wOff, bOff));
        }
    }

    @ParameterizedTest @MethodSource("threads")
    void activationsAndAdam(int t) {
        HostBackend be = new HostBackend(t);
        int n = 10_000;
        double[] x = gaussians(n, SEED + 40), dy = gaussians(n, SEED + 41);
        for (int i = 0; i < n; i++) x[i] *= 4;
        x[0] = 0; x[1] = -0.0; x[2] = 40; x[3] = -40;
        for (Backend.Act a : Backend.Act.values()) {
            double tol = a == Backend.Act.LEAKY_RELU ? BITWISE : LIBM;
            out("activation " + a, be, n, null, tol, (b, o) -> b.activation(a, n, b.upload(x), o));
            out("activationBackward " + a, be, n, null, tol, (b, o) -> b.activationBackward(a, n, b.upload(x), b.upload(dy), o));
        }
        double[] p = gaussians(n, SEED + 42), g = gaussians(n, SEED + 43), m = gaussians(n, SEED + 44), v = gaussians(n, SEED + 45);
        for (int i = 0; i < n; i++) v[i] = v[i] * v[i];
        Buffer[] r = {REF.upload(p), REF.upload(g), REF.upload(m), REF.upload(v)}, h = {be.upload(p), be.upload(g), be.upload(m), be.upload(v)};
        for (int step = 1; step <= 3; step++) {
            REF.adamStep(n, r[0], r[1], r[2], r[3], 1e-2, 0.9, 0.999, 1e-8, 1e-4, step);
            be.adamStep(n, h[0], h[1], h[2], h[3], 1e-2, 0.9, 0.999, 1e-8, 1e-4, step);
        }
        for (int i : new int[] {0, 2, 3}) same("adam buffer " + i, REF.download(r[i]), be.download(h[i]), BITWISE);
    }

    @ParameterizedTest @MethodSource("threads")
    void reductionsAndVectorOps(int t) {
        HostBackend be = new HostBackend(t);
        int n = 100_003, nb = 17, m = 31;
        double[] x = gaussians(n, SEED + 50), y = gaussians(n, SEED + 51);
        Buffer xr = REF.upload(x), xh = be.upload(x);
        assertEquals(Double.doubleToLongBits(REF.sum(xr, 3, n - 5)), Double.doubleToLongBits(be.sum(xh, 3, n - 5)), ctx("sum"));
        assertEquals(Double.doubleToLongBits(REF.sumSquares(xr, 1, n - 1)), Double.doubleToLongBits(be.sumSquares(xh, 1, n - 1)), ctx("sumSquares"));
        assertEquals(Double.doubleToLongBits(REF.maxAbs(xr, 0, n)), Double.doubleToLongBits(be.maxAbs(xh, 0, n)), ctx("maxAbs"));
        assertEquals(REF.logSumExp(xr, 2, n - 2), be.logSumExp(xh, 2, n - 2), LIBM * 20, ctx("logSumExp"));
        out("scale", be, n, x, BITWISE, (b, o) -> b.scale(o, 10, n - 20, -1.37));
        out("axpy", be, n, y, BITWISE, (b, o) -> b.axpy(n - 7, 0.3, b.upload(x), 7, o, 0));
        double[] rows = java.util.Arrays.copyOf(x, nb * m), acc = gaussians(nb, SEED + 52);
        out("sumRows", be, nb, null, BITWISE, (b, o) -> b.sumRows(nb, m, b.upload(rows), o, false));
        out("sumRows accumulate", be, nb, acc, BITWISE, (b, o) -> b.sumRows(nb, m, b.upload(rows), o, true));
        out("broadcastRows", be, nb * m, null, BITWISE, (b, o) -> b.broadcastRows(nb, m, b.upload(acc), o));
        // special values
        double[] sp = {1, Double.NaN, 2};
        assertTrue(Double.isNaN(be.maxAbs(be.upload(sp), 0, 3)) && Double.isNaN(be.logSumExp(be.upload(sp), 0, 3)));
        double[] inf = {1, Double.POSITIVE_INFINITY};
        assertEquals(Double.POSITIVE_INFINITY, be.logSumExp(be.upload(inf), 0, 2));
        assertEquals(Double.NEGATIVE_INFINITY, be.logSumExp(be.upload(new double[] {Double.NEGATIVE_INFINITY}), 0, 1));
        assertEquals(Double.NEGATIVE_INFINITY, be.logSumExp(be.alloc(1), 0, 0));
    }

    /** Buffers above DIRECT_MAX doubles (2 GiB) are native allocations: the same calls on a small allocation. */
    @Test void nativeAllocationsRoundTrip() {
        assertTrue(HostBackend.DIRECT_MAX > 1 << 27);
        long a = HostNative.allocate(8L * 1000);
        assertNotEquals(0, a);
        double[] v = gaussians(1000, SEED), back = new double[1000];
        HostNative.upload(v, 0, a, 1000);
        HostNative.download(a, back, 0, 1000);
        HostNative.release(a);
        same("native allocation round trip", v, back, BITWISE);
    }
}
