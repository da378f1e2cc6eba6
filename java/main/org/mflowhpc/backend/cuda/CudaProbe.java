package org.mflowhpc.backend.cuda;

/**
 * Detects a CUDA GPU without ever crashing the CPU path: CUDA is optional at run time, so a missing driver, device
 * or native library only makes the CUDA backend unavailable, with the reason reported by {@code mflow info}.
 *
 * <p>Order: the JCuda runtime API first (its native library loads without a driver and reports an error code),
 * then device properties. Any Throwable (UnsatisfiedLinkError when natives cannot load, NoClassDefFoundError,
 * a non-zero CUDA error code such as "insufficient driver" or "no device") becomes a one-line reason. JCuda
 * unpacks its .so files into java.io.tmpdir under fixed names: jobs sharing a node should each set their own
 * -Djava.io.tmpdir. The probe runs once per JVM and is cached.
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
        if (Boolean.getBoolean("mflow.nogpu") || System.getenv("MFLOW_NO_GPU") != null)
            return new Result(false, 0, "GPU probing disabled by MFLOW_NO_GPU / -Dmflow.nogpu");
        try {
            int[] count = {0};
            int err = jcuda.runtime.JCuda.cudaGetDeviceCount(count);
            if (err != 0)
                return new Result(false, 0, "CUDA runtime reports " + jcuda.runtime.cudaError.stringFor(err)
                        + " (no NVIDIA driver or no device visible)");
            if (count[0] == 0) return new Result(false, 0, "CUDA runtime found no device");
            StringBuilder names = new StringBuilder();
            for (int i = 0; i < count[0]; i++) {
                jcuda.runtime.cudaDeviceProp p = new jcuda.runtime.cudaDeviceProp();
                jcuda.runtime.JCuda.cudaGetDeviceProperties(p, i);
                if (i > 0) names.append("; ");
                names.append(i).append(": ").append(p.getName()).append(" (sm_").append(p.major).append(p.minor)
                        .append(", ").append(p.totalGlobalMem >> 20).append(" MiB)");
            }
            return new Result(true, count[0], names.toString());
        } catch (Throwable t) {
            String msg = t.getMessage() == null ? "" : t.getMessage().split("\n")[0];
            return new Result(false, 0, "JCuda could not load (" + t.getClass().getSimpleName() + (msg.isEmpty() ? "" : ": " + msg) + ")");
        }
    }
}
