package org.mflowhpc.backend.cuda;

import static jcuda.driver.JCudaDriver.*;

import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.IntBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.Checks;
import org.mflowhpc.backend.Index;
import org.mflowhpc.backend.LinkFlow;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;

/**
 * Backend {@code cuda}: every op of the seam on one NVIDIA GPU through the CUDA driver API (JCuda), running the
 * device kernels of kernels/*.cu, which call the same per-site {@code __host__ __device__} functions as the host
 * backend; float64 throughout.
 *
 * <p><b>Device code.</b> One module per kernel family, loaded once at construction: {@code cuModuleLoadData} of
 * {@code /org/mflowhpc/kernels/<family>.fatbin} from the jar (sm_80 and sm_90 SASS, compute_90 PTX), and when the
 * driver rejects it, of {@code <family>.ptx} (compute_75, JIT-compiled by the driver). When neither loads the
 * constructor fails with one line naming the family, both errors, the driver's CUDA version and kernel-module version
 * and the toolkit that built the code. Every function of {@link Kernel} is resolved then (a missing one fails the
 * load). Launches: grid-stride kernels over the op's items, {@link Kernel}'s block size clamped to what the function
 * can run, grids capped at a multiple of the multiprocessor count.
 *
 * <p><b>Results.</b> Ops whose kernels are the shared per-site functions (everything but the reductions and the
 * convolution) compute what the host backend computes: bit for bit where only +, -, *, /, sqrt are involved (device
 * code is built with -fmad=false), to an ulp-level tolerance where CUDA's libdevice replaces the C library's
 * transcendentals. Sums over many elements (sum, sumSquares, logSumExp, rows longer than 256, action and mean
 * plaquette on lattices with more than 256 plaquettes, kinetic energy, bias gradients) are fixed-shape tree
 * reductions: deterministic run to run, equal to the sequential sums to rounding. The convolution runs as im2col +
 * GEMM (the reference's own algorithm) with fused multiply-adds inside the GEMM tiles, so it agrees to rounding;
 * {@code MFLOW_CUDA_CONV=direct} selects the direct-form kernels instead (the reference's accumulation order: bit for
 * bit, slower). Philox streams (Haar links, momenta, heatbath) are the Java ones word for word.
 *
 * <p><b>GEMM.</b> cuBLAS (JCublas2, {@code cublasDgemm} on the backend's stream) where libcublas.so.12 loads, else
 * the in-house tiled kernels of kernels/nn.cu (64x64 or 16x128 tiles, split-K with a deterministic reduction for
 * long sums; a node with only CUDA 13 libraries takes this path). {@code MFLOW_CUDA_GEMM=inhouse|cublas} forces one.
 *
 * <p><b>Memory.</b> A {@link Buffer} is a device allocation ({@code cuMemAlloc}), zero-filled on the stream; all
 * work is ordered on one stream of the device's primary context. Temporaries allocated inside
 * {@link Backend#scope()} go back to a pool when the scope closes (exact-length reuse; {@link DeviceMemory}), buffers
 * outside a scope when they become unreachable (a Cleaner queues them, the next allocation recycles them); ops' own
 * scratch (reduction partials, im2col columns, GEMM workspace) comes from the same pool. Host transfers go through two
 * pinned staging halves of {@value #STAGE_DOUBLES} doubles (copy into pinned memory, asynchronous copy, event), so
 * upload returns once the data is staged and download synchronises. Out of device memory: the pool is freed, the
 * collector asked, the allocation retried, then {@link DeviceOutOfMemoryException} (one line, exit 2 in the CLI).
 * Every op checks buffer ownership and bounds in Java before it passes raw device addresses (IllegalArgumentException).
 *
 * <p><b>Errors.</b> Every driver call's result goes through {@link Cu#check}; asynchronous faults surface at the next
 * synchronising call. {@code MFLOW_CUDA_SYNC=1} synchronises after every launch so a fault names its kernel (the
 * selfcheck does this in its contract phase).
 *
 * <p><b>Multiscale doubling.</b> The ten multiscale-doubling ops run the kernels of kernels/multiscale.cu like every other
 * op ({@link #NOT_NATIVE} is empty); the U(1) base backward runs on one thread when its parameter rows overlap.
 *
 * <p>JCuda's native libraries are unpacked into a private per-process directory ({@link CudaNatives}).
 * {@code MFLOW_CUDA_DEVICE=N} selects the device ordinal (default 0).
 */
public final class CudaBackend implements Backend {
    private static final Cleaner CLEANER = Cleaner.create();
    /** Largest number of flow components / spline bins the kernels support (kernels/core.cuh MAXK). */
    public static final int MAX_COMPONENTS = 32;
    /** Doubles per pinned staging half (8 MiB). */
    static final int STAGE_DOUBLES = 1 << 20;
    /** Reference chunking of convolution columns (NnKernels.COL_LIMIT) and the dot-form threshold (SAXPY_K). */
    private static final int COL_LIMIT = 1 << 24, SAXPY_K = 32;
    /** Rows up to this length are summed serially by one thread (bit-identical to the reference). */
    static final int SERIAL_ROW = 256;

    /** Seam ops that run through the CPU reference with a host round trip: none (kept for `mflow info` and docs). */
    public static final List<String> NOT_NATIVE = List.of();

    // ------------------------------------------------------------------ device facts

    /** Device ordinal, name, compute capability, multiprocessors, memory, driver CUDA version (e.g. 13000). */
    public final int ordinal;
    public final String deviceName;
    public final int ccMajor, ccMinor, multiprocessors;
    public final long totalMemory;
    public final int driverVersion;
    /** Per family: "fatbin" or "ptx (JIT)". */
    private final java.util.Map<String, String> moduleSource = new java.util.TreeMap<>();

    private final CUdevice dev = new CUdevice();
    private final CUcontext ctx = new CUcontext();
    private final CUstream stream = new CUstream();
    private final EnumMap<Kernel, Fn> fns = new EnumMap<>(Kernel.class);
    private final List<CUmodule> modules = new ArrayList<>();
    private final DeviceMemory mem;
    private final boolean syncEach, directConv;
    private final CudaGemm gemm;
    private volatile boolean closed;
    private long launches;

    /** A resolved kernel: function handle, block size, grid cap and its resource attributes. */
    static final class Fn {
        final Kernel k;
        final CUfunction fn;
        final int block, maxGrid, regs, localBytes, maxThreads;

        Fn(Kernel k, CUfunction fn, int block, int maxGrid, int regs, int localBytes, int maxThreads) {
            this.k = k;
            this.fn = fn;
            this.block = block;
            this.maxGrid = maxGrid;
            this.regs = regs;
            this.localBytes = localBytes;
            this.maxThreads = maxThreads;
        }
    }

    /** A device pointer whose raw address can be read (JCuda keeps it in a protected field). */
    static final class DevPtr extends CUdeviceptr {
        long address() { return getNativePointer() + getByteOffset(); }
    }

    /** @throws IllegalStateException with a one-line reason when no GPU, driver or loadable device code is present */
    public CudaBackend() {
        CudaNatives.Status ns = CudaNatives.driver();
        if (!ns.loaded()) throw new IllegalStateException("cuda backend unavailable: " + ns.detail() + driverHint());
        JCudaDriver.setExceptionsEnabled(false);
        int r = cuInit(0);
        if (r != CUresult.CUDA_SUCCESS) throw new IllegalStateException("cuda backend unavailable: cuInit: " + Cu.describe(r) + driverHint());
        int[] n = {0};
        Cu.check(cuDeviceGetCount(n), "cuDeviceGetCount");
        String env = System.getenv("MFLOW_CUDA_DEVICE");
        int ord = 0;
        if (env != null && !env.isBlank()) {
            try {
                ord = Integer.parseInt(env.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("MFLOW_CUDA_DEVICE must be a device number, got '" + env + "'");
            }
        }
        if (n[0] == 0) throw new IllegalStateException("cuda backend unavailable: the driver sees no CUDA device");
        if (ord < 0 || ord >= n[0]) throw new IllegalArgumentException("MFLOW_CUDA_DEVICE=" + ord + " but the driver sees " + n[0] + " device(s)");
        ordinal = ord;
        Cu.check(cuDeviceGet(dev, ord), "cuDeviceGet");
        byte[] name = new byte[256];
        Cu.check(cuDeviceGetName(name, name.length, dev), "cuDeviceGetName");
        int len = 0;
        while (len < name.length && name[len] != 0) len++;
        deviceName = new String(name, 0, len, java.nio.charset.StandardCharsets.US_ASCII);
        ccMajor = attr(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        ccMinor = attr(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        multiprocessors = attr(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        long[] tm = {0};
        Cu.check(cuDeviceTotalMem(tm, dev), "cuDeviceTotalMem");
        totalMemory = tm[0];
        int[] dv = {0};
        Cu.check(cuDriverGetVersion(dv), "cuDriverGetVersion");
        driverVersion = dv[0];
        Cu.check(cuDevicePrimaryCtxRetain(ctx, dev), "cuDevicePrimaryCtxRetain");
        boolean ok = false;
        try {
            Cu.check(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
            Cu.check(cuStreamCreate(stream, CUstream_flags.CU_STREAM_DEFAULT), "cuStreamCreate");
            loadModules();
            staging = new Staging();
            long[] free = {0}, total = {0};
            Cu.check(cuMemGetInfo(free, total), "cuMemGetInfo");
            mem = new DeviceMemory(new Alloc(), Math.min(8L << 30, free[0] / 4));
            syncEach = "1".equals(System.getenv("MFLOW_CUDA_SYNC"));
            directConv = "direct".equalsIgnoreCase(System.getenv("MFLOW_CUDA_CONV"));
            gemm = new CudaGemm(this);
            ok = true;
        } finally {
            if (!ok) cuDevicePrimaryCtxRelease(dev);
        }
        CURRENT.set(this);
    }

    private int attr(int a) {
        int[] v = {0};
        Cu.check(cuDeviceGetAttribute(v, a, dev), "cuDeviceGetAttribute " + a);
        return v[0];
    }

    /** " (driver ...)" when the kernel module's version is readable, else "". */
    private static String driverHint() {
        String k = kernelDriverVersion();
        return k == null ? "" : " (NVIDIA kernel module " + k + ")";
    }

    /** The NVIDIA kernel module version, or null (see {@link CudaNatives#kernelDriverVersion()}). */
    public static String kernelDriverVersion() { return CudaNatives.kernelDriverVersion(); }

    /** "13.0" for 13000. */
    public static String cudaVersion(int v) { return CudaNatives.cudaVersion(v); }

    // ------------------------------------------------------------------ modules

    static final String KERNEL_DIR = "/org/mflowhpc/kernels/";

    private void loadModules() {
        java.util.Properties bp = org.mflowhpc.backend.host.HostLibrary.buildProperties();
        String built = bp.getProperty("nvcc", "nvcc");
        java.util.Map<String, CUmodule> byFamily = new java.util.HashMap<>();
        for (Kernel k : Kernel.values()) byFamily.computeIfAbsent(k.family, f -> loadModule(f, built));
        for (Kernel k : Kernel.values()) {
            CUfunction f = new CUfunction();
            int r = cuModuleGetFunction(f, byFamily.get(k.family), k.symbol);
            if (r != CUresult.CUDA_SUCCESS)
                throw new IllegalStateException("cuda backend unavailable: kernels/" + k.family + " has no function " + k.symbol + " (" + Cu.describe(r)
                        + "): the jar's device code is older than this backend; rebuild");
            int[] v = {0};
            Cu.check(cuFuncGetAttribute(v, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, f), "cuFuncGetAttribute");
            int maxT = v[0];
            Cu.check(cuFuncGetAttribute(v, CUfunction_attribute.CU_FUNC_ATTRIBUTE_NUM_REGS, f), "cuFuncGetAttribute");
            int regs = v[0];
            Cu.check(cuFuncGetAttribute(v, CUfunction_attribute.CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES, f), "cuFuncGetAttribute");
            int local = v[0];
            if (k.fixed && maxT < k.block)
                throw new IllegalStateException("cuda backend unavailable: " + k.symbol + " needs " + k.block + " threads per block, the device allows " + maxT);
            int block = Math.max(32, Math.min(k.block, maxT / 32 * 32));
            int maxGrid = Math.max(1, multiprocessors * Math.max(1, 2048 / block) * 32);
            fns.put(k, new Fn(k, f, block, maxGrid, regs, local, maxT));
        }
    }

    private CUmodule loadModule(String family, String builtWith) {
        byte[] fat = resource(family + ".fatbin"), ptx = resource(family + ".ptx");
        if (fat == null && ptx == null)
            throw new IllegalStateException("cuda backend unavailable: this build has no device code (kernels/" + family
                    + ".fatbin absent: " + org.mflowhpc.backend.host.HostLibrary.buildProperties().getProperty("device.reason", "nvcc did not run") + ")");
        CUmodule m = new CUmodule();
        String fatErr = "absent";
        if (fat != null) {
            int r = cuModuleLoadData(m, fat);
            if (r == CUresult.CUDA_SUCCESS) {
                modules.add(m);
                moduleSource.put(family, "fatbin");
                return m;
            }
            fatErr = Cu.describe(r);
        }
        String ptxErr = "absent";
        if (ptx != null) {
            byte[] z = Arrays.copyOf(ptx, ptx.length + 1); // NUL-terminated text
            int r = cuModuleLoadData(m, z);
            if (r == CUresult.CUDA_SUCCESS) {
                modules.add(m);
                moduleSource.put(family, "ptx (JIT)");
                return m;
            }
            ptxErr = Cu.describe(r);
        }
        String kmod = kernelDriverVersion();
        throw new IllegalStateException("cuda backend unavailable: the driver loads neither kernels/" + family + ".fatbin (" + fatErr + ") nor its PTX ("
                + ptxErr + "); driver supports CUDA " + cudaVersion(driverVersion) + (kmod == null ? "" : " (kernel module " + kmod + ")")
                + ", device " + deviceName + " sm_" + ccMajor + ccMinor + ", code built by " + builtWith + ": update the NVIDIA driver or rebuild for this device");
    }

    private static byte[] resource(String name) {
        try (InputStream in = CudaBackend.class.getResourceAsStream(KERNEL_DIR + name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ identity

    @Override public String name() { return "cuda"; }
    @Override public int threads() { return 1; }
    @Override public String toString() { return "cuda " + ordinal + " (" + deviceName + ")"; }

    /** One line: device, compute capability, memory, driver, device-code source, GEMM path. */
    public String describe() {
        java.util.Set<String> src = new java.util.TreeSet<>(moduleSource.values());
        String kmod = kernelDriverVersion();
        return String.format(Locale.ROOT, "%s (device %d, sm_%d%d, %d SMs, %d MiB), driver CUDA %s%s, JCuda %s, device code: %s, GEMM: %s",
                deviceName, ordinal, ccMajor, ccMinor, multiprocessors, totalMemory >> 20, cudaVersion(driverVersion),
                kmod == null ? "" : " (" + kmod + ")", CudaNatives.jcudaVersion(), String.join(" + ", src), gemm.describe());
    }

    /** The GEMM path in use: "cuBLAS 12" or "in-house tiled kernel (...)". */
    public String gemmPath() { return gemm.describe(); }

    /** Per kernel: symbol, block size, registers, local bytes per thread (selfcheck's device table). */
    public List<String> kernelTable() {
        List<String> l = new ArrayList<>();
        for (Fn f : fns.values())
            l.add(String.format(Locale.ROOT, "%-32s %-8s block %4d  regs %3d  local %5d B  (max %d threads)", f.k.symbol, f.k.family, f.block, f.regs,
                    f.localBytes, f.maxThreads));
        return l;
    }

    /** Kernel launches so far. */
    public long launches() { return launches; }

    // ------------------------------------------------------------------ context and launches

    private static final ThreadLocal<CudaBackend> CURRENT = new ThreadLocal<>();

    /** Makes this backend's context current on the calling thread (driver contexts are per thread). */
    private void on() {
        if (closed) throw new IllegalStateException("cuda backend: used after close()");
        if (CURRENT.get() != this) {
            Cu.check(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
            CURRENT.set(this);
        }
    }

    void launch(Kernel k, long items, KernelArgs a) {
        if (items <= 0) return;
        Fn f = fns.get(k);
        long g = (items + f.block - 1) / f.block;
        launchGrid(k, (int) Math.min(g, f.maxGrid), 1, 1, a);
    }

    /** One thread runs the whole grid-stride loop, in item order (ops whose items may add into shared entries). */
    void launchSerial(Kernel k, KernelArgs a) { launchBlocks(k, 1, 1, 1, 1, a); }

    void launchGrid(Kernel k, int gx, int gy, int gz, KernelArgs a) { launchBlocks(k, gx, gy, gz, fns.get(k).block, a); }

    private void launchBlocks(Kernel k, int gx, int gy, int gz, int block, KernelArgs a) {
        if (!a.signature().equals(k.signature))
            throw new IllegalStateException("cuda backend: launch of " + k.symbol + " with arguments (" + a.signature() + "), the kernel takes ("
                    + k.signature + ")");
        Fn f = fns.get(k);
        Cu.check(cuLaunchKernel(f.fn, gx, gy, gz, block, 1, 1, 0, stream, a.pointer(), null), "cuLaunchKernel " + k.symbol);
        launches++;
        if (syncEach) Cu.check(cuStreamSynchronize(stream), k.symbol + " (checked after the launch: MFLOW_CUDA_SYNC=1)");
    }

    CUstream stream() { return stream; }
    int multiprocessors() { return multiprocessors; }

    static KernelArgs args() { return new KernelArgs(); }

    // ------------------------------------------------------------------ memory

    private final class Alloc implements DeviceMemory.Allocator {
        @Override public DeviceMemory.Block allocate(long bytes) {
            DevPtr p = new DevPtr();
            int r = cuMemAlloc(p, bytes);
            if (r == CUresult.CUDA_ERROR_OUT_OF_MEMORY) return null;
            Cu.check(r, "cuMemAlloc " + (bytes >> 20) + " MiB");
            return new DeviceMemory.Block(p.address(), (int) (bytes / 8), p);
        }

        @Override public void free(DeviceMemory.Block b) {
            Cu.check(cuMemFree((DevPtr) b.handle), "cuMemFree");
        }

        @Override public void synchronize() { Cu.check(cuStreamSynchronize(stream), "cuStreamSynchronize"); }

        @Override public String describeFree() {
            long[] f = {0}, t = {0};
            if (cuMemGetInfo(f, t) != CUresult.CUDA_SUCCESS) return "free memory unknown";
            return (f[0] >> 20) + " of " + (t[0] >> 20) + " MiB free on " + deviceName;
        }
    }

    /** A device buffer: a lease on a block of the pool (null for length 0). */
    static final class CudaBuffer extends Buffer {
        final DeviceMemory.Lease lease;
        final long addr;

        CudaBuffer(Backend owner, int n, DeviceMemory.Lease lease) {
            super(owner, n);
            this.lease = lease;
            this.addr = lease == null ? 0 : lease.block.address;
        }

        DevPtr base() { return lease == null ? null : (DevPtr) lease.block.handle; }

        @Override protected boolean released() { return lease != null && lease.released(); }
    }

    /** A device int table with its host copy (bounds checks, inverse tables, the CPU round trip). */
    static final class CudaIndex extends Index {
        final DeviceMemory.Lease lease;
        final long addr;
        final int[] host;
        /** Cached inverse site table of a site list (jOf[site] = j or -1) for volume invV; distinct: no repeated site. */
        volatile CudaIndex inverse;
        volatile int invV = -1;
        volatile boolean distinct;

        CudaIndex(Backend owner, int[] a, DeviceMemory.Lease lease) {
            super(owner, a);
            this.lease = lease;
            this.addr = lease == null ? 0 : lease.block.address;
            this.host = a.clone();
        }
    }

    @Override public Scope scope() {
        on();
        DeviceMemory.Scope s = mem.openScope();
        return () -> {
            if (!closed) on(); // recycling may free device memory: the context must be current on this thread
            s.close();
        };
    }

    @Override public Buffer alloc(int n) {
        on();
        if (n < 0) throw new IllegalArgumentException("buffer length must be >= 0, got " + n);
        if (n == 0) return new CudaBuffer(this, 0, null);
        DeviceMemory.Lease l = mem.acquire(n);
        CudaBuffer b = new CudaBuffer(this, n, l);
        Cu.check(cuMemsetD8Async(b.base(), (byte) 0, 8L * n, stream), "cuMemsetD8Async");
        if (!l.scoped) CLEANER.register(b, l::giveBack);
        return b;
    }

    /** Op scratch of n doubles (not zeroed), returned with {@link DeviceMemory.Lease#release()}. */
    DeviceMemory.Lease scratch(long n) {
        if (n > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("cuda backend: scratch of " + n + " doubles is too large");
        return mem.scratch((int) Math.max(1, n));
    }

    private CudaBuffer cb(Buffer b, String what) { return Checks.buffer(this, b, CudaBuffer.class, what); }

    private CudaIndex ci(Index i, String what) { return Checks.index(this, i, CudaIndex.class, what); }

    /** Device address of element off of b after checking that [off, off + n) lies inside it. */
    private long at(Buffer b, long off, long n, String what) {
        CudaBuffer h = cb(b, what);
        Checks.range(h, off, n, what);
        return h.addr + 8 * off;
    }

    private long at(Buffer b, long n, String what) { return at(b, 0, n, what); }

    private long links(GaugeField u) { return at(u.links(), u.size(), "gauge field"); }

    private CudaIndex sites(Index i, int V, String what) { return Checks.sites(this, i, CudaIndex.class, V, what); }

    @Override public void upload(double[] src, int sOff, Buffer dst, int dOff, int n) {
        on();
        if (sOff < 0 || n < 0 || sOff + n > src.length) throw new IllegalArgumentException("upload: source range outside the array");
        at(dst, dOff, n, "upload");
        if (n > 0) staging.upload(src, sOff, cb(dst, "upload").base(), 8L * dOff, n);
    }

    @Override public void download(Buffer src, int sOff, double[] dst, int dOff, int n) {
        on();
        if (dOff < 0 || n < 0 || dOff + n > dst.length) throw new IllegalArgumentException("download: destination range outside the array");
        at(src, sOff, n, "download");
        if (n == 0) { sync(); return; }
        staging.download(cb(src, "download").base(), 8L * sOff, dst, dOff, n);
    }

    @Override public void copy(Buffer src, int sOff, Buffer dst, int dOff, int n) {
        on();
        long s = at(src, sOff, n, "copy source"), d = at(dst, dOff, n, "copy destination");
        if (n == 0 || s == d) return;
        CudaBuffer sb = cb(src, "copy source"), db = cb(dst, "copy destination");
        if (sb == db && Math.abs(s - d) < 8L * n) { // overlapping ranges: through scratch, like System.arraycopy
            DeviceMemory.Lease t = scratch(n);
            DevPtr tp = (DevPtr) t.block.handle;
            Cu.check(cuMemcpyDtoDAsync(tp, sb.base().withByteOffset(8L * sOff), 8L * n, stream), "cuMemcpyDtoDAsync");
            Cu.check(cuMemcpyDtoDAsync(db.base().withByteOffset(8L * dOff), tp, 8L * n, stream), "cuMemcpyDtoDAsync");
            t.release();
            return;
        }
        Cu.check(cuMemcpyDtoDAsync(db.base().withByteOffset(8L * dOff), sb.base().withByteOffset(8L * sOff), 8L * n, stream), "cuMemcpyDtoDAsync");
    }

    @Override public void fill(Buffer b, int off, int n, double v) {
        on();
        long a = at(b, off, n, "fill");
        if (n == 0) return;
        if (Double.doubleToRawLongBits(v) == 0) {
            Cu.check(cuMemsetD8Async(cb(b, "fill").base().withByteOffset(8L * off), (byte) 0, 8L * n, stream), "cuMemsetD8Async");
            return;
        }
        launch(Kernel.FILL, n, args().l(n).p(a).d(v));
    }

    @Override public Index index(int[] host) {
        on();
        if (host.length == 0) return new CudaIndex(this, host, null);
        DeviceMemory.Lease l = mem.scratch((host.length + 1) / 2);
        CudaIndex ix = new CudaIndex(this, host, l);
        staging.uploadInts(host, (DevPtr) l.block.handle);
        CLEANER.register(ix, l::giveBack);
        return ix;
    }

    @Override public void sync() {
        on();
        Cu.check(cuStreamSynchronize(stream), "cuStreamSynchronize");
        mem.drain();
    }

    @Override public synchronized void close() {
        if (closed) return;
        try {
            on();
            cuStreamSynchronize(stream);
            mem.trim();
            staging.free();
            gemm.close();
            for (CUmodule m : modules) cuModuleUnload(m);
            cuStreamDestroy(stream);
        } finally {
            closed = true;
            CURRENT.remove();
            cuDevicePrimaryCtxRelease(dev);
        }
    }

    /** Device memory held by this backend (live allocations) and pooled for reuse, in bytes. */
    public long[] memoryStats() { return new long[] {mem.liveBytes(), mem.pooledBytes(), mem.allocations(), mem.reuses()}; }

    // ------------------------------------------------------------------ pinned staging for host transfers

    private final Staging staging;

    /** Two pinned halves; each half's last asynchronous copy is marked by an event. */
    private final class Staging {
        final Pointer[] host = {new Pointer(), new Pointer()};
        final ByteBuffer[] bytes = new ByteBuffer[2];
        final CUevent[] done = {new CUevent(), new CUevent()};
        final boolean[] pending = new boolean[2];
        int next;

        Staging() {
            for (int h = 0; h < 2; h++) {
                Cu.check(cuMemHostAlloc(host[h], 8L * STAGE_DOUBLES, 0), "cuMemHostAlloc " + (8L * STAGE_DOUBLES >> 20) + " MiB");
                bytes[h] = host[h].getByteBuffer(0, 8L * STAGE_DOUBLES).order(ByteOrder.nativeOrder());
                Cu.check(cuEventCreate(done[h], CUevent_flags.CU_EVENT_DISABLE_TIMING), "cuEventCreate");
            }
        }

        /** Waits until half h is no longer read or written by an earlier asynchronous copy. */
        void await(int h) {
            if (pending[h]) {
                Cu.check(cuEventSynchronize(done[h]), "cuEventSynchronize (host transfer)");
                pending[h] = false;
            }
        }

        void mark(int h) {
            Cu.check(cuEventRecord(done[h], stream), "cuEventRecord");
            pending[h] = true;
        }

        void upload(double[] src, int sOff, DevPtr base, long byteOff, int n) {
            for (int done = 0; done < n; ) {
                int h = next;
                next ^= 1;
                await(h);
                int len = Math.min(n - done, STAGE_DOUBLES);
                DoubleBuffer db = bytes[h].asDoubleBuffer();
                db.put(src, sOff + done, len);
                Cu.check(cuMemcpyHtoDAsync(base.withByteOffset(byteOff + 8L * done), host[h], 8L * len, stream), "cuMemcpyHtoDAsync");
                mark(h);
                done += len;
            }
        }

        void uploadInts(int[] src, DevPtr base) {
            for (int done = 0; done < src.length; ) {
                int h = next;
                next ^= 1;
                await(h);
                int len = Math.min(src.length - done, 2 * STAGE_DOUBLES);
                IntBuffer ib = bytes[h].asIntBuffer();
                ib.put(src, done, len);
                Cu.check(cuMemcpyHtoDAsync(base.withByteOffset(4L * done), host[h], 4L * len, stream), "cuMemcpyHtoDAsync");
                mark(h);
                done += len;
            }
        }

        void download(DevPtr base, long byteOff, double[] dst, int dOff, int n) {
            int chunks = (n + STAGE_DOUBLES - 1) / STAGE_DOUBLES;
            int[] half = new int[chunks];
            for (int c = 0; c < chunks; c++) {
                if (c == 0) enqueue(half, 0, base, byteOff, n);
                if (c + 1 < chunks) enqueue(half, c + 1, base, byteOff, n);
                int h = half[c];
                await(h);
                int off = c * STAGE_DOUBLES, len = Math.min(n - off, STAGE_DOUBLES);
                bytes[h].asDoubleBuffer().get(dst, dOff + off, len);
            }
            mem.drain();
        }

        private void enqueue(int[] half, int c, DevPtr base, long byteOff, int n) {
            int h = next;
            next ^= 1;
            await(h);
            half[c] = h;
            int off = c * STAGE_DOUBLES, len = Math.min(n - off, STAGE_DOUBLES);
            Cu.check(cuMemcpyDtoHAsync(host[h], base.withByteOffset(byteOff + 8L * off), 8L * len, stream), "cuMemcpyDtoHAsync");
            mark(h);
        }

        void free() {
            for (int h = 0; h < 2; h++) {
                cuEventDestroy(done[h]);
                cuMemFreeHost(host[h]);
            }
        }
    }

    // ------------------------------------------------------------------ geometry and stencils

    private final ConcurrentHashMap<Lattice, CudaIndex> geometry = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CudaIndex> stencils = new ConcurrentHashMap<>();

    /** Geometry table of lat: [up d V][dn d V][even sites V/2][odd sites V/2] (cached, as the host backend's). */
    private CudaIndex geo(Lattice lat) {
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
            return (CudaIndex) index(t);
        });
    }

    /** Appends the Geom struct of lat. */
    private KernelArgs geomArgs(Lattice l) {
        CudaIndex g = geo(l);
        return args().geom(l.d, l.volume, g.addr, g.addr + 4L * l.d * l.volume);
    }

    /** Device address of the parity-par site list of lat. */
    private long paritySites(Lattice l, int par) { return geo(l).addr + 4L * (2L * l.d * l.volume + (long) par * (l.volume / 2)); }

    private CudaIndex stencil(int[] ext, int k) {
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
            return (CudaIndex) index(sh);
        });
    }

    /** The inverse table jOf[site] = j (or -1) of an output site list on V sites; null when sites repeat. */
    private CudaIndex inverseSites(CudaIndex s, int V) {
        if (s.invV != V) {
            synchronized (s) {
                if (s.invV != V) {
                    int[] j = new int[V];
                    Arrays.fill(j, -1);
                    boolean distinct = true;
                    for (int i = 0; i < s.host.length; i++) {
                        if (j[s.host[i]] >= 0) distinct = false;
                        j[s.host[i]] = i;
                    }
                    s.inverse = distinct ? (CudaIndex) index(j) : null;
                    s.distinct = distinct;
                    s.invV = V;
                }
            }
        }
        return s.inverse;
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

    private static boolean u1(Group g) { return g == Group.U1; }

    private static void checkDir(Lattice lat, int mu, String what) {
        if (mu < 0 || mu >= lat.d) throw new IllegalArgumentException(what + ": direction " + mu + " outside [0, " + lat.d + ")");
    }

    // ------------------------------------------------------------------ reductions (device side)

    /**
     * out[r] (+)= f(sum_j x[r ld + j]) for r < rows, mode 0: s, 1: s / c, 2: c s. Rows up to {@link #SERIAL_ROW}
     * long (contiguous) are summed serially by one thread each (bit-identical to the reference), longer ones by a
     * 256-thread block each.
     */
    private void rowReduce(int rows, long m, long x, long ld, long out, int mode, double c, boolean accumulate) {
        if (rows <= 0) return;
        if (m <= SERIAL_ROW && ld == m) launch(Kernel.ROW_SUM_SERIAL, rows, args().i(rows).l(m).p(x).p(out).i(mode).d(c).i(accumulate));
        else launchGrid(Kernel.ROW_REDUCE, Math.min(rows, 65535), 1, 1, args().i(rows).l(m).p(x).l(ld).p(out).i(mode).d(c).i(accumulate));
    }

    /** Two-pass block reduction of n doubles at x: mode 0 sum, 1 sum of squares, 2 sum of exp(x - shift). */
    private double blockSum(long x, long n, int mode, double shift) {
        if (n == 0) return 0;
        int blocks = (int) Math.min(1024, (n + 255) / 256);
        DeviceMemory.Lease p = scratch(blocks + 1);
        long pa = p.block.address;
        launchGrid(Kernel.BLOCK_SUM, blocks, 1, 1, args().l(n).p(x).i(mode).d(shift).p(pa));
        launchGrid(Kernel.BLOCK_SUM, 1, 1, 1, args().l(blocks).p(pa).i(0).d(0).p(pa + 8L * blocks));
        double v = scalar(p, blocks);
        p.release();
        return v;
    }

    /** Two-pass max (|x| when absolute), NaN-propagating. */
    private double blockMax(long x, long n, boolean absolute) {
        int blocks = (int) Math.min(1024, (n + 255) / 256);
        DeviceMemory.Lease p = scratch(blocks + 1);
        long pa = p.block.address;
        launchGrid(Kernel.BLOCK_MAX, blocks, 1, 1, args().l(n).p(x).i(absolute).p(pa));
        launchGrid(Kernel.BLOCK_MAX, 1, 1, 1, args().l(blocks).p(pa).i(absolute).p(pa + 8L * blocks));
        double v = scalar(p, blocks);
        p.release();
        return v;
    }

    /** Downloads element i of a scratch block (synchronises). */
    private double scalar(DeviceMemory.Lease l, int i) {
        double[] r = new double[1];
        staging.download((DevPtr) l.block.handle, 8L * i, r, 0, 1);
        return r[0];
    }

    // ------------------------------------------------------------------ gauge observables and action

    @Override public void plaquettes(GaugeField u, Buffer out) {
        on();
        Lattice l = u.lattice;
        long o = at(out, (long) u.batch * l.planes() * l.volume, "plaquettes out");
        launch(Kernel.PLAQUETTES, (long) u.batch * l.volume, geomArgs(l).i(u.batch).i(u1(u.group)).p(links(u)).p(o));
    }

    @Override public void plaquetteAngles(GaugeField u, Buffer out) {
        on();
        if (u.group != Group.U1) throw new IllegalArgumentException("plaquette angles are defined for U1 only");
        Lattice l = u.lattice;
        long o = at(out, (long) u.batch * l.planes() * l.volume, "plaquetteAngles out");
        launch(Kernel.PLAQUETTE_ANGLES, (long) u.batch * l.volume, geomArgs(l).i(u.batch).p(links(u)).p(o));
    }

    /** Per-configuration plaquette sums s_b (mode 1: s_b / c, mode 2: c s_b) into out. */
    private void plaquetteReduce(GaugeField u, long out, int mode, double c) {
        Lattice l = u.lattice;
        long m = (long) l.planes() * l.volume;
        DeviceMemory.Lease t = scratch(u.batch * m);
        launch(Kernel.PLAQUETTES, (long) u.batch * l.volume, geomArgs(l).i(u.batch).i(u1(u.group)).p(links(u)).p(t.block.address));
        rowReduce(u.batch, m, t.block.address, m, out, mode, c, false);
        t.release();
    }

    @Override public void action(GaugeField u, double beta, Buffer out, int outOff) {
        on();
        plaquetteReduce(u, at(out, outOff, u.batch, "action out"), 2, -beta);
    }

    @Override public void meanPlaquette(GaugeField u, Buffer out, int outOff) {
        on();
        Lattice l = u.lattice;
        plaquetteReduce(u, at(out, outOff, u.batch, "meanPlaquette out"), 1, (double) l.volume * l.planes());
    }

    @Override public void staples(GaugeField u, int mu, Buffer out) {
        on();
        Lattice l = u.lattice;
        checkDir(l, mu, "staples");
        int sdof = u1(u.group) ? 2 : 18;
        long o = at(out, (long) sdof * u.batch * l.volume, "staples out");
        launch(Kernel.STAPLES, (long) u.batch * l.volume, geomArgs(l).i(u.batch).i(u1(u.group)).p(links(u)).i(mu).p(o));
    }

    private void force(GaugeField u, double beta, long out, int mode) {
        Lattice l = u.lattice;
        long f = links(u);
        for (int mu = 0; mu < l.d; mu++)
            launch(Kernel.FORCE, (long) u.batch * l.volume, geomArgs(l).i(u.batch).i(u1(u.group)).p(f).d(beta).i(mu).i(mode).p(out));
    }

    @Override public void force(GaugeField u, double beta, Buffer out) {
        on();
        force(u, beta, at(out, u.size(), "force out"), 0);
    }

    @Override public void actionGradient(GaugeField u, double beta, Buffer g) {
        on();
        force(u, beta, at(g, u.size(), "actionGradient out"), 1);
    }

    // ------------------------------------------------------------------ gauge transformations, priors

    @Override public void gaugeTransform(GaugeField u, Buffer omega) {
        on();
        Lattice l = u.lattice;
        long om = at(omega, (long) u.batch * l.volume * u.group.dof, "gaugeTransform omega");
        launch(Kernel.GAUGE_TRANSFORM, (long) u.batch * l.volume, geomArgs(l).i(u.batch).i(u1(u.group)).p(links(u)).p(om));
    }

    @Override public void haarLinks(GaugeField u, int domain, long seed, long step) {
        on();
        Lattice l = u.lattice;
        launch(Kernel.HAAR_LINKS, (long) u.batch * l.volume, geomArgs(l).i(u.batch).i(u1(u.group)).p(links(u)).i(domain).l(seed).l(step));
    }

    @Override public void randomGauge(GaugeField u, int domain, long seed, long step) {
        on();
        Lattice l = u.lattice;
        long n = (long) u.batch * l.volume;
        long f = links(u);
        DeviceMemory.Lease om = scratch(n * u.group.dof);
        launch(Kernel.HAAR_OMEGA, n, args().l(n).i(u1(u.group)).p(om.block.address).i(domain).l(seed).l(step));
        launch(Kernel.GAUGE_TRANSFORM, n, geomArgs(l).i(u.batch).i(u1(u.group)).p(f).p(om.block.address));
        om.release();
    }

    // ------------------------------------------------------------------ Markov-chain updates

    private void sweep(GaugeField u, double beta, long seed, long sweep, boolean hb) {
        Lattice l = u.lattice;
        long f = links(u);
        for (int mu = 0; mu < l.d; mu++)
            for (int par = 0; par < 2; par++)
                launch(Kernel.CHECKERBOARD, (long) u.batch * (l.volume / 2),
                        geomArgs(l).i(u.batch).i(u1(u.group)).p(f).p(paritySites(l, par)).i(mu).d(beta).l(seed).l(sweep).i(hb));
    }

    @Override public void heatbath(GaugeField u, double beta, long seed, long sweep) {
        on();
        sweep(u, beta, seed, sweep, true);
    }

    @Override public void overrelax(GaugeField u, double beta, long seed, long sweep) {
        on();
        sweep(u, beta, 0, 0, false);
    }

    @Override public void drawMomenta(Group g, Lattice lat, int batch, int domain, long seed, long step, Buffer p) {
        on();
        long links = (long) batch * lat.d * lat.volume;
        long pa = at(p, links * g.dof, "drawMomenta p");
        launch(Kernel.DRAW_MOMENTA, links, args().l(links).i(u1(g)).p(pa).i(domain).l(seed).l(step));
    }

    @Override public void kineticEnergy(Group g, Lattice lat, int batch, Buffer p, Buffer out, int outOff) {
        on();
        long per = (long) lat.d * lat.volume, links = batch * per;
        long pa = at(p, links * g.dof, "kineticEnergy p"), o = at(out, outOff, batch, "kineticEnergy out");
        DeviceMemory.Lease e = scratch(links);
        launch(Kernel.KINETIC_LINKS, links, args().l(links).i(u1(g)).p(pa).p(e.block.address));
        rowReduce(batch, per, e.block.address, per, o, 0, 0, false);
        e.release();
    }

    @Override public void updateLinks(GaugeField u, Buffer p, double c) {
        on();
        long links = u.size() / u.group.dof;
        long pa = at(p, u.size(), "updateLinks p");
        launch(Kernel.UPDATE_LINKS, links, args().l(links).i(u1(u.group)).p(links(u)).p(pa).d(c));
    }

    @Override public void reunitarize(GaugeField u) {
        on();
        long links = u.size() / u.group.dof;
        launch(Kernel.REUNITARIZE, links, args().l(links).i(u1(u.group)).p(links(u)));
    }

    // ------------------------------------------------------------------ coupling layers

    private long frozen(Index frozen, Lattice l) {
        CudaIndex h = ci(frozen, "frozen mask");
        if (h.length() < l.planes() * l.volume)
            throw new IllegalArgumentException("frozen mask has " + h.length() + " entries, expected planes*V = " + l.planes() * l.volume);
        return h.addr;
    }

    @Override public void loopFeatures(GaugeField u, Index frozen, Buffer out) {
        on();
        Lattice l = u.lattice;
        long fr = frozen(frozen, l), o = at(out, (long) u.batch * 2 * l.planes() * l.volume, "loopFeatures out");
        launch(Kernel.LOOP_FEATURES, (long) u.batch * l.volume, geomArgs(l).i(u.batch).i(u1(u.group)).p(links(u)).p(fr).p(o));
    }

    @Override public void loopFeaturesBackward(GaugeField u, Index frozen, Buffer gFeat, Buffer gLinks) {
        on();
        Lattice l = u.lattice;
        long fr = frozen(frozen, l), gf = at(gFeat, (long) u.batch * 2 * l.planes() * l.volume, "loopFeaturesBackward gFeat"),
                gl = at(gLinks, u.size(), "loopFeaturesBackward gLinks");
        launch(Kernel.LOOP_FEATURES_BACKWARD, u.batch, geomArgs(l).i(u.batch).i(u1(u.group)).p(links(u)).p(fr).p(gf).p(gl));
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
        on();
        Lattice l = u.lattice;
        checkStaplePair(l, mu, nu, "gatherActive");
        CudaIndex s = sites(sites, l.volume, "gatherActive sites");
        long wa = at(w, (long) u.batch * s.length() * u.group.dof, "gatherActive w");
        launch(Kernel.GATHER_ACTIVE, (long) u.batch * s.length(), geomArgs(l).i(u.batch).i(u1(u.group)).p(links(u)).i(mu).i(nu).p(s.addr).i(s.length()).p(wa));
    }

    @Override public void scatterActive(GaugeField u, int mu, int nu, Index sites, Buffer wNew) {
        on();
        Lattice l = u.lattice;
        checkStaplePair(l, mu, nu, "scatterActive");
        CudaIndex s = sites(sites, l.volume, "scatterActive sites");
        long wa = at(wNew, (long) u.batch * s.length() * u.group.dof, "scatterActive wNew");
        launch(Kernel.SCATTER_ACTIVE, (long) u.batch * s.length(), geomArgs(l).i(u.batch).i(u1(u.group)).p(links(u)).i(mu).i(nu).p(s.addr).i(s.length()).p(wa));
    }

    @Override public void scatterActiveBackward(GaugeField u, int mu, int nu, Index sites, Buffer wNew, Buffer gLinks, Buffer gW) {
        on();
        Lattice l = u.lattice;
        checkStaplePair(l, mu, nu, "scatterActiveBackward");
        CudaIndex s = sites(sites, l.volume, "scatterActiveBackward sites");
        long n = (long) u.batch * s.length() * u.group.dof;
        long wn = at(wNew, n, "scatterActiveBackward wNew"), gl = at(gLinks, u.size(), "scatterActiveBackward gLinks"),
                gw = at(gW, n, "scatterActiveBackward gW");
        launch(Kernel.SCATTER_ACTIVE_BACKWARD, u.batch,
                geomArgs(l).i(u.batch).i(u1(u.group)).p(links(u)).i(mu).i(nu).p(s.addr).i(s.length()).p(wn).p(gl).p(gw));
    }

    @Override public void gatherActiveBackward(GaugeField u, int mu, int nu, Index sites, Buffer wOld, Buffer gW, Buffer gLinks) {
        on();
        Lattice l = u.lattice;
        checkStaplePair(l, mu, nu, "gatherActiveBackward");
        CudaIndex s = sites(sites, l.volume, "gatherActiveBackward sites");
        long n = (long) u.batch * s.length() * u.group.dof;
        long wo = at(wOld, n, "gatherActiveBackward wOld"), gw = at(gW, n, "gatherActiveBackward gW"),
                gl = at(gLinks, u.size(), "gatherActiveBackward gLinks");
        launch(Kernel.GATHER_ACTIVE_BACKWARD, u.batch,
                geomArgs(l).i(u.batch).i(u1(u.group)).p(links(u)).i(mu).i(nu).p(s.addr).i(s.length()).p(wo).p(gw).p(gl));
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
            throw new IllegalArgumentException(what + ": the cuda backend supports link flows with at most " + MAX_COMPONENTS
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
        on();
        checkFlow(f, n, m, rOff, rB, what);
        int dof = f.isU1() ? 1 : 18;
        long wa = at(w, (long) n * dof, what + " w"), ra = at(raw, rOff, rawExtent(n, m, rB, f.paramsPerElement()), what + " raw"),
                oa = at(wOut, (long) n * dof, what + " out"), la = at(logJ, n, what + " logJ");
        launch(Kernel.LINK_FLOW, n, args().i(f.kind.ordinal()).i(f.components).i(n).i(m).p(wa).p(ra).i(rB).p(oa).p(la).i(inv));
    }

    @Override public void linkFlowBackward(LinkFlow f, int n, int m, Buffer w, Buffer raw, int rOff, int rB, Buffer gOut,
                                           Buffer gLogJ, Buffer gW, Buffer gRaw) {
        on();
        checkFlow(f, n, m, rOff, rB, "linkFlowBackward");
        int dof = f.isU1() ? 1 : 18;
        long ext = rawExtent(n, m, rB, f.paramsPerElement());
        long wa = at(w, (long) n * dof, "linkFlowBackward w"), ra = at(raw, rOff, ext, "linkFlowBackward raw"),
                go = at(gOut, (long) n * dof, "linkFlowBackward gOut"), gl = at(gLogJ, n, "linkFlowBackward gLogJ"),
                gw = at(gW, (long) n * dof, "linkFlowBackward gW"), gr = at(gRaw, rOff, ext, "linkFlowBackward gRaw");
        launch(Kernel.LINK_FLOW_BACKWARD, n, args().i(f.kind.ordinal()).i(f.components).i(n).i(m).p(wa).p(ra).i(rB).p(go).p(gl).p(gw).p(gr));
    }

    // ------------------------------------------------------------------ networks

    /**
     * Row-major GEMM on device memory, C = alpha op(A) op(B) + beta C (CpuBackend.gemm's contract; beta = 0 never
     * reads C), through cuBLAS or the in-house kernels. Offsets and leading dimensions in doubles; bounds checked.
     */
    public void gemm(boolean tA, boolean tB, int m, int n, int k, double alpha, Buffer a, int aOff, int lda, Buffer b, int bOff, int ldb,
                     double beta, Buffer c, int cOff, int ldc) {
        on();
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("gemm: negative size");
        if (m == 0 || n == 0) return;
        long aN = k == 0 ? 0 : (tA ? (long) (k - 1) * lda + m : (long) (m - 1) * lda + k);
        long bN = k == 0 ? 0 : (tB ? (long) (n - 1) * ldb + k : (long) (k - 1) * ldb + n);
        long cN = (long) (m - 1) * ldc + n;
        if (lda < (tA ? m : k) || ldb < (tB ? k : n) || ldc < n) throw new IllegalArgumentException("gemm: leading dimension too small");
        long pa = at(a, aOff, aN, "gemm A"), pb = at(b, bOff, bN, "gemm B"), pc = at(c, cOff, cN, "gemm C");
        gemm.run(tA, tB, m, n, k, alpha, ref(a, pa), lda, ref(b, pb), ldb, beta, ref(c, pc), ldc);
    }

    /** A device reference: raw address and the same location as a JCuda pointer (for cuBLAS). */
    record DRef(long addr, CUdeviceptr ptr) {}

    private DRef ref(Buffer b, long addr) {
        CudaBuffer c = (CudaBuffer) b;
        return new DRef(addr, c.base() == null ? new CUdeviceptr() : c.base().withByteOffset(addr - c.addr));
    }

    private static DRef ref(DeviceMemory.Lease l, long offDoubles) {
        DevPtr p = (DevPtr) l.block.handle;
        return new DRef(l.block.address + 8 * offDoubles, p.withByteOffset(8 * offDoubles));
    }

    @Override public void conv(int[] extents, int nb, int cin, int cout, int k, Buffer x, Buffer wts, int wOff, int bOff, Index outSites, Buffer y) {
        on();
        int V = volume(extents), T = taps(extents.length, k), K = cin * T;
        CudaIndex sh = stencil(extents, k);
        CudaIndex s = outSites == null ? null : sites(outSites, V, "conv outSites");
        int M = s == null ? V : s.length();
        long xa = at(x, (long) nb * cin * V, "conv x"), wa = at(wts, wOff, (long) cout * K, "conv weights"), ba = at(wts, bOff, cout, "conv bias"),
                ya = at(y, (long) nb * cout * M, "conv y");
        long sa = s == null ? 0 : s.addr;
        if (nb == 0 || cout == 0 || M == 0) return;
        if (directConv || cin == 0) {
            launch(Kernel.CONV, (long) nb * cout * M, args().i(V).i(T).p(sh.addr).i(nb).i(cin).i(cout).p(xa).p(wa).p(ba).p(sa).i(M).p(ya));
            return;
        }
        int cb = (int) Math.max(1, Math.min(nb, COL_LIMIT / Math.max(1L, (long) K * M)));
        DeviceMemory.Lease col = scratch((long) K * cb * M), tmp = scratch((long) cout * cb * M);
        DRef w = ref(wts, wa);
        for (int b0 = 0; b0 < nb; b0 += cb) {
            int nbc = Math.min(cb, nb - b0), N = nbc * M;
            launch(Kernel.IM2COL, (long) K * N, args().i(V).i(T).p(sh.addr).i(cin).p(xa).i(b0).i(nbc).p(sa).i(M).p(col.block.address));
            gemm.run(false, false, cout, N, K, 1.0, w, K, ref(col, 0), N, 0.0, ref(tmp, 0), N);
            launch(Kernel.CONV_BIAS_OUT, (long) cout * N, args().i(cout).i(b0).i(nbc).i(M).p(tmp.block.address).p(ba).p(ya));
        }
        col.release();
        tmp.release();
    }

    @Override public void convBackward(int[] extents, int nb, int cin, int cout, int k, Buffer x, Buffer wts, int wOff, Index outSites,
                                       Buffer dy, Buffer dx, Buffer grads, int gwOff, int gbOff) {
        on();
        int V = volume(extents), T = taps(extents.length, k), K = cin * T;
        CudaIndex sh = stencil(extents, k);
        CudaIndex s = outSites == null ? null : sites(outSites, V, "convBackward outSites");
        int M = s == null ? V : s.length();
        long xa = at(x, (long) nb * cin * V, "convBackward x"), wa = at(wts, wOff, (long) cout * K, "convBackward weights"),
                dya = at(dy, (long) nb * cout * M, "convBackward dy"), dxa = dx == null ? 0 : at(dx, (long) nb * cin * V, "convBackward dx"),
                gwa = at(grads, gwOff, (long) cout * K, "convBackward weight gradients"), gba = at(grads, gbOff, cout, "convBackward bias gradients");
        long sa = s == null ? 0 : s.addr;
        int cb = (int) Math.max(1, Math.min(nb, COL_LIMIT / Math.max(1L, (long) K * M)));
        if (nb == 0) return;
        if (M == 0 || cout == 0) { // no outputs: the bias and weight gradients get nothing, dx is zero
            if (dx != null) fill(dx, 0, nb * cin * V, 0.0);
            return;
        }
        if (directConv) {
            launch(Kernel.CONV_BIAS_GRAD, cout, args().i(nb).i(cout).i(M).p(dya).p(gba).i(cb));
            launch(Kernel.CONV_WEIGHT_GRAD, (long) cout * K,
                    args().i(V).i(T).p(sh.addr).i(nb).i(cin).i(cout).p(xa).p(sa).i(M).p(dya).p(gwa).i(cb).i(K < SAXPY_K));
            if (dx != null) launch(Kernel.CONV_INPUT_GRAD, (long) nb * cin, args().i(V).i(T).p(sh.addr).i(nb).i(cin).i(cout).p(wa).p(sa).i(M).p(dya).p(dxa));
            return;
        }
        CudaIndex inv = s == null ? null : inverseSites(s, V);
        boolean gather = s == null || s.distinct;
        DeviceMemory.Lease col = scratch((long) K * cb * M), dY = scratch((long) cout * cb * M), dcol = dx == null ? null : scratch((long) K * cb * M);
        DRef w = ref(wts, wa), gw = ref(grads, gwa);
        for (int b0 = 0; b0 < nb; b0 += cb) {
            int nbc = Math.min(cb, nb - b0), N = nbc * M;
            launch(Kernel.CONV_GATHER_DY, (long) cout * N, args().i(cout).i(b0).i(nbc).i(M).p(dya).p(dY.block.address));
            rowReduce(cout, N, dY.block.address, N, gba, 0, 0, true);
            if (K > 0) {
                launch(Kernel.IM2COL, (long) K * N, args().i(V).i(T).p(sh.addr).i(cin).p(xa).i(b0).i(nbc).p(sa).i(M).p(col.block.address));
                gemm.run(false, true, cout, K, N, 1.0, ref(dY, 0), N, ref(col, 0), N, 1.0, gw, K);
            }
            if (dx == null) continue;
            if (K > 0) gemm.run(true, false, K, N, cout, 1.0, w, K, ref(dY, 0), N, 0.0, ref(dcol, 0), N);
            if (gather)
                launch(Kernel.COL2IM_GATHER, (long) nbc * cin * V,
                        args().i(V).i(T).p(sh.addr).i(cin).i(b0).i(nbc).p(inv == null ? 0 : inv.addr).i(M).p(dcol.block.address).p(dxa));
            else
                launch(Kernel.COL2IM_SERIAL, (long) nbc * cin, args().i(V).i(T).p(sh.addr).i(cin).i(b0).i(nbc).p(sa).i(M).p(dcol.block.address).p(dxa));
        }
        col.release();
        dY.release();
        if (dcol != null) dcol.release();
    }

    @Override public void activation(Act a, int n, Buffer x, Buffer y) {
        on();
        long xa = at(x, n, "activation x"), ya = at(y, n, "activation y");
        launch(Kernel.ACTIVATION, n, args().i(a.ordinal()).i(n).p(xa).p(ya));
    }

    @Override public void activationBackward(Act a, int n, Buffer x, Buffer dy, Buffer dx) {
        on();
        long xa = at(x, n, "activationBackward x"), dya = at(dy, n, "activationBackward dy"), dxa = at(dx, n, "activationBackward dx");
        launch(Kernel.ACTIVATION_BACKWARD, n, args().i(a.ordinal()).i(n).p(xa).p(dya).p(dxa));
    }

    // ------------------------------------------------------------------ optimiser and reductions

    @Override public void adamStep(int n, Buffer p, Buffer g, Buffer m, Buffer v, double lr, double b1, double b2, double eps, double wd, long t) {
        on();
        double c1 = 1 - Math.pow(b1, t), c2 = 1 - Math.pow(b2, t); // Java's pow, as the reference
        long pa = at(p, n, "adam p"), ga = at(g, n, "adam g"), ma = at(m, n, "adam m"), va = at(v, n, "adam v");
        launch(Kernel.ADAM, n, args().i(n).p(pa).p(ga).p(ma).p(va).d(lr).d(b1).d(b2).d(eps).d(wd).d(c1).d(c2));
    }

    @Override public void scale(Buffer x, int off, int n, double s) {
        on();
        long xa = at(x, off, n, "scale");
        launch(Kernel.SCALE, n, args().l(n).p(xa).d(s));
    }

    @Override public double sum(Buffer x, int off, int n) {
        on();
        return blockSum(at(x, off, n, "sum"), n, 0, 0);
    }

    @Override public double sumSquares(Buffer x, int off, int n) {
        on();
        return blockSum(at(x, off, n, "sumSquares"), n, 1, 0);
    }

    @Override public void sumRows(int nb, int m, Buffer x, Buffer out, boolean accumulate) {
        on();
        long xa = at(x, (long) nb * m, "sumRows x"), oa = at(out, nb, "sumRows out");
        rowReduce(nb, m, xa, m, oa, 0, 0, accumulate);
    }

    @Override public void broadcastRows(int nb, int m, Buffer x, Buffer out) {
        on();
        long xa = at(x, nb, "broadcastRows x"), oa = at(out, (long) nb * m, "broadcastRows out");
        launch(Kernel.BROADCAST_ROWS, (long) nb * m, args().i(nb).i(m).p(xa).p(oa));
    }

    @Override public void axpy(int n, double a, Buffer x, int xOff, Buffer y, int yOff) {
        on();
        long xa = at(x, xOff, n, "axpy x"), ya = at(y, yOff, n, "axpy y");
        launch(Kernel.AXPY, n, args().l(n).d(a).p(xa).p(ya));
    }

    @Override public double logSumExp(Buffer x, int off, int n) {
        on();
        long xa = at(x, off, n, "logSumExp");
        if (n == 0) return Double.NEGATIVE_INFINITY;
        double mx = blockMax(xa, n, false);
        if (Double.isNaN(mx) || mx == Double.NEGATIVE_INFINITY || mx == Double.POSITIVE_INFINITY) return mx;
        return mx + Math.log(blockSum(xa, n, 2, mx));
    }

    @Override public double maxAbs(Buffer x, int off, int n) {
        on();
        long xa = at(x, off, n, "maxAbs");
        if (n == 0) return 0;
        return blockMax(xa, n, true);
    }

    // ------------------------------------------------------------------ multiscale doubling

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
    private CudaIndex doublingSites(Index i, int vc, String what) {
        CudaIndex h = sites(i, 2 * vc, what);
        if (h.length() != vc) throw new IllegalArgumentException(what + ": " + h.length() + " sites, expected the coarse volume " + vc);
        return h;
    }

    @Override public void doublingSplit(GaugeField coarse, GaugeField r, int mu, Index even, Index fresh, GaugeField fine) {
        on();
        checkDoubling(coarse, fine, mu, "doublingSplit");
        checkSame(coarse, r, "doublingSplit");
        Lattice l = coarse.lattice;
        CudaIndex ev = doublingSites(even, l.volume, "doublingSplit even"), fr = doublingSites(fresh, l.volume, "doublingSplit fresh");
        launch(Kernel.DOUBLING_SPLIT, (long) coarse.batch * l.volume, args().i(coarse.batch).i(l.d).i(l.volume).i(u1(coarse.group)).i(mu)
                .p(links(coarse)).p(links(r)).p(ev.addr).p(fr.addr).p(links(fine)));
    }

    @Override public void doublingMerge(GaugeField fine, int mu, Index even, Index fresh, GaugeField coarse) {
        on();
        checkDoubling(coarse, fine, mu, "doublingMerge");
        Lattice l = coarse.lattice;
        CudaIndex ev = doublingSites(even, l.volume, "doublingMerge even"), fr = doublingSites(fresh, l.volume, "doublingMerge fresh");
        launch(Kernel.DOUBLING_MERGE, (long) coarse.batch * l.volume, args().i(coarse.batch).i(l.d).i(l.volume).i(u1(coarse.group)).i(mu)
                .p(links(fine)).p(ev.addr).p(fr.addr).p(links(coarse)));
    }

    @Override public void doublingSplitBackward(GaugeField r, int mu, Index even, Index fresh, Buffer gFine, Buffer gCoarse) {
        on();
        Lattice l = r.lattice;
        checkDir(l, mu, "doublingSplitBackward");
        CudaIndex ev = doublingSites(even, l.volume, "doublingSplitBackward even");
        doublingSites(fresh, l.volume, "doublingSplitBackward fresh");
        long gf = at(gFine, 2L * r.size(), "doublingSplitBackward gFine"), gc = at(gCoarse, r.size(), "doublingSplitBackward gCoarse");
        launch(Kernel.DOUBLING_SPLIT_BACKWARD, (long) r.batch * l.volume, args().i(r.batch).i(l.d).i(l.volume).i(u1(r.group)).i(mu)
                .p(links(r)).p(ev.addr).p(gf).p(gc));
    }

    @Override public void gatherMidpoint(GaugeField u, int mu, int nu, Index sites, Buffer w) {
        on();
        Lattice l = u.lattice;
        checkPair(l, mu, nu, "gatherMidpoint");
        CudaIndex s = sites(sites, l.volume, "gatherMidpoint sites");
        long wa = at(w, (long) u.batch * s.length() * u.group.dof, "gatherMidpoint w");
        launch(Kernel.GATHER_MIDPOINT, (long) u.batch * s.length(), geomArgs(l).i(u.batch).i(u1(u.group)).p(links(u)).i(mu).i(nu).p(s.addr).i(s.length()).p(wa));
    }

    @Override public void scatterMidpoint(GaugeField u, int mu, int nu, Index sites, Buffer wNew) {
        on();
        Lattice l = u.lattice;
        checkPair(l, mu, nu, "scatterMidpoint");
        CudaIndex s = sites(sites, l.volume, "scatterMidpoint sites");
        long wa = at(wNew, (long) u.batch * s.length() * u.group.dof, "scatterMidpoint wNew");
        launch(Kernel.SCATTER_MIDPOINT, (long) u.batch * s.length(), geomArgs(l).i(u.batch).i(u1(u.group)).p(links(u)).i(mu).i(nu).p(s.addr).i(s.length()).p(wa));
    }

    @Override public void scatterMidpointBackward(GaugeField u, int mu, int nu, Index sites, Buffer wNew, Buffer gLinks, Buffer gW) {
        on();
        Lattice l = u.lattice;
        checkPair(l, mu, nu, "scatterMidpointBackward");
        CudaIndex s = sites(sites, l.volume, "scatterMidpointBackward sites");
        long n = (long) u.batch * s.length() * u.group.dof;
        long wn = at(wNew, n, "scatterMidpointBackward wNew"), gl = at(gLinks, u.size(), "scatterMidpointBackward gLinks"),
                gw = at(gW, n, "scatterMidpointBackward gW");
        launch(Kernel.SCATTER_MIDPOINT_BACKWARD, u.batch,
                geomArgs(l).i(u.batch).i(u1(u.group)).p(links(u)).i(mu).i(nu).p(s.addr).i(s.length()).p(wn).p(gl).p(gw));
    }

    @Override public void gatherMidpointBackward(GaugeField u, int mu, int nu, Index sites, Buffer wOld, Buffer gW, Buffer gLinks) {
        on();
        Lattice l = u.lattice;
        checkPair(l, mu, nu, "gatherMidpointBackward");
        CudaIndex s = sites(sites, l.volume, "gatherMidpointBackward sites");
        long n = (long) u.batch * s.length() * u.group.dof;
        long wo = at(wOld, n, "gatherMidpointBackward wOld"), gw = at(gW, n, "gatherMidpointBackward gW"),
                gl = at(gLinks, u.size(), "gatherMidpointBackward gLinks");
        launch(Kernel.GATHER_MIDPOINT_BACKWARD, u.batch,
                geomArgs(l).i(u.batch).i(u1(u.group)).p(links(u)).i(mu).i(nu).p(s.addr).i(s.length()).p(wo).p(gw).p(gl));
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
        on();
        checkBase(betaA, n, m, fOff, fB, rOff, rB, what);
        long ia = at(in, n, what + (inverse ? " y" : " x")), fa = at(feat, fOff, rawExtent(n, m, fB, 1), what + " feat"),
                ra = at(raw, rOff, rawExtent(n, m, rB, 1), what + " raw"), oa = at(out, n, what + (inverse ? " x" : " y")), la = at(logJ, n, what + " logJ");
        launch(Kernel.U1_BASE, n, args().i(logistic).d(betaA).i(n).i(m).p(ia).p(fa).i(fB).p(ra).i(rB).p(oa).p(la).i(inverse));
    }

    @Override public void u1BaseBackward(boolean logistic, double betaA, int n, int m, Buffer x, Buffer feat, int fOff, int fB,
                                         Buffer raw, int rOff, int rB, Buffer gY, Buffer gLogJ, Buffer gX, Buffer gFeat, Buffer gRaw) {
        on();
        String what = "u1BaseBackward";
        checkBase(betaA, n, m, fOff, fB, rOff, rB, what);
        long fe = rawExtent(n, m, fB, 1), re = rawExtent(n, m, rB, 1);
        KernelArgs a = args().i(logistic).d(betaA).i(n).i(m).p(at(x, n, what + " x")).p(at(feat, fOff, fe, what + " feat")).i(fB)
                .p(at(raw, rOff, re, what + " raw")).i(rB).p(at(gY, n, what + " gY")).p(at(gLogJ, n, what + " gLogJ")).p(at(gX, n, what + " gX"))
                .p(at(gFeat, fOff, fe, what + " gFeat")).p(at(gRaw, rOff, re, what + " gRaw"));
        // elements add into disjoint gFeat / gRaw entries unless rows overlap (fB or rB < m): then one thread, in order
        boolean disjoint = n <= m || (fB >= m && rB >= m);
        if (disjoint) launch(Kernel.U1_BASE_BACKWARD, n, a);
        else if (n > 0) launchSerial(Kernel.U1_BASE_BACKWARD, a);
    }
}
