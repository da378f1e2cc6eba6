package org.mflowhpc.check;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.Index;
import org.mflowhpc.backend.LinkFlow;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.rng.RngStream;

/**
 * The contract check of a backend that runs from the jar (no test classes, no Maven): every op of the seam
 * ({@link Backend}) on the backend under test and on the float64 CPU reference ({@code CpuBackend}, one thread), on
 * the same fresh random inputs (Haar-random links, gaussians; never zeros; the seed is printed and {@code --seed}
 * replays it), for U(1) and SU(3) on a 2D (6x4) and a 4D (4x4x2x4) lattice with a batch of 3 (asymmetric extents, so
 * a transposed index shows). Outputs that an op overwrites are poisoned with NaN on both sides first (an element the
 * op fails to write cannot agree); outputs it adds into start from the same random values.
 *
 * <p>One line per check: PASS/FAIL, op, theory, max |got - ref|, max |got - ref| / (1 + |ref|), and the named
 * tolerance it is held to (NaN must meet NaN):
 * <ul>
 *   <li>{@code exact}: identical doubles. Per-site ops whose arithmetic is +, -, *, /, sqrt, IEEE remainder only
 *       (SU(3) plaquettes and staples, gauge transformations, gather/scatter, link updates, Philox-word U(1) Haar
 *       links, Adam, memory ops, max |x|): every native backend evaluates the reference's expressions in its order
 *       without fused multiply-adds;
 *   <li>{@code round} (1e-12): sums whose order differs from the reference's (tree reductions over many elements on
 *       a GPU: sum, sums of squares, long rows, action, kinetic energy; the GEMM of the convolution);
 *   <li>{@code libm} (1e-13): one layer of transcendentals (the C library's or CUDA's libdevice sin, cos, exp, log,
 *       atan2, tanh against Java's Math: a few ulps);
 *   <li>{@code chain} (1e-10): iterated transcendental chains (link flows, spectral eigen-decompositions, heatbath
 *       draws, U(1) overrelaxation within a sweep).
 * </ul>
 * Ops the backend runs through the CPU reference (the multiscale doubling ops on host and cuda) are checked the
 * same way. {@code only} restricts the run to check names matching a regular expression.
 */
public final class SelfCheck {
    /** The named tolerances. */
    public enum Tol {
        EXACT(0), LIBM(1e-13), ROUND(1e-12), CHAIN(1e-10);

        public final double value;

        Tol(double v) { value = v; }

        public String label() { return this == EXACT ? "exact" : name().toLowerCase(Locale.ROOT) + " " + String.format(Locale.ROOT, "%.0e", value); }
    }

    /** One check's outcome. */
    public record Line(String op, String theory, boolean pass, double maxAbs, double maxRel, Tol tol, String note) {
        public String format() {
            return String.format(Locale.ROOT, "%s  %-34s %-18s max abs %9.2e  max rel %9.2e  tol %-10s%s", pass ? "PASS" : "FAIL", op, theory, maxAbs,
                    maxRel, tol.label(), note.isEmpty() ? "" : "  " + note);
        }
    }

    private final Backend be;
    private final CpuBackend ref = new CpuBackend(1);
    private final long seed;
    private final PrintWriter live;
    private final Pattern only;
    private final List<Line> lines = new ArrayList<>();

    /** @param live where each line is printed as it is made (null: silent); @param only null or a regex on "op theory" */
    public SelfCheck(Backend be, long seed, PrintWriter live, String only) {
        this.be = be;
        this.seed = seed;
        this.live = live;
        this.only = only == null ? null : Pattern.compile(only);
    }

    /** As above, printing to a stream. */
    public SelfCheck(Backend be, long seed, java.io.PrintStream live, String only) {
        this(be, seed, live == null ? null : new PrintWriter(live, true), only);
    }

    public long seed() { return seed; }

    /** Runs every check; the lines in order. */
    public List<Line> run() {
        Lattice[] lats = {new Lattice(6, 4), new Lattice(4, 4, 2, 4)};
        section("memory", "", this::memory);
        for (Group g : Group.values())
            for (Lattice l : lats) {
                String th = g + " " + l.spec();
                section("gauge", th, () -> gauge(g, l, th));
                section("updates", th, () -> updates(g, l, th));
                section("coupling", th, () -> coupling(g, l, th));
                section("multiscale", th, () -> multiscale(g, l, th));
            }
        section("u1 base", "", this::u1Base);
        for (LinkFlow f : new LinkFlow[] {LinkFlow.ncp(1), LinkFlow.ncp(4), LinkFlow.rqs(2), LinkFlow.rqs(7), LinkFlow.spectral(1), LinkFlow.spectral(3)})
            section("link flow " + f.name(), "", () -> flow(f));
        section("networks", "", this::networks);
        section("reductions", "", this::reductions);
        if (be.name().equals("cuda")) section("gemm", "", () -> CudaExtras.gemm(this, be, seed));
        ref.close();
        return lines;
    }

    public List<Line> lines() { return lines; }

    public long failures() { return lines.stream().filter(l -> !l.pass()).count(); }

    // ------------------------------------------------------------------ machinery

    private interface Body { void run(); }

    /** Runs a group of checks; an exception becomes one FAIL line naming it (the group's later checks are skipped). */
    private void section(String what, String theory, Body b) {
        try {
            b.run();
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError && !(e instanceof OutOfMemoryError)) throw e;
            String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage().split("\n")[0];
            add(new Line(what + " (aborted)", theory, false, Double.NaN, Double.NaN, Tol.EXACT, m));
        }
    }

    private boolean wanted(String op, String theory) { return only == null || only.matcher(op + " " + theory).find(); }

    private void add(Line l) {
        lines.add(l);
        if (live != null) {
            live.println(l.format());
            live.flush();
        }
    }

    /** Compares and records one check. */
    void compare(String op, String theory, double[] r, double[] g, Tol tol) {
        if (r.length != g.length) {
            add(new Line(op, theory, false, Double.NaN, Double.NaN, tol, "length " + g.length + " vs reference " + r.length));
            return;
        }
        double maxAbs = 0, maxRel = 0;
        int bad = -1;
        for (int i = 0; i < r.length; i++) {
            boolean nanR = Double.isNaN(r[i]), nanG = Double.isNaN(g[i]);
            if (nanR || nanG) {
                if (nanR != nanG) {
                    maxAbs = maxRel = Double.NaN;
                    if (bad < 0) bad = i;
                }
                continue;
            }
            if (r[i] == g[i] && (tol != Tol.EXACT || Double.doubleToRawLongBits(r[i]) == Double.doubleToRawLongBits(g[i]))) continue;
            double a = Math.abs(g[i] - r[i]), rel = a / (1 + Math.abs(r[i]));
            if (Double.isNaN(a)) a = rel = Double.POSITIVE_INFINITY; // +inf vs -inf
            if (!Double.isNaN(maxAbs)) {
                maxAbs = Math.max(maxAbs, a);
                maxRel = Math.max(maxRel, rel);
            }
            boolean ok = tol != Tol.EXACT && rel <= tol.value;
            if (!ok && bad < 0) bad = i;
        }
        String note = bad < 0 ? "" : String.format(Locale.ROOT, "first bad element %d: ref %s got %s", bad, r[bad], g[bad]);
        add(new Line(op, theory, bad < 0, maxAbs, maxRel, tol, note));
    }

    /** The same host data on both backends. */
    private record Pair(GaugeField r, GaugeField b) {
        GaugeField on(Backend x, CpuBackend ref) { return x == ref ? r : b; }
    }

    private Pair haar(Group g, Lattice lat, int batch, long s) {
        double[] h = haarHost(g, lat, batch, s);
        return new Pair(GaugeField.fromHost(ref, g, lat, batch, h), GaugeField.fromHost(be, g, lat, batch, h));
    }

    static double[] haarHost(Group g, Lattice lat, int batch, long s) {
        double[] f = new double[GaugeField.checkedSize(g, lat, batch)];
        RngStream r = new RngStream(s, RngStream.Domain.TEST, 0, 0);
        if (g == Group.U1) for (int i = 0; i < f.length; i++) f[i] = r.angle();
        else for (int o = 0; o < f.length; o += 18) SU3.haar(r, f, o);
        return f;
    }

    static double[] gaussians(int n, long s) {
        RngStream r = new RngStream(s, RngStream.Domain.TEST, 3, 0);
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = r.gaussian();
        return a;
    }

    static double[] su3s(int count, long s) {
        double[] h = haarHost(Group.SU3, new Lattice(2, 2), (count + 7) / 8, s);
        return Arrays.copyOf(h, 18 * count);
    }

    private static double[] nans(int n) {
        double[] a = new double[n];
        Arrays.fill(a, Double.NaN);
        return a;
    }

    /** Runs op on both backends into an output of n doubles (init null: NaN-poisoned, else these values) and compares. */
    private void out(String op, String theory, int n, double[] init, Tol tol, BiConsumer<Backend, Buffer> body) {
        if (!wanted(op, theory)) return;
        double[] start = init == null ? nans(n) : init;
        Buffer r = ref.upload(start), g = be.upload(start);
        body.accept(ref, r);
        body.accept(be, g);
        compare(op, theory, ref.download(r), be.download(g), tol);
    }

    /** Runs op on two copies of a field (in place) and compares the fields. */
    private void inPlace(String op, String theory, Pair p, Tol tol, java.util.function.BiConsumer<Backend, GaugeField> body) {
        if (!wanted(op, theory)) return;
        body.accept(ref, p.r);
        body.accept(be, p.b);
        compare(op, theory, p.r.toHost(), p.b.toHost(), tol);
    }

    private Index[] idx(int[] a) { return new Index[] {ref.index(a), be.index(a)}; }

    private static Index pick(Backend x, CpuBackend ref, Index[] i) { return x == ref ? i[0] : i[1]; }

    // ------------------------------------------------------------------ memory

    private void memory() {
        double[] a = gaussians(1000, seed);
        a[3] = -0.0;
        a[5] = Double.NaN;
        a[7] = Double.POSITIVE_INFINITY;
        if (wanted("upload/download", "")) {
            Buffer b = be.upload(a);
            compare("upload/download", "", a, be.download(b), Tol.EXACT);
            double[] part = new double[10];
            be.download(b, 100, part, 0, 10);
            compare("download partial", "", Arrays.copyOfRange(a, 100, 110), part, Tol.EXACT);
            double[] big = gaussians(3_000_017, seed + 1); // several staging chunks
            compare("upload/download 3M", "", big, be.download(be.upload(big)), Tol.EXACT);
        }
        out("copy overlapping", "", 1000, a, Tol.EXACT, (x, b) -> x.copy(b, 0, b, 10, 500));
        out("copy overlapping backwards", "", 1000, a, Tol.EXACT, (x, b) -> x.copy(b, 10, b, 0, 500));
        out("copy", "", 1000, a, Tol.EXACT, (x, b) -> x.copy(x.upload(gaussians(700, seed + 2)), 3, b, 200, 600));
        out("fill", "", 1000, a, Tol.EXACT, (x, b) -> { x.fill(b, 20, 30, 2.5); x.fill(b, 60, 7, 0.0); x.fill(b, 80, 5, -0.0); });
        if (wanted("alloc is zero", "")) compare("alloc is zero", "", new double[77], be.download(be.alloc(77)), Tol.EXACT);
        if (wanted("scope recycles zeroed", "")) {
            for (int round = 0; round < 2; round++) {
                try (Backend.Scope s = be.scope()) {
                    Buffer t = be.alloc(4099);
                    if (round == 0) be.fill(t, 0, 4099, 3.0);
                    else compare("scope recycles zeroed", "", new double[4099], be.download(t), Tol.EXACT);
                }
            }
        }
    }

    // ------------------------------------------------------------------ gauge ops

    private void gauge(Group g, Lattice lat, String th) {
        boolean u1 = g == Group.U1;
        int V = lat.volume, np = lat.planes(), nb = 3;
        Pair p = haar(g, lat, nb, seed + 1);
        Tol t = u1 ? Tol.LIBM : Tol.EXACT;
        out("plaquettes", th, nb * np * V, null, t, (x, o) -> x.plaquettes(p.on(x, ref), o));
        if (u1) out("plaquetteAngles", th, nb * np * V, null, Tol.EXACT, (x, o) -> x.plaquetteAngles(p.on(x, ref), o));
        out("action", th, nb + 2, gaussians(nb + 2, seed), u1 ? Tol.LIBM : Tol.ROUND, (x, o) -> x.action(p.on(x, ref), 1.7, o, 2));
        out("meanPlaquette", th, nb + 1, gaussians(nb + 1, seed), u1 ? Tol.LIBM : Tol.ROUND, (x, o) -> x.meanPlaquette(p.on(x, ref), o, 1));
        for (int mu = 0; mu < lat.d; mu++) {
            int m = mu;
            out("staples mu=" + mu, th, (u1 ? 2 : 18) * nb * V, null, t, (x, o) -> x.staples(p.on(x, ref), m, o));
        }
        out("force", th, p.r.size(), null, t, (x, o) -> x.force(p.on(x, ref), 2.3, o));
        out("actionGradient", th, p.r.size(), null, t, (x, o) -> x.actionGradient(p.on(x, ref), 2.3, o));
        double[] om = gauge(g, lat, nb, seed + 3);
        inPlace("gaugeTransform", th, haar(g, lat, nb, seed + 2), Tol.EXACT, (x, u) -> x.gaugeTransform(u, x.upload(om)));
        Pair h = new Pair(new GaugeField(ref, g, lat, nb), new GaugeField(be, g, lat, nb));
        inPlace("haarLinks", th, h, u1 ? Tol.EXACT : Tol.LIBM, (x, u) -> x.haarLinks(u, RngStream.Domain.FLOW_PRIOR, seed, 5));
        inPlace("randomGauge", th, h, u1 ? Tol.EXACT : Tol.LIBM, (x, u) -> x.randomGauge(u, RngStream.Domain.GAUGE, seed + 1, 2));
    }

    static double[] gauge(Group g, Lattice lat, int batch, long s) {
        RngStream r = new RngStream(s, RngStream.Domain.TEST, 1, 0);
        double[] om = new double[batch * lat.volume * g.dof];
        if (g == Group.U1) for (int i = 0; i < om.length; i++) om[i] = r.angle();
        else for (int o = 0; o < om.length; o += 18) SU3.haar(r, om, o);
        return om;
    }

    // ------------------------------------------------------------------ updates

    private void updates(Group g, Lattice lat, String th) {
        int nb = 2, n = nb * lat.d * lat.volume * g.dof;
        inPlace("heatbath", th, haar(g, lat, nb, seed + 4), Tol.CHAIN, (x, u) -> x.heatbath(u, 2.2, seed, 3));
        inPlace("overrelax", th, haar(g, lat, nb, seed + 5), g == Group.U1 ? Tol.CHAIN : Tol.EXACT, (x, u) -> x.overrelax(u, 2.2, seed, 0));
        out("drawMomenta", th, n, null, Tol.LIBM, (x, o) -> x.drawMomenta(g, lat, nb, RngStream.Domain.HMC_MOMENTA, seed, 9, o));
        Buffer pr = ref.alloc(n);
        ref.drawMomenta(g, lat, nb, RngStream.Domain.HMC_MOMENTA, seed, 9, pr);
        double[] mom = ref.download(pr);
        out("kineticEnergy", th, nb + 1, null, Tol.ROUND, (x, o) -> x.kineticEnergy(g, lat, nb, x.upload(mom), o, 1));
        inPlace("updateLinks", th, haar(g, lat, nb, seed + 6), Tol.EXACT, (x, u) -> x.updateLinks(u, x.upload(mom), 0.137));
        double[] hh = haarHost(g, lat, nb, seed + 7), noise = gaussians(hh.length, seed + 8);
        for (int i = 0; i < hh.length; i++) hh[i] += (g == Group.U1 ? 3.0 : 1e-3) * noise[i];
        inPlace("reunitarize", th, new Pair(GaugeField.fromHost(ref, g, lat, nb, hh), GaugeField.fromHost(be, g, lat, nb, hh)), Tol.EXACT,
                (x, u) -> x.reunitarize(u));
    }

    // ------------------------------------------------------------------ coupling layers

    private void coupling(Group g, Lattice lat, String th) {
        boolean u1 = g == Group.U1;
        int V = lat.volume, np = lat.planes(), nb = 2, dof = g.dof;
        Pair p = haar(g, lat, nb, seed + 8);
        java.util.Random rnd = new java.util.Random(seed);
        int[] frozen = new int[np * V];
        for (int i = 0; i < frozen.length; i++) frozen[i] = rnd.nextInt(3) == 0 ? 0 : 1;
        Index[] fz = idx(frozen);
        out("loopFeatures", th, nb * 2 * np * V, null, u1 ? Tol.LIBM : Tol.EXACT, (x, o) -> x.loopFeatures(p.on(x, ref), pick(x, ref, fz), o));
        double[] gFeat = gaussians(nb * 2 * np * V, seed + 9), gl0 = gaussians(p.r.size(), seed + 10);
        for (int i = 0; i < gFeat.length; i += 7) gFeat[i] = 0;
        out("loopFeaturesBackward", th, p.r.size(), gl0, u1 ? Tol.LIBM : Tol.EXACT,
                (x, o) -> x.loopFeaturesBackward(p.on(x, ref), pick(x, ref, fz), x.upload(gFeat), o));
        int mu = lat.d - 1, nu = 0;
        List<Integer> list = new ArrayList<>();
        for (int s = 0; s < V; s++) if (lat.coords(s)[nu] % 2 == 1 && lat.coords(s)[mu] % 2 == 0) list.add(s);
        int[] sites = list.stream().mapToInt(Integer::intValue).toArray();
        int M = sites.length, n = nb * M;
        Index[] st = idx(sites);
        for (int side : new int[] {nu, ~nu}) { // the staple on the +nu side, then (nu = ~n) on the -nu side
            final int pn = side;
            String tag = side < 0 ? " backward staple" : "";
            out("gatherActive" + tag, th, n * dof, null, Tol.EXACT, (x, o) -> x.gatherActive(p.on(x, ref), mu, pn, pick(x, ref, st), o));
            double[] w = u1 ? gaussians(n, seed + 11) : su3s(n, seed + 11);
            inPlace("scatterActive" + tag, th, haar(g, lat, nb, seed + 12), Tol.EXACT, (x, u) -> x.scatterActive(u, mu, pn, pick(x, ref, st), x.upload(w)));
            Pair q = haar(g, lat, nb, seed + 12);
            double[] gW = gaussians(n * dof, seed + 13);
            out("scatterActiveBackward gLinks" + tag, th, q.r.size(), gl0, Tol.EXACT,
                    (x, o) -> x.scatterActiveBackward(q.on(x, ref), mu, pn, pick(x, ref, st), x.upload(w), o, x.alloc(n * dof)));
            out("scatterActiveBackward gW" + tag, th, n * dof, null, Tol.EXACT,
                    (x, o) -> x.scatterActiveBackward(q.on(x, ref), mu, pn, pick(x, ref, st), x.upload(w), x.upload(gl0), o));
            out("gatherActiveBackward" + tag, th, q.r.size(), gl0, Tol.EXACT,
                    (x, o) -> x.gatherActiveBackward(q.on(x, ref), mu, pn, pick(x, ref, st), x.upload(w), x.upload(gW), o));
        }
    }

    // ------------------------------------------------------------------ multiscale doubling (through the reference on host and cuda)

    private void multiscale(Group g, Lattice fine, String th) {
        int nb = 2, dof = g.dof, m0 = 0;
        while (fine.extent(m0) % 4 != 0) m0++; // a direction whose halved extent is even
        final int mu = m0;
        int[] ec = fine.extents();
        ec[mu] /= 2;
        Lattice coarse = new Lattice(ec);
        int vc = coarse.volume;
        int[] ev = new int[vc], fr = new int[vc], c = new int[coarse.d];
        for (int s = 0; s < vc; s++) {
            coarse.coords(s, c);
            c[mu] *= 2;
            ev[s] = fine.site(c);
            fr[s] = fine.up(mu, ev[s]);
        }
        Index[] even = idx(ev), fresh = idx(fr);
        Pair cr = haar(g, coarse, nb, seed + 30), rr = haar(g, coarse, nb, seed + 31);
        Tol t = Tol.EXACT; // products and copies (U(1): differences and wraps)
        inPlace("doublingSplit", th, new Pair(new GaugeField(ref, g, fine, nb), new GaugeField(be, g, fine, nb)), t,
                (x, u) -> x.doublingSplit(cr.on(x, ref), rr.on(x, ref), mu, pick(x, ref, even), pick(x, ref, fresh), u));
        Pair fp = haar(g, fine, nb, seed + 32);
        inPlace("doublingMerge", th, new Pair(new GaugeField(ref, g, coarse, nb), new GaugeField(be, g, coarse, nb)), t,
                (x, u) -> x.doublingMerge(fp.on(x, ref), mu, pick(x, ref, even), pick(x, ref, fresh), u));
        double[] gFine = gaussians(fp.r.size(), seed + 33), gc0 = gaussians(cr.r.size(), seed + 34);
        out("doublingSplitBackward", th, cr.r.size(), gc0, t,
                (x, o) -> x.doublingSplitBackward(rr.on(x, ref), mu, pick(x, ref, even), pick(x, ref, fresh), x.upload(gFine), o));
        // midpoint gather / scatter at the fresh sites, partner direction nu != mu
        int nu = mu == 0 ? 1 : 0, M = vc, n = nb * M;
        Tol mt = g == Group.U1 ? Tol.EXACT : Tol.CHAIN;
        out("gatherMidpoint", th, n * dof, null, mt, (x, o) -> x.gatherMidpoint(fp.on(x, ref), mu, nu, pick(x, ref, fresh), o));
        double[] w = g == Group.U1 ? gaussians(n, seed + 35) : su3s(n, seed + 35);
        inPlace("scatterMidpoint", th, haar(g, fine, nb, seed + 36), mt, (x, u) -> x.scatterMidpoint(u, mu, nu, pick(x, ref, fresh), x.upload(w)));
        Pair q = haar(g, fine, nb, seed + 36);
        double[] gl0 = gaussians(q.r.size(), seed + 37), gW = gaussians(n * dof, seed + 38);
        out("scatterMidpointBackward gLinks", th, q.r.size(), gl0, mt,
                (x, o) -> x.scatterMidpointBackward(q.on(x, ref), mu, nu, pick(x, ref, fresh), x.upload(w), o, x.alloc(n * dof)));
        out("scatterMidpointBackward gW", th, n * dof, null, mt,
                (x, o) -> x.scatterMidpointBackward(q.on(x, ref), mu, nu, pick(x, ref, fresh), x.upload(w), x.upload(gl0), o));
        out("gatherMidpointBackward", th, q.r.size(), gl0, mt,
                (x, o) -> x.gatherMidpointBackward(q.on(x, ref), mu, nu, pick(x, ref, fresh), x.upload(w), x.upload(gW), o));
    }

    private void u1Base() {
        int nb = 3, m = 5, n = nb * m, fOff = 2, fB = m + 3, rOff = 1, rB = m + 2;
        double[] x = gaussians(n, seed + 40), feat = gaussians(fOff + nb * fB, seed + 41), raw = gaussians(rOff + nb * rB, seed + 42);
        for (int i = 0; i < feat.length; i++) feat[i] = Math.tanh(feat[i]); // cosines in (-1, 1)
        for (int i = 0; i < raw.length; i++) raw[i] *= 0.5;
        double[] gY = gaussians(n, seed + 43), gL = gaussians(n, seed + 44), gF0 = gaussians(feat.length, seed + 45), gR0 = gaussians(raw.length, seed + 46);
        for (boolean logistic : new boolean[] {true, false})
            for (double betaA : new double[] {1.3, 0.0}) {
                String th = (logistic ? "logistic" : "cauchy") + " betaA=" + betaA;
                out("u1BaseForward y", th, n, null, Tol.CHAIN, (b, o) -> b.u1BaseForward(logistic, betaA, n, m, b.upload(x), b.upload(feat), fOff, fB,
                        b.upload(raw), rOff, rB, o, b.alloc(n)));
                out("u1BaseForward logJ", th, n, null, Tol.CHAIN, (b, o) -> b.u1BaseForward(logistic, betaA, n, m, b.upload(x), b.upload(feat), fOff, fB,
                        b.upload(raw), rOff, rB, b.alloc(n), o));
                out("u1BaseInverse", th, n, null, Tol.CHAIN, (b, o) -> b.u1BaseInverse(logistic, betaA, n, m, b.upload(x), b.upload(feat), fOff, fB,
                        b.upload(raw), rOff, rB, o, b.alloc(n)));
                out("u1BaseBackward gX", th, n, null, Tol.CHAIN, (b, o) -> b.u1BaseBackward(logistic, betaA, n, m, b.upload(x), b.upload(feat), fOff, fB,
                        b.upload(raw), rOff, rB, b.upload(gY), b.upload(gL), o, b.upload(gF0), b.upload(gR0)));
                out("u1BaseBackward gFeat", th, feat.length, gF0, Tol.CHAIN, (b, o) -> b.u1BaseBackward(logistic, betaA, n, m, b.upload(x), b.upload(feat),
                        fOff, fB, b.upload(raw), rOff, rB, b.upload(gY), b.upload(gL), b.alloc(n), o, b.upload(gR0)));
                out("u1BaseBackward gRaw", th, raw.length, gR0, Tol.CHAIN, (b, o) -> b.u1BaseBackward(logistic, betaA, n, m, b.upload(x), b.upload(feat),
                        fOff, fB, b.upload(raw), rOff, rB, b.upload(gY), b.upload(gL), b.alloc(n), b.upload(gF0), o));
            }
    }

    // ------------------------------------------------------------------ link flows

    private void flow(LinkFlow f) {
        int nb = 3, m = 7, n = nb * m, P = f.paramsPerElement(), rB = P * m + 3, rOff = 5, dof = f.isU1() ? 1 : 18;
        double[] raw = gaussians(rOff + nb * rB, seed + 20);
        for (int i = 0; i < raw.length; i++) raw[i] *= 0.8;
        double[] w;
        if (f.isU1()) {
            w = gaussians(n, seed + 21);
            for (int i = 0; i < n; i++) w[i] *= 2.5;
        } else {
            w = su3s(n, seed + 21);
            SU3.setIdentity(w, 0);
        }
        String th = f.name();
        out("linkFlowForward", th, n * dof, null, Tol.CHAIN, (b, o) -> b.linkFlowForward(f, n, m, b.upload(w), b.upload(raw), rOff, rB, o, b.alloc(n)));
        out("linkFlowForward logJ", th, n, null, Tol.CHAIN, (b, o) -> b.linkFlowForward(f, n, m, b.upload(w), b.upload(raw), rOff, rB, b.alloc(n * dof), o));
        out("linkFlowInverse", th, n * dof, null, Tol.CHAIN, (b, o) -> b.linkFlowInverse(f, n, m, b.upload(w), b.upload(raw), rOff, rB, o, b.alloc(n)));
        out("linkFlowInverse logJ", th, n, null, Tol.CHAIN, (b, o) -> b.linkFlowInverse(f, n, m, b.upload(w), b.upload(raw), rOff, rB, b.alloc(n * dof), o));
        double[] gOut = gaussians(n * dof, seed + 22), gLj = gaussians(n, seed + 23), gRaw0 = gaussians(raw.length, seed + 24);
        out("linkFlowBackward gW", th, n * dof, null, Tol.CHAIN,
                (b, o) -> b.linkFlowBackward(f, n, m, b.upload(w), b.upload(raw), rOff, rB, b.upload(gOut), b.upload(gLj), o, b.upload(gRaw0)));
        out("linkFlowBackward gRaw", th, raw.length, gRaw0, Tol.CHAIN,
                (b, o) -> b.linkFlowBackward(f, n, m, b.upload(w), b.upload(raw), rOff, rB, b.upload(gOut), b.upload(gLj), b.alloc(n * dof), o));
    }

    // ------------------------------------------------------------------ networks

    private void networks() {
        // extents, k, cin, cout, output-site stride (1 = all sites), batch
        Object[][] cases = {{new int[] {6, 4}, 3, 2, 3, 1, 3}, {new int[] {6, 4}, 3, 4, 2, 3, 2}, {new int[] {4, 2, 4}, 1, 5, 17, 3, 3},
                            {new int[] {2, 4, 2, 2}, 3, 1, 2, 1, 2}, {new int[] {9}, 5, 3, 2, 2, 2}, {new int[] {8, 8}, 3, 8, 8, 1, 40}};
        for (Object[] c : cases) {
            int[] ext = (int[]) c[0];
            int k = (Integer) c[1], cin = (Integer) c[2], cout = (Integer) c[3], stride = (Integer) c[4], nb = (Integer) c[5];
            int V = 1, T = 1;
            for (int e : ext) { V *= e; T *= k; }
            int K = cin * T;
            int[] sites = null;
            if (stride > 1) {
                List<Integer> l = new ArrayList<>();
                for (int s = 0; s < V; s += stride) l.add(s);
                sites = l.stream().mapToInt(Integer::intValue).toArray();
            }
            int M = sites == null ? V : sites.length;
            double[] x = gaussians(nb * cin * V, seed + 50), wts = gaussians(7 + cout * K + cout, seed + 51);
            for (int i = 0; i < wts.length; i += 5) wts[i] = 0;
            int wOff = 7, bOff = 7 + cout * K;
            Index[] si = sites == null ? new Index[2] : idx(sites);
            String th = Arrays.toString(ext).replace(" ", "") + " k" + k + " " + cin + "->" + cout + (sites == null ? "" : " /" + stride) + " b" + nb;
            out("conv", th, nb * cout * M, null, Tol.ROUND, (b, o) -> b.conv(ext, nb, cin, cout, k, b.upload(x), b.upload(wts), wOff, bOff, pick(b, ref, si), o));
            double[] dy = gaussians(nb * cout * M, seed + 52), g0 = gaussians(wts.length, seed + 53);
            for (int i = 0; i < dy.length; i += 4) dy[i] = 0;
            out("convBackward grads", th, wts.length, g0, Tol.ROUND,
                    (b, o) -> b.convBackward(ext, nb, cin, cout, k, b.upload(x), b.upload(wts), wOff, pick(b, ref, si), b.upload(dy), null, o, wOff, bOff));
            out("convBackward dx", th, nb * cin * V, null, Tol.ROUND,
                    (b, o) -> b.convBackward(ext, nb, cin, cout, k, b.upload(x), b.upload(wts), wOff, pick(b, ref, si), b.upload(dy), o, b.alloc(wts.length), wOff, bOff));
        }
        int n = 10_000;
        double[] x = gaussians(n, seed + 60), dy = gaussians(n, seed + 61);
        for (int i = 0; i < n; i++) x[i] *= 4;
        x[0] = 0; x[1] = -0.0; x[2] = 40; x[3] = -40;
        for (Backend.Act a : Backend.Act.values()) {
            Tol t = a == Backend.Act.LEAKY_RELU ? Tol.EXACT : Tol.LIBM;
            out("activation", a.name(), n, null, t, (b, o) -> b.activation(a, n, b.upload(x), o));
            out("activationBackward", a.name(), n, null, t, (b, o) -> b.activationBackward(a, n, b.upload(x), b.upload(dy), o));
        }
        if (wanted("adamStep", "")) {
            double[] p = gaussians(n, seed + 62), g = gaussians(n, seed + 63), m = gaussians(n, seed + 64), v = gaussians(n, seed + 65);
            for (int i = 0; i < n; i++) v[i] = v[i] * v[i];
            Buffer[] r = {ref.upload(p), ref.upload(g), ref.upload(m), ref.upload(v)}, h = {be.upload(p), be.upload(g), be.upload(m), be.upload(v)};
            for (int step = 1; step <= 3; step++) {
                ref.adamStep(n, r[0], r[1], r[2], r[3], 1e-2, 0.9, 0.999, 1e-8, 1e-4, step);
                be.adamStep(n, h[0], h[1], h[2], h[3], 1e-2, 0.9, 0.999, 1e-8, 1e-4, step);
            }
            String[] names = {"params", "", "first moments", "second moments"};
            for (int i : new int[] {0, 2, 3}) compare("adamStep", names[i], ref.download(r[i]), be.download(h[i]), Tol.EXACT);
        }
    }

    // ------------------------------------------------------------------ device-only pieces

    /** Checks of CUDA-backend internals (loaded only for backend cuda). */
    static final class CudaExtras {
        /** The GEMM path (cuBLAS or in-house tiles and split-K) against CpuBackend.gemm, every transpose. */
        static void gemm(SelfCheck sc, Backend be, long seed) {
            org.mflowhpc.backend.cuda.CudaBackend cb = (org.mflowhpc.backend.cuda.CudaBackend) be;
            CpuBackend ref = new CpuBackend(1);
            int[][] shapes = {{37, 23, 41}, {8, 72, 5000}, {300, 200, 1000}, {1, 1, 1}};
            for (int[] sh : shapes)
                for (int ta = 0; ta < 2; ta++)
                    for (int tb = 0; tb < 2; tb++)
                        for (double beta : new double[] {0.0, 0.3}) {
                            int m = sh[0], n = sh[1], k = sh[2];
                            boolean tA = ta == 1, tB = tb == 1;
                            int lda = (tA ? m : k) + 1, ldb = (tB ? k : n) + 2, ldc = n + 3;
                            double[] a = gaussians(lda * (tA ? k : m), seed + m), b = gaussians(ldb * (tB ? n : k), seed + n), c = gaussians(ldc * m, seed + k);
                            String th = m + "x" + n + "x" + k + (tA ? " A^T" : "") + (tB ? " B^T" : "") + " beta=" + beta;
                            if (!sc.wanted("gemm", th)) continue;
                            double[] r = c.clone();
                            ref.gemm(tA, tB, m, n, k, 0.7, a, 0, lda, b, 0, ldb, beta, r, 0, ldc);
                            Buffer cd = be.upload(beta == 0 ? nans(c.length) : c);
                            if (beta == 0) for (int i = 0; i < m; i++) for (int j = n; j < ldc; j++) r[i * ldc + j] = Double.NaN; // padding untouched
                            cb.gemm(tA, tB, m, n, k, 0.7, be.upload(a), 0, lda, be.upload(b), 0, ldb, beta, cd, 0, ldc);
                            sc.compare("gemm", th, r, be.download(cd), Tol.ROUND);
                        }
            ref.close();
        }
    }

    // ------------------------------------------------------------------ reductions and vector ops

    private void scalar(String op, String theory, double r, double g, Tol t) {
        if (wanted(op, theory)) compare(op, theory, new double[] {r}, new double[] {g}, t);
    }

    private void reductions() {
        for (int n : new int[] {1, 255, 100_003, 2_000_001}) {
            double[] x = gaussians(n + 8, seed + 70 + n);
            Buffer xr = ref.upload(x), xb = be.upload(x);
            String th = "n=" + n;
            scalar("sum", th, ref.sum(xr, 3, n), be.sum(xb, 3, n), Tol.ROUND);
            scalar("sumSquares", th, ref.sumSquares(xr, 1, n), be.sumSquares(xb, 1, n), Tol.ROUND);
            scalar("maxAbs", th, ref.maxAbs(xr, 0, n), be.maxAbs(xb, 0, n), Tol.EXACT);
            scalar("logSumExp", th, ref.logSumExp(xr, 2, n), be.logSumExp(xb, 2, n), Tol.ROUND);
        }
        int n = 100_003;
        double[] x = gaussians(n, seed + 80), y = gaussians(n, seed + 81);
        out("scale", "", n, x, Tol.EXACT, (b, o) -> b.scale(o, 10, n - 20, -1.37));
        out("axpy", "", n, y, Tol.EXACT, (b, o) -> b.axpy(n - 7, 0.3, b.upload(x), 7, o, 0));
        for (int[] s : new int[][] {{17, 31}, {5, 4000}}) {
            int nb = s[0], m = s[1];
            double[] rows = gaussians(nb * m, seed + 82), acc = gaussians(nb, seed + 83);
            String th = nb + "x" + m;
            out("sumRows", th, nb, null, m <= 256 ? Tol.EXACT : Tol.ROUND, (b, o) -> b.sumRows(nb, m, b.upload(rows), o, false));
            out("sumRows accumulate", th, nb, acc, m <= 256 ? Tol.EXACT : Tol.ROUND, (b, o) -> b.sumRows(nb, m, b.upload(rows), o, true));
            out("broadcastRows", th, nb * m, null, Tol.EXACT, (b, o) -> b.broadcastRows(nb, m, b.upload(acc), o));
        }
        double[] sp = {1, Double.NaN, 2}, inf = {1, Double.POSITIVE_INFINITY}, ninf = {Double.NEGATIVE_INFINITY};
        scalar("maxAbs", "NaN", ref.maxAbs(ref.upload(sp), 0, 3), be.maxAbs(be.upload(sp), 0, 3), Tol.EXACT);
        scalar("logSumExp", "NaN", ref.logSumExp(ref.upload(sp), 0, 3), be.logSumExp(be.upload(sp), 0, 3), Tol.EXACT);
        scalar("logSumExp", "+inf", ref.logSumExp(ref.upload(inf), 0, 2), be.logSumExp(be.upload(inf), 0, 2), Tol.EXACT);
        scalar("logSumExp", "-inf", ref.logSumExp(ref.upload(ninf), 0, 1), be.logSumExp(be.upload(ninf), 0, 1), Tol.EXACT);
        scalar("logSumExp", "empty", ref.logSumExp(ref.alloc(1), 0, 0), be.logSumExp(be.alloc(1), 0, 0), Tol.EXACT);
        scalar("sum", "empty", ref.sum(ref.alloc(1), 0, 0), be.sum(be.alloc(1), 0, 0), Tol.EXACT);
    }
}
