package org.mflowhpc.backend.cuda;

/**
 * Detects a CUDA GPU without ever crashing the CPU path: CUDA is optional at run time, so a missing driver, device
 * or native library only makes the CUDA backend unavailable, with the reason reported by {@code mflow info} and by
 * {@code --backend cuda}.
 *
 * <p>Order: the JCuda runtime library ({@link CudaNatives#runtime()}: unpacked into a private per-process directory;
 * it is statically linked against cudart 12.6 and loads without a driver), then the driver's CUDA version and the
 * device count and properties through the runtime API. Any Throwable (UnsatisfiedLinkError when natives cannot load,
 * NoClassDefFoundError, a non-zero CUDA error code such as "insufficient driver" or "no device") becomes a one-line
 * reason. The probe runs once per JVM and is cached; it does not create the backend (see {@link CudaBackend}).
 */
public final class CudaProbe {
    /** Result: found, number of devices, a human description (device names or the reason none was found). */
    public record Result(boolean found, int devices, String description) {}

    private static Result cached;

    private CudaProbe() {}

    public static synchronized Result probe() {
        if (cached == null) cached = doProbe();
        return cached;
    }

    private static Result doProbe() {
        if (CudaNatives.disabled()) return new Result(false, 0, "GPU probing disabled by MFLOW_NO_GPU / -Dmflow.nogpu");
        CudaNatives.Status s = CudaNatives.runtime();
        if (!s.loaded()) return new Result(false, 0, "JCuda could not load (" + s.detail() + ")");
        try {
            int[] drv = {0};
            jcuda.runtime.JCuda.cudaDriverGetVersion(drv);
            String driver = drv[0] == 0 ? "no NVIDIA driver" : "driver CUDA " + CudaNatives.cudaVersion(drv[0]);
            int[] count = {0};
            int err = jcuda.runtime.JCuda.cudaGetDeviceCount(count);
            if (err != 0)
                return new Result(false, 0, "CUDA runtime reports " + jcuda.runtime.cudaError.stringFor(err) + " (" + driver
                        + (drv[0] == 0 ? "" : "; no device visible") + ")");
            if (count[0] == 0) return new Result(false, 0, "CUDA runtime found no device (" + driver + ")");
            StringBuilder names = new StringBuilder();
            for (int i = 0; i < count[0]; i++) {
                jcuda.runtime.cudaDeviceProp p = new jcuda.runtime.cudaDeviceProp();
                jcuda.runtime.JCuda.cudaGetDeviceProperties(p, i);
                if (i > 0) names.append("; ");
                names.append(i).append(": ").append(p.getName()).append(" (sm_").append(p.major).append(p.minor)
                        .append(", ").append(p.totalGlobalMem >> 20).append(" MiB)");
            }
            String k = CudaNatives.kernelDriverVersion();
            names.append("; ").append(driver).append(k == null ? "" : " (kernel module " + k + ")");
            return new Result(true, count[0], names.toString());
        } catch (Throwable t) {
            return new Result(false, 0, "JCuda could not load (" + CudaNatives.firstLine(t) + ")");
        }
    }
}
