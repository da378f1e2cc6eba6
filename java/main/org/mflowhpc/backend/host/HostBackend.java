package org.mflowhpc.backend.host;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.Checks;
import org.mflowhpc.backend.Index;
import org.mflowhpc.backend.LinkFlow;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;

/**
 * Backend {@code host}: every op of the seam runs natively, through JNI, in the host library built from the same
 * per-site kernel sources as the device code (kernels/*.cuh, native/*.cpp), over batches with OpenMP and SIMD. It is
 * the CPU production path, and in CI it exercises the kernel code on every op against the float64 reference
 * {@code CpuBackend} (the shared contract tests run against both).
 *
 * <p>Agreement with the reference: the kernels transcribe the Java reference's operation order and the library is
 * built without FMA contraction and without auto-vectorization (docs/engine.md), so every op whose arithmetic is +, -,
 * *, /, sqrt and IEEE remainder only is bit-identical to {@code CpuBackend}: SU(3) plaquettes, action, staples, force,
 * action gradient, gauge transformations and overrelaxation; loop features and their backward, gather/scatter and
 * their backward, link updates, reunitarisation, convolutions and their backward, Adam, leaky ReLU, memory ops and
 * every reduction but log-sum-exp; U(1) plaquette angles, gauge transformations and Haar links (Philox words and
 * uniforms are bit-identical); the multiscale doubling split, merge and split backward (U(1) and SU(3)) and the U(1)
 * midpoint gather/scatter and their backward. Ops that call sin, cos, exp, log, atan2, tanh (the C library instead of
 * Java's Math, each within an ulp) agree to a named tolerance: U(1) plaquettes, staples, force, features and
 * overrelaxation, SU(3) Haar links and random gauge transformations, momenta, heatbath, link flows, the SU(3) midpoint
 * ops (the Weyl-cell square root's eigen-decomposition), the U(1) analytic base maps, tanh/SiLU/GELU, log-sum-exp
 * (HostBackendTest names the tolerances). Every result is independent of the thread count.
 *
 * <p>Memory: a {@link Buffer} is native memory, a direct ByteBuffer (64-byte aligned) for up to 2^28 - 8 doubles, a
 * 64-byte aligned native allocation released by a {@link Cleaner} above that. Direct buffers count against
 * {@code -XX:MaxDirectMemorySize} (default: the maximum heap size); the JDK collects unreachable ones when that limit
 * is reached. Every op checks that its buffers belong to this backend and that every element it touches is inside
 * them (IllegalArgumentException otherwise) before the native call, which takes raw addresses. Per-lattice geometry
 * (neighbour tables and the parity site lists, int[] [up d V][dn d V][even V/2][odd V/2]) and convolution stencils
 * (shift[t V + s]) are built once and cached.
 *
 * <p>Adding an op: a per-element function in the kernel family's header, a JNI entry point in the family's
 * native/host_*.cpp, its declaration in {@link HostNative}, and the checked Java method here.
 */
public final class HostBackend implements Backend {
    private static final Cleaner CLEANER = Cleaner.create();
    /** Buffers up to this many doubles are direct ByteBuffers; above, native allocations. */
    static final int DIRECT_MAX = (Integer.MAX_VALUE - 192) / 8;
    /** Largest number of flow components / spline bins the kernels support (kernels/core.cuh MAXK). */
    public static final int MAX_COMPONENTS = 32;
    /** Reference chunking of convolution columns (NnKernels.COL_LIMIT) and the dot-form threshold (SAXPY_K). */
    private static final int COL_LIMIT = 1 << 24, SAXPY_K = 32;

    private final int threads;
    private final ConcurrentHashMap<Lattice, HostIndex> geometry = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, HostIndex> stencils = new ConcurrentHashMap<>();

    /** A host backend using all hardware threads. */
    public HostBackend() { this(Runtime.getRuntime().availableProcessors()); }

    /** @throws IllegalStateException naming the reason when the host library is not available */
    public HostBackend(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        HostLibrary.require();
        this.threads = threads;
    }

    /** True when the host library is loaded in this JVM (see {@link HostLibrary#status()} for the reason if not). */
    public static boolean available() { return HostLibrary.status().available(); }

    @Override public String name() { return "host"; }
    @Override public int threads() { return threads; }
    @Override public String toString() { return "host x" + threads; }

    // ------------------------------------------------------------------ buffers

    static final class HostBuffer extends Buffer {
        final ByteBuffer keep; // the direct buffer owning the memory, or null for a native allocation
        final long addr;
        volatile boolean released; // set when the scope it was allocated in closed (its memory is pooled)

        @Override protected boolean released() { return released; }

        /** A buffer on recycled memory (the caller zero-fills it). */
        HostBuffer(Backend owner, int n, ByteBuffer recycled) {
            super(owner, n);
            keep = recycled;
            addr = HostNative.address(recycled);
        }

        HostBuffer(Backend owner, int n) {
            super(owner, n);
            if (n <= DIRECT_MAX) {
                ByteBuffer b = aligned(8L * n);
                keep = b;
                addr = HostNative.address(b);
            } else {
                long a = HostNative.allocate(8L * n);
                if (a == 0) throw new OutOfMemoryError("host backend: cannot allocate " + (8L * n >> 20) + " MiB of native memory");
                keep = null;
                addr = a;
                CLEANER.register(this, () -> HostNative.release(a));
            }
        }
    }

    static final class HostIndex extends Index {
        final ByteBuffer keep;
        final long addr;

        HostIndex(Backend owner, int[] a) {
            super(owner, a);
            ByteBuffer b = aligned(4L * a.length);
            b.asIntBuffer().put(a);
            keep = b;
            addr = HostNative.address(b);
        }
    }

    /** A direct buffer of at least n bytes starting at a 64-byte boundary (alignedSlice rounds the capacity down). */
    static ByteBuffer aligned(long n) {
        long cap = (n + 63) / 64 * 64 + 64;
        if (cap > Integer.MAX_VALUE) throw new IllegalArgumentException("host backend: table of " + n + " bytes is too large (max 2 GiB)");
        return ByteBuffer.allocateDirect((int) cap).alignedSlice(64).order(ByteOrder.nativeOrder());
    }

    private HostBuffer hb(Buffer b, String what) { return Checks.buffer(this, b, HostBuffer.class, what); }

    private HostIndex hi(Index i, String what) { return Checks.index(this, i, HostIndex.class, what); }

    /** Address of element off of b after checking that [off, off + n) lies inside it. */
    private long at(Buffer b, long off, long n, String what) {
        HostBuffer h = hb(b, what);
        Checks.range(h, off, n, what);
        return h.addr + 8 * off;
    }

    private long at(Buffer b, long n, String what) { return at(b, 0, n, what); }

    /** The links of u (checked to be on this backend). */
    private long links(GaugeField u) { return at(u.links(), u.size(), "gauge field"); }

    /** A site list whose entries all lie in [0, V). */
    private HostIndex sites(Index i, int V, String what) { return Checks.sites(this, i, HostIndex.class, V, what); }

    // ------------------------------------------------------------------ scopes: recycled temporaries

    /** Most bytes the pool keeps (beyond that, released memory is left to the garbage collector). */
    static final long POOL_MAX_BYTES = 1L << 30;
    /** Released direct buffers by length in doubles (only exact-length reuse: a step's temporaries recur exactly). */
    private final java.util.HashMap<Integer, java.util.ArrayDeque<ByteBuffer>> pool = new java.util.HashMap<>();
    private long pooledBytes;
    private final ThreadLocal<java.util.ArrayDeque<HostScope>> openScopes = ThreadLocal.withInitial(java.util.ArrayDeque::new);

    private final class HostScope implements Scope {
        final java.util.ArrayList<HostBuffer> owned = new java.util.ArrayList<>();
        boolean closed;

        @Override public void close() {
            if (closed) return;
            closed = true;
            java.util.ArrayDeque<HostScope> st = openScopes.get();
            if (st.peek() != this) throw new IllegalStateException("host backend: scopes closed out of order");
            st.pop();
            synchronized (pool) {
                for (HostBuffer h : owned) {
                    h.released = true;
                    long bytes = 8L * h.length();
                    if (h.keep == null || pooledBytes + bytes > POOL_MAX_BYTES) continue;
                    pool.computeIfAbsent(h.length(), k -> new java.util.ArrayDeque<>()).push(h.keep);
                    pooledBytes += bytes;
                }
            }
            owned.clear();
        }
    }

    @Override public Scope scope() {
        HostScope s = new HostScope();
        openScopes.get().push(s);
        return s;
    }

    /** Bytes currently held for reuse (tests). */
    long pooledBytes() { synchronized (pool) { return pooledBytes; } }

    @Override public Buffer alloc(int n) {
        HostBuffer h = null;
        if (n > 0 && n <= DIRECT_MAX) {
            ByteBuffer mem = null;
            synchronized (pool) {
                java.util.ArrayDeque<ByteBuffer> q = pool.get(n);
                if (q != null && !q.isEmpty()) { mem = q.pop(); pooledBytes -= 8L * n; }
            }
            if (mem != null) {
                h = new HostBuffer(this, n, mem);
                HostNative.fill(threads, h.addr, n, 0.0);
            }
        }
        if (h == null) h = new HostBuffer(this, n);
        HostScope s = openScopes.get().peek();
        if (s != null && h.keep != null) s.owned.add(h);
        return h;
    }

    @Override public void upload(double[] src, int sOff, Buffer dst, int dOff, int n) {
        if (sOff < 0 || n < 0 || sOff + n > src.length) throw new IllegalArgumentException("upload: source range outside the array");
        HostNative.upload(src, sOff, at(dst, dOff, n, "upload"), n);
    }

    @Override public void download(Buffer src, int sOff, double[] dst, int dOff, int n) {
        if (dOff < 0 || n < 0 || dOff + n > dst.length) throw new IllegalArgumentException("download: destination range outside the array");
        HostNative.download(at(src, sOff, n, "download"), dst, dOff, n);
    }

    @Override public void copy(Buffer src, int sOff, Buffer dst, int dOff, int n) {
        HostNative.copy(at(src, sOff, n, "copy source"), at(dst, dOff, n, "copy destination"), n);
    }

    @Override public void fill(Buffer b, int off, int n, double v) { HostNative.fill(threads, at(b, off, n, "fill"), n, v); }

    @Override public Index index(int[] host) { return new HostIndex(this, host); }

    @Override public void sync() {}

    // ------------------------------------------------------------------ geometry and stencils

    /** Geometry table of lat: [up d V][dn d V][even sites V/2][odd sites V/2] (cached). */
    private long geo(Lattice lat) {
        return geometry.computeIfAbsent(lat, l -> {
            int d = l.d, V = l.volume;
            int[] t = new int[2 * d * V + V];
            for (int mu = 0; mu < d; mu++)
                for (int x = 0; x < V; x++) {
                    t[mu * V + x] = l.up(mu, x);
                    t[(d + mu) * V + x] = l.dn(mu, x);
                }
            int[] n = {0, 0};
            int base = 2 * d * V;
            for (int x = 0; x < V; x++) {
                int p = l.parity(x);
                t[base + p * (V / 2) + n[p]++] = x;
            }
            return new HostIndex(this, t);
        }).addr;
    }

    /** shift[t V + s] of the k^d stencil on extents (cached); NnKernels.shifts' table. */
    private HostIndex stencil(int[] ext, int k) {
        return stencils.computeIfAbsent(Arrays.toString(ext) + "/" + k, key -> {
            int d = ext.length, V = volume(ext), r = (k - 1) / 2, T = taps(d, k);
            int[] sh = new int[T * V];
            int[] x = new int[d], a = new int[d];
            for (int t = 0; t < T; t++) {
                for (int i = 0, q = t; i < d; i++) { a[i] = q % k - r; q /= k; }
                for (int s = 0; s < V; s++) {
                    for (int i = 0, q = s; i < d; i++) { x[i] = q % ext[i]; q /= ext[i]; }
                    int site = 0;
                    for (int i = d - 1; i >= 0; i--) site = site * ext[i] + Math.floorMod(x[i] + a[i], ext[i]);
                    sh[t * V + s] = site;
                }
            }
            return new HostIndex(this, sh);
        });
    }

    private static int volume(int[] ext) {
        long v = 1;
        for (int e : ext) {
            if (e < 1) throw new IllegalArgumentException("conv: extents must be >= 1, got " + Arrays.toString(ext));
            v *= e;
        }
        if (v > Integer.MAX_VALUE) throw new IllegalArgumentException("conv: volume too large");
        return (int) v;
    }

    private static int taps(int d, int k) {
        if (k < 1 || (k & 1) == 0) throw new IllegalArgumentException("conv: kernel size must be odd and >= 1, got " + k);
        long t = 1;
        for (int i = 0; i < d; i++) t *= k;
        if (t > 1 << 20) throw new IllegalArgumentException("conv: stencil too large");
        return (int) t;
    }

    private static int planesOf(Lattice lat) { return lat.planes(); }

    private static boolean u1(Group g) { return g == Group.U1; }

    private static void checkDir(Lattice lat, int mu, String what) {
        if (mu < 0 || mu >= lat.d) throw new IllegalArgumentException(what + ": direction " + mu + " outside [0, " + lat.d + ")");
    }

    // ------------------------------------------------------------------ gauge observables and action

    @Override public void plaquettes(GaugeField u, Buffer out) {
        Lattice l = u.lattice;
        HostNative.plaquettes(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u),
                at(out, (long) u.batch * planesOf(l) * l.volume, "plaquettes out"));
    }

    @Override public void plaquetteAngles(GaugeField u, Buffer out) {
        if (u.group != Group.U1) throw new IllegalArgumentException("plaquette angles are defined for U1 only");
        Lattice l = u.lattice;
        HostNative.plaquetteAngles(threads, l.d, l.volume, geo(l), u.batch, links(u),
                at(out, (long) u.batch * planesOf(l) * l.volume, "plaquetteAngles out"));
    }

    @Override public void action(GaugeField u, double beta, Buffer out, int outOff) {
        Lattice l = u.lattice;
        HostNative.plaquetteReduce(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u),
                at(out, outOff, u.batch, "action out"), 1, -beta);
    }

    @Override public void meanPlaquette(GaugeField u, Buffer out, int outOff) {
        Lattice l = u.lattice;
        int n = l.volume * l.planes();
        HostNative.plaquetteReduce(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u),
                at(out, outOff, u.batch, "meanPlaquette out"), 0, n);
    }

    @Override public void staples(GaugeField u, int mu, Buffer out) {
        Lattice l = u.lattice;
        checkDir(l, mu, "staples");
        int sdof = u1(u.group) ? 2 : 18;
        HostNative.staples(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u), mu,
                at(out, (long) sdof * u.batch * l.volume, "staples out"));
    }

    @Override public void force(GaugeField u, double beta, Buffer out) {
        Lattice l = u.lattice;
        HostNative.force(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u), beta, at(out, u.size(), "force out"), 0);
    }

    @Override public void actionGradient(GaugeField u, double beta, Buffer g) {
        Lattice l = u.lattice;
        HostNative.force(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u), beta, at(g, u.size(), "actionGradient out"), 1);
    }

    // ------------------------------------------------------------------ gauge transformations, priors

    @Override public void gaugeTransform(GaugeField u, Buffer omega) {
        Lattice l = u.lattice;
        HostNative.gaugeTransform(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u),
                at(omega, (long) u.batch * l.volume * u.group.dof, "gaugeTransform omega"));
    }

    @Override public void haarLinks(GaugeField u, int domain, long seed, long step) {
        Lattice l = u.lattice;
        HostNative.haarLinks(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u), domain, seed, step);
    }

    @Override public void randomGauge(GaugeField u, int domain, long seed, long step) {
        Lattice l = u.lattice;
        HostNative.randomGauge(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u), domain, seed, step);
    }

    // ------------------------------------------------------------------ Markov-chain updates

    @Override public void heatbath(GaugeField u, double beta, long seed, long sweep) {
        Lattice l = u.lattice;
        HostNative.heatbath(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u), beta, seed, sweep);
    }

    @Override public void overrelax(GaugeField u, double beta, long seed, long sweep) {
        Lattice l = u.lattice;
        HostNative.overrelax(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u), beta);
    }

    @Override public void drawMomenta(Group g, Lattice lat, int batch, int domain, long seed, long step, Buffer p) {
        long links = (long) batch * lat.d * lat.volume;
        HostNative.drawMomenta(threads, u1(g), links, domain, seed, step, at(p, links * g.dof, "drawMomenta p"));
    }

    @Override public void kineticEnergy(Group g, Lattice lat, int batch, Buffer p, Buffer out, int outOff) {
        long per = (long) lat.d * lat.volume;
        HostNative.kineticEnergy(u1(g), batch, per, at(p, batch * per * g.dof, "kineticEnergy p"), at(out, outOff, batch, "kineticEnergy out"));
    }

    @Override public void updateLinks(GaugeField u, Buffer p, double c) {
        long links = u.size() / u.group.dof;
        HostNative.updateLinks(threads, u1(u.group), links, links(u), at(p, u.size(), "updateLinks p"), c);
    }

    @Override public void reunitarize(GaugeField u) {
        HostNative.reunitarize(threads, u1(u.group), u.size() / u.group.dof, links(u));
    }

    // ------------------------------------------------------------------ coupling layers

    private long frozen(Index frozen, Lattice l) {
        HostIndex h = hi(frozen, "frozen mask");
        if (h.length() < l.planes() * l.volume)
            throw new IllegalArgumentException("frozen mask has " + h.length() + " entries, expected planes*V = " + l.planes() * l.volume);
        return h.addr;
    }

    @Override public void loopFeatures(GaugeField u, Index frozen, Buffer out) {
        Lattice l = u.lattice;
        HostNative.loopFeatures(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u), frozen(frozen, l),
                at(out, (long) u.batch * 2 * l.planes() * l.volume, "loopFeatures out"));
    }

    @Override public void loopFeaturesBackward(GaugeField u, Index frozen, Buffer gFeat, Buffer gLinks) {
        Lattice l = u.lattice;
        HostNative.loopFeaturesBackward(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u), frozen(frozen, l),
                at(gFeat, (long) u.batch * 2 * l.planes() * l.volume, "loopFeaturesBackward gFeat"),
                at(gLinks, u.size(), "loopFeaturesBackward gLinks"));
    }

    private void checkPair(Lattice l, int mu, int nu, String what) {
        checkDir(l, mu, what);
        checkDir(l, nu, what);
        if (mu == nu) throw new IllegalArgumentException(what + ": mu and nu must differ");
    }

    /** The single-staple ops also take nu = ~n (-1 - n): the staple on the -n side (Backend#gatherActive). */
    private void checkStaplePair(Lattice l, int mu, int nu, String what) {
        checkPair(l, mu, nu < 0 ? ~nu : nu, what);
    }

    @Override public void gatherActive(GaugeField u, int mu, int nu, Index sites, Buffer w) {
        Lattice l = u.lattice;
        checkStaplePair(l, mu, nu, "gatherActive");
        HostIndex s = sites(sites, l.volume, "gatherActive sites");
        HostNative.gatherActive(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u), mu, nu, s.addr, s.length(),
                at(w, (long) u.batch * s.length() * u.group.dof, "gatherActive w"));
    }

    @Override public void scatterActive(GaugeField u, int mu, int nu, Index sites, Buffer wNew) {
        Lattice l = u.lattice;
        checkStaplePair(l, mu, nu, "scatterActive");
        HostIndex s = sites(sites, l.volume, "scatterActive sites");
        HostNative.scatterActive(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u), mu, nu, s.addr, s.length(),
                at(wNew, (long) u.batch * s.length() * u.group.dof, "scatterActive wNew"));
    }

    @Override public void scatterActiveBackward(GaugeField u, int mu, int nu, Index sites, Buffer wNew, Buffer gLinks, Buffer gW) {
        Lattice l = u.lattice;
        checkStaplePair(l, mu, nu, "scatterActiveBackward");
        HostIndex s = sites(sites, l.volume, "scatterActiveBackward sites");
        long n = (long) u.batch * s.length() * u.group.dof;
        HostNative.scatterActiveBackward(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u), mu, nu, s.addr, s.length(),
                at(wNew, n, "scatterActiveBackward wNew"), at(gLinks, u.size(), "scatterActiveBackward gLinks"),
                at(gW, n, "scatterActiveBackward gW"));
    }

    @Override public void gatherActiveBackward(GaugeField u, int mu, int nu, Index sites, Buffer wOld, Buffer gW, Buffer gLinks) {
        Lattice l = u.lattice;
        checkStaplePair(l, mu, nu, "gatherActiveBackward");
        HostIndex s = sites(sites, l.volume, "gatherActiveBackward sites");
        long n = (long) u.batch * s.length() * u.group.dof;
        HostNative.gatherActiveBackward(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u), mu, nu, s.addr, s.length(),
                at(wOld, n, "gatherActiveBackward wOld"), at(gW, n, "gatherActiveBackward gW"),
                at(gLinks, u.size(), "gatherActiveBackward gLinks"));
    }

    // ------------------------------------------------------------------ link flows

    /** Number of raw doubles from rOff that the elements [0, n) read: 1 + the largest parameter offset. */
    private static long rawExtent(int n, int m, int rB, int params) {
        if (n == 0) return 0;
        long last = (long) ((n - 1) / m) * rB + (long) (params - 1) * m + (n - 1) % m;
        long prev = (n - 1) / m > 0 ? (long) ((n - 1) / m - 1) * rB + (long) (params - 1) * m + (m - 1) : -1;
        return Math.max(last, prev) + 1;
    }

    private void checkFlow(LinkFlow f, int n, int m, int rOff, int rB, String what) {
        if (f.components > MAX_COMPONENTS)
            throw new IllegalArgumentException(what + ": the host backend supports link flows with at most " + MAX_COMPONENTS
                    + " components, got " + f.name());
        if (n < 0 || m < 1 || rOff < 0 || rB < 0) throw new IllegalArgumentException(what + ": bad sizes n=" + n + " m=" + m + " rOff=" + rOff + " rB=" + rB);
        if (f.kind == LinkFlow.Kind.RQS && f.components < 2) throw new IllegalArgumentException("circular spline needs >= 2 bins");
    }

    @Override public void linkFlowForward(LinkFlow f, int n, int m, Buffer w, Buffer raw, int rOff, int rB, Buffer wOut, Buffer logJ) {
        linkFlow(f, n, m, w, raw, rOff, rB, wOut, logJ, false, "linkFlowForward");
    }

    @Override public void linkFlowInverse(LinkFlow f, int n, int m, Buffer wPrime, Buffer raw, int rOff, int rB, Buffer wOut, Buffer logJ) {
        linkFlow(f, n, m, wPrime, raw, rOff, rB, wOut, logJ, true, "linkFlowInverse");
    }

    private void linkFlow(LinkFlow f, int n, int m, Buffer w, Buffer raw, int rOff, int rB, Buffer wOut, Buffer logJ, boolean inv, String what) {
        checkFlow(f, n, m, rOff, rB, what);
        int dof = f.isU1() ? 1 : 18;
        HostNative.linkFlow(threads, f.kind.ordinal(), f.components, n, m, at(w, (long) n * dof, what + " w"),
                at(raw, rOff, rawExtent(n, m, rB, f.paramsPerElement()), what + " raw"), rB,
                at(wOut, (long) n * dof, what + " out"), at(logJ, n, what + " logJ"), inv);
    }

    @Override public void linkFlowBackward(LinkFlow f, int n, int m, Buffer w, Buffer raw, int rOff, int rB, Buffer gOut,
                                           Buffer gLogJ, Buffer gW, Buffer gRaw) {
        checkFlow(f, n, m, rOff, rB, "linkFlowBackward");
        int dof = f.isU1() ? 1 : 18;
        long ext = rawExtent(n, m, rB, f.paramsPerElement());
        HostNative.linkFlowBackward(threads, f.kind.ordinal(), f.components, n, m, at(w, (long) n * dof, "linkFlowBackward w"),
                at(raw, rOff, ext, "linkFlowBackward raw"), rB, at(gOut, (long) n * dof, "linkFlowBackward gOut"),
                at(gLogJ, n, "linkFlowBackward gLogJ"), at(gW, (long) n * dof, "linkFlowBackward gW"),
                at(gRaw, rOff, ext, "linkFlowBackward gRaw"));
    }

    // ------------------------------------------------------------------ networks

    @Override public void conv(int[] extents, int nb, int cin, int cout, int k, Buffer x, Buffer wts, int wOff, int bOff, Index outSites, Buffer y) {
        int V = volume(extents), T = taps(extents.length, k), K = cin * T;
        HostIndex sh = stencil(extents, k);
        HostIndex s = outSites == null ? null : sites(outSites, V, "conv outSites");
        int M = s == null ? V : s.length();
        HostNative.conv(threads, V, T, sh.addr, nb, cin, cout, at(x, (long) nb * cin * V, "conv x"),
                at(wts, wOff, (long) cout * K, "conv weights"), at(wts, bOff, cout, "conv bias"), s == null ? 0 : s.addr, M,
                at(y, (long) nb * cout * M, "conv y"));
    }

    @Override public void convBackward(int[] extents, int nb, int cin, int cout, int k, Buffer x, Buffer wts, int wOff, Index outSites,
                                       Buffer dy, Buffer dx, Buffer grads, int gwOff, int gbOff) {
        int V = volume(extents), T = taps(extents.length, k), K = cin * T;
        HostIndex sh = stencil(extents, k);
        HostIndex s = outSites == null ? null : sites(outSites, V, "convBackward outSites");
        int M = s == null ? V : s.length();
        int cb = (int) Math.max(1, Math.min(nb, COL_LIMIT / Math.max(1L, (long) K * M)));
        HostNative.convBackward(threads, V, T, sh.addr, nb, cin, cout, at(x, (long) nb * cin * V, "convBackward x"),
                at(wts, wOff, (long) cout * K, "convBackward weights"), s == null ? 0 : s.addr, M,
                at(dy, (long) nb * cout * M, "convBackward dy"), dx == null ? 0 : at(dx, (long) nb * cin * V, "convBackward dx"),
                at(grads, gwOff, (long) cout * K, "convBackward weight gradients"), at(grads, gbOff, cout, "convBackward bias gradients"),
                cb, K < SAXPY_K);
    }

    @Override public void activation(Act a, int n, Buffer x, Buffer y) {
        HostNative.activation(threads, a.ordinal(), n, at(x, n, "activation x"), at(y, n, "activation y"));
    }

    @Override public void activationBackward(Act a, int n, Buffer x, Buffer dy, Buffer dx) {
        HostNative.activationBackward(threads, a.ordinal(), n, at(x, n, "activationBackward x"), at(dy, n, "activationBackward dy"),
                at(dx, n, "activationBackward dx"));
    }

    // ------------------------------------------------------------------ optimiser and reductions

    @Override public void adamStep(int n, Buffer p, Buffer g, Buffer m, Buffer v, double lr, double b1, double b2, double eps, double wd, long t) {
        double c1 = 1 - Math.pow(b1, t), c2 = 1 - Math.pow(b2, t); // Java's pow, as the reference
        HostNative.adam(threads, n, at(p, n, "adam p"), at(g, n, "adam g"), at(m, n, "adam m"), at(v, n, "adam v"), lr, b1, b2, eps, wd, c1, c2);
    }

    @Override public void scale(Buffer x, int off, int n, double s) { HostNative.scale(threads, at(x, off, n, "scale"), n, s); }

    @Override public double sum(Buffer x, int off, int n) { return HostNative.sum(at(x, off, n, "sum"), n); }

    @Override public double sumSquares(Buffer x, int off, int n) { return HostNative.sumSquares(at(x, off, n, "sumSquares"), n); }

    @Override public void sumRows(int nb, int m, Buffer x, Buffer out, boolean accumulate) {
        HostNative.sumRows(threads, nb, m, at(x, (long) nb * m, "sumRows x"), at(out, nb, "sumRows out"), accumulate);
    }

    @Override public void broadcastRows(int nb, int m, Buffer x, Buffer out) {
        HostNative.broadcastRows(threads, nb, m, at(x, nb, "broadcastRows x"), at(out, (long) nb * m, "broadcastRows out"));
    }

    @Override public void axpy(int n, double a, Buffer x, int xOff, Buffer y, int yOff) {
        HostNative.axpy(threads, n, a, at(x, xOff, n, "axpy x"), at(y, yOff, n, "axpy y"));
    }

    @Override public double logSumExp(Buffer x, int off, int n) { return HostNative.logSumExp(at(x, off, n, "logSumExp"), n); }

    @Override public double maxAbs(Buffer x, int off, int n) { return HostNative.maxAbs(at(x, off, n, "maxAbs"), n); }

    // ------------------------------------------------------------------ multiscale doubling (native/host_multiscale.cpp)

    /**
     * Seam ops that do not run natively on this backend (each would copy its operands to the CPU reference and back);
     * `mflow info` lists them. Empty: the ten multiscale-doubling ops (split / merge / split backward, midpoint gather /
     * scatter and both backwards, the U(1) base forward / inverse / backward) are native (kernels/multiscale.cuh).
     */
    public static final java.util.List<String> NOT_NATIVE = java.util.List.of();

    /** Checks that fine is coarse's group and batch on the coarse lattice with extent mu doubled. */
    private static void checkDoubling(GaugeField coarse, GaugeField fine, int mu, String what) {
        Lattice lc = coarse.lattice, lf = fine.lattice;
        checkDir(lc, mu, what);
        if (fine.group != coarse.group) throw new IllegalArgumentException(what + ": fine field is " + fine.group + ", coarse " + coarse.group);
        if (fine.batch != coarse.batch) throw new IllegalArgumentException(what + ": fine batch " + fine.batch + " != coarse batch " + coarse.batch);
        int[] e = lc.extents();
        e[mu] *= 2;
        if (!Arrays.equals(e, lf.extents()))
            throw new IllegalArgumentException(what + ": fine lattice " + lf + " is not the coarse lattice " + lc + " with extent " + mu + " doubled");
    }

    /** The coarse field's second field r: same group, lattice and batch. */
    private static void checkSame(GaugeField c, GaugeField r, String what) {
        if (r.group != c.group || !r.lattice.equals(c.lattice) || r.batch != c.batch)
            throw new IllegalArgumentException(what + ": R (" + r.group + " " + r.lattice + " x" + r.batch + ") does not match the coarse field ("
                    + c.group + " " + c.lattice + " x" + c.batch + ")");
    }

    /** A coarse-site list (even or fresh): exactly vc fine sites in [0, 2 vc). */
    private HostIndex doublingSites(Index i, int vc, String what) {
        HostIndex h = sites(i, 2 * vc, what);
        if (h.length() != vc) throw new IllegalArgumentException(what + ": " + h.length() + " sites, expected the coarse volume " + vc);
        return h;
    }

    @Override public void doublingSplit(GaugeField coarse, GaugeField r, int mu, Index even, Index fresh, GaugeField fine) {
        checkDoubling(coarse, fine, mu, "doublingSplit");
        checkSame(coarse, r, "doublingSplit");
        Lattice l = coarse.lattice;
        HostIndex ev = doublingSites(even, l.volume, "doublingSplit even"), fr = doublingSites(fresh, l.volume, "doublingSplit fresh");
        HostNative.doublingSplit(threads, l.d, l.volume, coarse.batch, u1(coarse.group), mu, links(coarse), links(r), ev.addr, fr.addr, links(fine));
    }

    @Override public void doublingMerge(GaugeField fine, int mu, Index even, Index fresh, GaugeField coarse) {
        checkDoubling(coarse, fine, mu, "doublingMerge");
        Lattice l = coarse.lattice;
        HostIndex ev = doublingSites(even, l.volume, "doublingMerge even"), fr = doublingSites(fresh, l.volume, "doublingMerge fresh");
        HostNative.doublingMerge(threads, l.d, l.volume, coarse.batch, u1(coarse.group), mu, links(fine), ev.addr, fr.addr, links(coarse));
    }

    @Override public void doublingSplitBackward(GaugeField r, int mu, Index even, Index fresh, Buffer gFine, Buffer gCoarse) {
        Lattice l = r.lattice;
        checkDir(l, mu, "doublingSplitBackward");
        HostIndex ev = doublingSites(even, l.volume, "doublingSplitBackward even");
        doublingSites(fresh, l.volume, "doublingSplitBackward fresh");
        HostNative.doublingSplitBackward(threads, l.d, l.volume, r.batch, u1(r.group), mu, links(r), ev.addr,
                at(gFine, 2L * r.size(), "doublingSplitBackward gFine"), at(gCoarse, r.size(), "doublingSplitBackward gCoarse"));
    }

    @Override public void gatherMidpoint(GaugeField u, int mu, int nu, Index sites, Buffer w) {
        Lattice l = u.lattice;
        checkPair(l, mu, nu, "gatherMidpoint");
        HostIndex s = sites(sites, l.volume, "gatherMidpoint sites");
        HostNative.gatherMidpoint(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u), mu, nu, s.addr, s.length(),
                at(w, (long) u.batch * s.length() * u.group.dof, "gatherMidpoint w"));
    }

    @Override public void scatterMidpoint(GaugeField u, int mu, int nu, Index sites, Buffer wNew) {
        Lattice l = u.lattice;
        checkPair(l, mu, nu, "scatterMidpoint");
        HostIndex s = sites(sites, l.volume, "scatterMidpoint sites");
        HostNative.scatterMidpoint(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u), mu, nu, s.addr, s.length(),
                at(wNew, (long) u.batch * s.length() * u.group.dof, "scatterMidpoint wNew"));
    }

    @Override public void scatterMidpointBackward(GaugeField u, int mu, int nu, Index sites, Buffer wNew, Buffer gLinks, Buffer gW) {
        Lattice l = u.lattice;
        checkPair(l, mu, nu, "scatterMidpointBackward");
        HostIndex s = sites(sites, l.volume, "scatterMidpointBackward sites");
        long n = (long) u.batch * s.length() * u.group.dof;
        HostNative.scatterMidpointBackward(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u), mu, nu, s.addr, s.length(),
                at(wNew, n, "scatterMidpointBackward wNew"), at(gLinks, u.size(), "scatterMidpointBackward gLinks"),
                at(gW, n, "scatterMidpointBackward gW"));
    }

    @Override public void gatherMidpointBackward(GaugeField u, int mu, int nu, Index sites, Buffer wOld, Buffer gW, Buffer gLinks) {
        Lattice l = u.lattice;
        checkPair(l, mu, nu, "gatherMidpointBackward");
        HostIndex s = sites(sites, l.volume, "gatherMidpointBackward sites");
        long n = (long) u.batch * s.length() * u.group.dof;
        HostNative.gatherMidpointBackward(threads, l.d, l.volume, geo(l), u.batch, u1(u.group), links(u), mu, nu, s.addr, s.length(),
                at(wOld, n, "gatherMidpointBackward wOld"), at(gW, n, "gatherMidpointBackward gW"),
                at(gLinks, u.size(), "gatherMidpointBackward gLinks"));
    }

    /** Sizes and the coupling of the U(1) base (betaA >= 0 finite: an effective coupling). */
    private static void checkBase(double betaA, int n, int m, int fOff, int fB, int rOff, int rB, String what) {
        if (!(betaA >= 0) || Double.isInfinite(betaA)) throw new IllegalArgumentException(what + ": betaA must be finite and >= 0, got " + betaA);
        if (n < 0 || m < 1 || fOff < 0 || fB < 0 || rOff < 0 || rB < 0)
            throw new IllegalArgumentException(what + ": bad sizes n=" + n + " m=" + m + " fOff=" + fOff + " fB=" + fB + " rOff=" + rOff + " rB=" + rB);
    }

    @Override public void u1BaseForward(boolean logistic, double betaA, int n, int m, Buffer x, Buffer feat, int fOff, int fB,
                                        Buffer raw, int rOff, int rB, Buffer y, Buffer logJ) {
        u1Base(logistic, betaA, n, m, x, feat, fOff, fB, raw, rOff, rB, y, logJ, false, "u1BaseForward");
    }

    @Override public void u1BaseInverse(boolean logistic, double betaA, int n, int m, Buffer y, Buffer feat, int fOff, int fB,
                                        Buffer raw, int rOff, int rB, Buffer x, Buffer logJ) {
        u1Base(logistic, betaA, n, m, y, feat, fOff, fB, raw, rOff, rB, x, logJ, true, "u1BaseInverse");
    }

    private void u1Base(boolean logistic, double betaA, int n, int m, Buffer in, Buffer feat, int fOff, int fB, Buffer raw, int rOff, int rB,
                        Buffer out, Buffer logJ, boolean inverse, String what) {
        checkBase(betaA, n, m, fOff, fB, rOff, rB, what);
        HostNative.u1Base(threads, logistic, betaA, n, m, at(in, n, what + (inverse ? " y" : " x")),
                at(feat, fOff, rawExtent(n, m, fB, 1), what + " feat"), fB, at(raw, rOff, rawExtent(n, m, rB, 1), what + " raw"), rB,
                at(out, n, what + (inverse ? " x" : " y")), at(logJ, n, what + " logJ"), inverse);
    }

    @Override public void u1BaseBackward(boolean logistic, double betaA, int n, int m, Buffer x, Buffer feat, int fOff, int fB,
                                         Buffer raw, int rOff, int rB, Buffer gY, Buffer gLogJ, Buffer gX, Buffer gFeat, Buffer gRaw) {
        String what = "u1BaseBackward";
        checkBase(betaA, n, m, fOff, fB, rOff, rB, what);
        long fe = rawExtent(n, m, fB, 1), re = rawExtent(n, m, rB, 1);
        HostNative.u1BaseBackward(threads, logistic, betaA, n, m, at(x, n, what + " x"), at(feat, fOff, fe, what + " feat"), fB,
                at(raw, rOff, re, what + " raw"), rB, at(gY, n, what + " gY"), at(gLogJ, n, what + " gLogJ"), at(gX, n, what + " gX"),
                at(gFeat, fOff, fe, what + " gFeat"), at(gRaw, rOff, re, what + " gRaw"));
    }
}
