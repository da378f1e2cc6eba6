package org.mflowhpc.testutil;

import java.util.ArrayList;
import java.util.List;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.backend.cuda.CudaBackend;
import org.mflowhpc.backend.cuda.CudaProbe;
import org.mflowhpc.backend.host.HostBackend;
import org.mflowhpc.backend.host.HostLibrary;

/**
 * The backends every contract test runs against, next to the CPU reference: the CPU backend with two threads (the
 * reference itself runs single-threaded, so the pair also checks thread-count independence), and the native
 * {@code host} backend with one and two threads wherever its library is in the build. A build that says it built
 * the host library (build.properties host=built) but cannot load it fails here rather than silently testing less.
 * The {@code cuda} backend joins the list where a GPU is found ({@link CudaProbe}); a GPU that is found but whose
 * backend cannot start (driver too old for the device code, ...) fails here as well.
 */
public final class Backends {
    private Backends() {}

    /** The reference: CPU, one thread. */
    public static final CpuBackend REFERENCE = new CpuBackend(1);

    /** True when this build's native step built the host library. */
    public static boolean hostExpected() { return "built".equals(HostLibrary.buildProperties().getProperty("host")); }

    public static List<Backend> all() {
        List<Backend> l = new ArrayList<>();
        l.add(new CpuBackend(2));
        if (hostExpected() && !HostBackend.available())
            throw new IllegalStateException("the host library was built but does not load: " + HostLibrary.status().detail());
        if (HostBackend.available()) {
            l.add(new HostBackend(1));
            l.add(new HostBackend(2));
        }
        CudaBackend c = cuda();
        if (c != null) l.add(c);
        return l;
    }

    private static CudaBackend cuda;

    /** The shared CUDA backend of the test JVM, or null without a GPU. */
    public static synchronized CudaBackend cuda() {
        if (cuda == null && CudaProbe.probe().found()) cuda = new CudaBackend();
        return cuda;
    }
}
