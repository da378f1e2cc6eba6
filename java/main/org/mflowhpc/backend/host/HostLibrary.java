package org.mflowhpc.backend.host;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds and loads the host JNI library (backend {@code host}) once per JVM, and says why when it cannot.
 *
 * <p>Where the library comes from: the native build (cmake/build-native.sh, run by Maven in process-classes) puts
 * {@code libmflowhost-<variant>.so} under {@code /org/mflowhpc/backend/host/native/<os>-<arch>/} in the jar's
 * resources and writes {@code build.properties} next to it (what was built, with which compiler, or why nothing was).
 * On x86_64 two variants exist: {@code x86-64-v3} (AVX2 + FMA + BMI2, chosen when /proc/cpuinfo lists every flag of
 * that level) and the {@code x86-64} baseline; {@code libmflowhost-env.so}, loaded first, sets the OpenMP defaults
 * (OMP_WAIT_POLICY=passive unless set: native/host_env.cpp). The chosen files are copied into a fresh per-process temporary
 * directory (never a fixed name in java.io.tmpdir, which concurrent JVMs on a node would race on) and loaded with
 * {@link System#load}. Overrides: {@code -Dmflow.host.lib=/path/lib.so} (load that file),
 * {@code MFLOW_HOST_VARIANT=x86-64} (force a variant), {@code MFLOW_NO_HOST=1} / {@code -Dmflow.nohost} (behave as
 * if absent). A failure never throws out of {@link #status()}: it becomes the one-line reason that
 * {@code mflow info} prints and {@code --backend host} reports.
 */
public final class HostLibrary {
    /** Load result: available, the variant loaded, the library's build info (key=value lines) or the reason. */
    public record Status(boolean available, String variant, String detail) {}

    static final String RESOURCE_DIR = "/org/mflowhpc/backend/host/native/";

    /** The CPU flags of the x86-64-v3 micro-architecture level. */
    private static final String[] V3_FLAGS = {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"};

    private static Status cached;

    private HostLibrary() {}

    public static synchronized Status status() {
        if (cached == null) cached = load();
        return cached;
    }

    /** Throws IllegalStateException("host backend unavailable: REASON") unless the library is loaded. */
    public static void require() {
        Status s = status();
        if (!s.available()) throw new IllegalStateException("host backend unavailable: " + s.detail());
    }

    /** The native build's record (build.properties in the resources), empty when the jar has none. */
    public static Properties buildProperties() {
        Properties p = new Properties();
        try (InputStream in = HostLibrary.class.getResourceAsStream(RESOURCE_DIR + "build.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            // an unreadable record reads as absent
        }
        return p;
    }

    /** The library's build info as a map (version, variant, compiler, flags, openmp, simd, ...); empty if absent. */
    public static Map<String, String> buildInfo() {
        Map<String, String> m = new LinkedHashMap<>();
        Status s = status();
        if (!s.available()) return m;
        for (String line : s.detail().split("\n")) {
            int i = line.indexOf('=');
            if (i > 0) m.put(line.substring(0, i), line.substring(i + 1));
        }
        return m;
    }

    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (arch.equals("amd64")) arch = "x86_64";
        return (os.contains("mac") ? "darwin" : os.contains("linux") ? "linux" : os.replace(' ', '_')) + "-" + arch;
    }

    private static Status load() {
        if (Boolean.getBoolean("mflow.nohost") || System.getenv("MFLOW_NO_HOST") != null)
            return new Status(false, "", "disabled by MFLOW_NO_HOST / -Dmflow.nohost");
        String explicit = System.getProperty("mflow.host.lib");
        if (explicit != null) return loadFile(Path.of(explicit), "explicit");
        String plat = platform();
        String[] variants = variants(plat);
        String forced = System.getenv("MFLOW_HOST_VARIANT");
        if (forced != null && !forced.isBlank()) variants = new String[] {forced.trim()};
        for (String v : variants) {
            String res = RESOURCE_DIR + plat + "/libmflowhost-" + v + ".so";
            if (HostLibrary.class.getResource(res) == null) continue;
            try {
                Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "mflow-host-");
                new java.io.File(dir.toString()).deleteOnExit(); // not toFile(): works under any provider of the real file system
                Path env = unpack(RESOURCE_DIR + plat + "/libmflowhost-env.so", dir);
                if (env != null) {
                    try {
                        System.load(env.toAbsolutePath().toString());
                    } catch (Throwable t) {
                        // only the OpenMP wait-policy default is lost
                    }
                }
                return loadFile(unpack(res, dir), v);
            } catch (IOException e) {
                return new Status(false, v, "cannot unpack the host library " + res + ": " + e.getMessage());
            }
        }
        Properties bp = buildProperties();
        String why = bp.getProperty("host.reason");
        if (why != null) return new Status(false, "", "not built: " + why);
        if (!bp.isEmpty()) return new Status(false, "", "no host library for " + plat + " in this build (built for " + bp.getProperty("host.platform", "?") + ")");
        return new Status(false, "", "this build has no host library (the native build did not run)");
    }

    /** Copies resource res into dir (deleted on exit); null when the resource does not exist. */
    private static Path unpack(String res, Path dir) throws IOException {
        try (InputStream in = HostLibrary.class.getResourceAsStream(res)) {
            if (in == null) return null;
            Path file = dir.resolve(res.substring(res.lastIndexOf('/') + 1));
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            new java.io.File(file.toString()).deleteOnExit();
            return file;
        }
    }

    private static Status loadFile(Path file, String variant) {
        try {
            System.load(file.toAbsolutePath().toString());
            String info = HostNative.buildInfo();
            return new Status(true, variant, info);
        } catch (Throwable t) {
            String msg = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().split("\n")[0];
            return new Status(false, variant, "cannot load " + file.getFileName() + ": " + msg);
        }
    }

    /** Variants to try on this platform, best first, given the CPU's flags. */
    static String[] variants(String plat) {
        if (!plat.endsWith("x86_64")) return new String[] {"generic"};
        Set<String> flags = cpuFlags();
        boolean v3 = true;
        for (String f : V3_FLAGS) v3 &= flags.contains(f);
        return v3 ? new String[] {"x86-64-v3", "x86-64"} : new String[] {"x86-64"};
    }

    /** CPU flags from /proc/cpuinfo (empty set where that file does not exist). */
    static Set<String> cpuFlags() {
        Set<String> s = new TreeSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    int i = line.indexOf(':');
                    for (String f : line.substring(i + 1).trim().split("\\s+")) s.add(f);
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: only the baseline variant is tried
        }
        return s;
    }
}
