package org.mflowhpc.backend.host;

/**
 * The JNI entry points of the host library (native/*.cpp over kernels/*.cuh), one per seam op or family member.
 * Package-private: only {@link HostBackend} calls them, after checking every buffer's owner and bounds, so the native
 * side can take raw addresses ({@code long}, already offset to the first element an op touches) and trust sizes.
 *
 * <p>Conventions of the arguments: {@code nt} = OpenMP threads for this call; {@code d, V, geo} = dimensions, volume
 * and the address of the lattice's geometry table (int[] [up d V][dn d V][even sites V/2][odd sites V/2], see
 * {@link HostBackend}); {@code u1} = group U(1) (else SU(3)); buffers are float64 arrays in the layouts of
 * {@link org.mflowhpc.backend.Backend}. Compiling with {@code javac -h} generates the C header that native/host.hpp
 * includes, so a signature that differs between this file and the C++ definitions fails the native build.
 */
final class HostNative {
    private HostNative() {}

    // ------------------------------------------------------------------ memory, self-description
    static native long address(java.nio.ByteBuffer directBuffer);
    /** 64-byte aligned, zero-filled native memory of n bytes (0 when out of memory); freed by {@link #release}. */
    static native long allocate(long n);
    static native void release(long addr);
    static native void upload(double[] src, int sOff, long dst, int n);
    static native void download(long src, double[] dst, int dOff, int n);
    static native void copy(long src, long dst, long n);
    static native void fill(int nt, long dst, long n, double v);
    static native String buildInfo();
    /** Philox-4x32-10 of ctr[0..3] under key[0..1] into out[0..3] (kernels/philox.cuh; tests compare it with rng/). */
    static native void philox(int[] ctr, int[] key, int[] out);
    /**
     * The first n draws of the stream Rng(seed, domain, step, site) into out: kind 0 uniform(), 1 gaussian(), 2 angle(),
     * 3 nextInt() (as a double).
     */
    static native void stream(long seed, int domain, long step, long site, int kind, int n, double[] out);

    // ------------------------------------------------------------------ gauge (native/host_gauge.cpp)
    static native void plaquettes(int nt, int d, int V, long geo, int batch, boolean u1, long f, long out);
    static native void plaquetteAngles(int nt, int d, int V, long geo, int batch, long f, long out);
    /** mode 0: out[b] = s_b / c (mean plaquette); mode 1: out[b] = c s_b (action, c = -beta). */
    static native void plaquetteReduce(int nt, int d, int V, long geo, int batch, boolean u1, long f, long out, int mode, double c);
    static native void staples(int nt, int d, int V, long geo, int batch, boolean u1, long f, int mu, long out);
    /** mode 0: force; mode 1: Euclidean action gradient. */
    static native void force(int nt, int d, int V, long geo, int batch, boolean u1, long f, double beta, long out, int mode);
    static native void gaugeTransform(int nt, int d, int V, long geo, int batch, boolean u1, long f, long omega);
    static native void haarLinks(int nt, int d, int V, long geo, int batch, boolean u1, long f, int domain, long seed, long step);
    static native void randomGauge(int nt, int d, int V, long geo, int batch, boolean u1, long f, int domain, long seed, long step);

    // ------------------------------------------------------------------ updates (native/host_updates.cpp)
    static native void heatbath(int nt, int d, int V, long geo, int batch, boolean u1, long f, double beta, long seed, long sweep);
    static native void overrelax(int nt, int d, int V, long geo, int batch, boolean u1, long f, double beta);
    static native void drawMomenta(int nt, boolean u1, long links, int domain, long seed, long step, long p);
    static native void kineticEnergy(boolean u1, int batch, long perConfig, long p, long out);
    static native void updateLinks(int nt, boolean u1, long links, long f, long p, double c);
    static native void reunitarize(int nt, boolean u1, long links, long f);

    // ------------------------------------------------------------------ coupling layers (native/host_coupling.cpp)
    static native void loopFeatures(int nt, int d, int V, long geo, int batch, boolean u1, long f, long frozen, long out);
    static native void loopFeaturesBackward(int nt, int d, int V, long geo, int batch, boolean u1, long f, long frozen, long gFeat, long gLinks);
    static native void gatherActive(int nt, int d, int V, long geo, int batch, boolean u1, long f, int mu, int nu, long sites, int m, long w);
    static native void scatterActive(int nt, int d, int V, long geo, int batch, boolean u1, long f, int mu, int nu, long sites, int m, long w);
    static native void scatterActiveBackward(int nt, int d, int V, long geo, int batch, boolean u1, long f, int mu, int nu, long sites, int m,
                                             long wNew, long gLinks, long gW);
    static native void gatherActiveBackward(int nt, int d, int V, long geo, int batch, boolean u1, long f, int mu, int nu, long sites, int m,
                                            long wOld, long gW, long gLinks);

    // ------------------------------------------------------------------ multiscale doubling (native/host_multiscale.cpp)
    /** vc = coarse volume (the fine field has 2 vc sites per direction and configuration); even, fresh: vc sites each. */
    static native void doublingSplit(int nt, int d, int vc, int batch, boolean u1, int mu, long coarse, long r, long even, long fresh, long fine);
    static native void doublingMerge(int nt, int d, int vc, int batch, boolean u1, int mu, long fine, long even, long fresh, long coarse);
    static native void doublingSplitBackward(int nt, int d, int vc, int batch, boolean u1, int mu, long r, long even, long gFine, long gCoarse);
    /** d, V, geo: the fine lattice. */
    static native void gatherMidpoint(int nt, int d, int V, long geo, int batch, boolean u1, long f, int mu, int nu, long sites, int m, long w);
    static native void scatterMidpoint(int nt, int d, int V, long geo, int batch, boolean u1, long f, int mu, int nu, long sites, int m, long w);
    static native void scatterMidpointBackward(int nt, int d, int V, long geo, int batch, boolean u1, long f, int mu, int nu, long sites, int m,
                                               long wNew, long gLinks, long gW);
    static native void gatherMidpointBackward(int nt, int d, int V, long geo, int batch, boolean u1, long f, int mu, int nu, long sites, int m,
                                              long wOld, long gW, long gLinks);
    /** feat and raw already offset by fOff and rOff; inverse: in = y, out = x. */
    static native void u1Base(int nt, boolean logistic, double betaA, int n, int m, long in, long feat, int fB, long raw, int rB,
                              long out, long logJ, boolean inverse);
    /** feat, gFeat offset by fOff; raw, gRaw by rOff. */
    static native void u1BaseBackward(int nt, boolean logistic, double betaA, int n, int m, long x, long feat, int fB, long raw, int rB,
                                      long gY, long gLogJ, long gX, long gFeat, long gRaw);

    // ------------------------------------------------------------------ link flows (native/host_flows.cpp); kind = LinkFlow.Kind ordinal
    static native void linkFlow(int nt, int kind, int k, int n, int m, long w, long raw, int rB, long out, long logJ, boolean inverse);
    static native void linkFlowBackward(int nt, int kind, int k, int n, int m, long w, long raw, int rB, long gOut, long gLogJ, long gW, long gRaw);

    // ------------------------------------------------------------------ networks (native/host_nn.cpp)
    static native void conv(int nt, int V, int T, long shift, int nb, int cin, int cout, long x, long w, long bias, long sites, int m, long y);
    static native void convBackward(int nt, int V, int T, long shift, int nb, int cin, int cout, long x, long w, long sites, int m,
                                    long dy, long dx, long gw, long gb, int cb, boolean dotForm);
    static native void activation(int nt, int act, int n, long x, long y);
    static native void activationBackward(int nt, int act, int n, long x, long dy, long dx);
    static native void adam(int nt, int n, long p, long g, long m, long v, double lr, double b1, double b2, double eps, double wd, double c1, double c2);

    // ------------------------------------------------------------------ reductions (native/host_memory.cpp)
    static native void scale(int nt, long x, long n, double s);
    static native void axpy(int nt, long n, double a, long x, long y);
    static native double sum(long x, long n);
    static native double sumSquares(long x, long n);
    static native double logSumExp(long x, long n);
    static native double maxAbs(long x, long n);
    static native void sumRows(int nt, int nb, int m, long x, long out, boolean accumulate);
    static native void broadcastRows(int nt, int nb, int m, long x, long out);
}
