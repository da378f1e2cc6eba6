package org.mflowhpc.backend.cuda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Loads JCuda's native libraries once per JVM, each from a private per-process directory, and says why when one
 * cannot load.
 *
 * <p>Why: JCuda's {@code LibUtils} first tries {@code System.loadLibrary} (java.library.path) and otherwise copies the
 * library out of its jar to {@code ${java.io.tmpdir}/<fixed name>}, skipping the copy when that file exists and
 * taking no lock. Two JVMs starting on one node can then load a half-written file, and a stale file of another JCuda
 * build is loaded silently. Here, while the JCuda class that loads a library is initialised, {@code java.io.tmpdir}
 * points at a fresh directory {@code mflow-jcuda-*} made with {@link Files#createTempDirectory} under the real
 * temporary directory (unique, mode 700); the property is restored at once, and the unpacked files are deleted as soon
 * as they are loaded (a loaded shared object stays mapped on Linux), the directory on exit. Loading happens in one
 * synchronized method, before any other thread of this program reads java.io.tmpdir in the usual case (the first
 * {@code --backend cuda}, {@code mflow info} or selfcheck touch of CUDA).
 *
 * <p>Libraries: {@code JCudaDriver} (the driver API; needs the NVIDIA driver's libcuda.so.1), {@code JCudaRuntime}
 * (the runtime API, statically linked against cudart 12.6: loads without a driver and reports the missing driver as
 * an error code; used by {@link CudaProbe}), {@code JCublas2} (needs libcublas.so.12: absent on a node that has only
 * CUDA 13 libraries, where the in-house GEMM kernel runs instead). {@code MFLOW_NO_GPU} / {@code -Dmflow.nogpu} make
 * every load report "disabled".
 */
public final class CudaNatives {
    /** Load result: loaded, or the one-line reason. */
    public record Status(boolean loaded, String detail) {}

    private static Status driver, runtime, cublas;
    private static Path dir;

    private CudaNatives() {}

    /** JCudaDriver (driver API). */
    public static synchronized Status driver() {
        if (driver == null) driver = load("jcuda.driver.JCudaDriver", "the JCuda driver library");
        return driver;
    }

    /** JCudaRuntime (runtime API, for the probe). */
    public static synchronized Status runtime() {
        if (runtime == null) runtime = load("jcuda.runtime.JCuda", "the JCuda runtime library");
        return runtime;
    }

    /** JCublas2 (cuBLAS 12). */
    public static synchronized Status cublas() {
        if (cublas == null) {
            Status r = runtime();
            cublas = r.loaded() ? load("jcuda.jcublas.JCublas2", "JCublas2 (libcublas.so.12)") : new Status(false, "needs the runtime library: " + r.detail());
        }
        return cublas;
    }

    /** The JCuda version of the jar ("12.6.0"), or "?" when its classes are missing. */
    public static String jcudaVersion() {
        try {
            return jcuda.JCudaVersion.get();
        } catch (Throwable t) {
            return "?";
        }
    }

    /** The NVIDIA kernel module version from /proc/driver/nvidia/version (e.g. "580.159.03"), or null. */
    public static String kernelDriverVersion() {
        try {
            Path p = Path.of("/proc/driver/nvidia/version");
            if (!Files.isReadable(p)) return null;
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("Kernel Module\\s+([0-9][0-9.]*)").matcher(Files.readString(p));
            return m.find() ? m.group(1) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A CUDA version number as "major.minor" ("13.0" for 13000). */
    public static String cudaVersion(int v) { return v / 1000 + "." + (v % 1000) / 10; }

    /** The per-process directory the libraries were unpacked into (null before the first load). */
    static synchronized Path directory() { return dir; }

    static boolean disabled() { return Boolean.getBoolean("mflow.nogpu") || System.getenv("MFLOW_NO_GPU") != null; }

    private static Status load(String cls, String what) {
        if (disabled()) return new Status(false, "GPU use disabled by MFLOW_NO_GPU / -Dmflow.nogpu");
        String tmp = System.getProperty("java.io.tmpdir");
        try {
            if (dir == null) {
                dir = Files.createTempDirectory(Path.of(tmp), "mflow-jcuda-");
                dir.toFile().deleteOnExit();
            }
        } catch (IOException | RuntimeException e) {
            return new Status(false, "cannot create a private directory for the JCuda libraries under " + tmp + ": " + e.getMessage());
        }
        System.setProperty("java.io.tmpdir", dir.toString());
        try {
            Class.forName(cls, true, CudaNatives.class.getClassLoader());
            return new Status(true, what + " loaded");
        } catch (Throwable t) {
            return new Status(false, "cannot load " + what + ": " + firstLine(t));
        } finally {
            System.setProperty("java.io.tmpdir", tmp);
            clean();
        }
    }

    /** Deletes the unpacked files (already mapped by the loader, or useless after a failed load). */
    private static void clean() {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(dir)).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // left for deleteOnExit
        }
    }

    /**
     * The informative line of a loader failure. JCuda's UnsatisfiedLinkError lists both attempts with their stack
     * traces; the reason is the message of the attempt from the jar's resource ("libJCudaDriver-...so: libcuda.so.1:
     * cannot open shared object file: ..."), shown without the private directory's path.
     */
    static String firstLine(Throwable t) {
        Throwable c = t;
        while ((c instanceof ExceptionInInitializerError || c.getMessage() == null) && c.getCause() != null) c = c.getCause();
        String m = c.getMessage();
        if (m == null) return c.getClass().getSimpleName();
        String[] lines = m.split("\n");
        for (int i = 0; i + 1 < lines.length; i++)
            if (lines[i].contains("as a resource:")) {
                String l = lines[i + 1].trim().replaceFirst("^java\\.lang\\.\\w+(Error|Exception): ", "");
                int slash = l.lastIndexOf('/', Math.max(0, l.indexOf(".so")));
                return slash >= 0 ? l.substring(slash + 1) : l;
            }
        for (String line : lines) {
            String l = line.trim();
            if (l.isEmpty() || l.startsWith("Operating system") || l.startsWith("Architecture") || l.startsWith("---")) continue;
            return c.getClass().getSimpleName() + ": " + l;
        }
        return c.getClass().getSimpleName();
    }
}
