package org.mflowhpc.cli;

import java.io.PrintWriter;

import java.util.Map;
import java.util.Properties;

import org.mflowhpc.backend.cuda.CudaProbe;
import org.mflowhpc.backend.host.HostLibrary;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code mflow info}: Java, the backends (cpu; host: the native library's variant, compiler, OpenMP, SIMD, or why it is
 * absent; the device code in the jar; whether a CUDA GPU was found and why not), SLURM/progress mode, paths.
 */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show the runtime: Java, backends (cpu, host, device code, GPU detection), optional paths.")
final class InfoCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        PrintWriter out = spec.commandLine().getOut();
        Runtime rt = Runtime.getRuntime();
        out.printf("mflow-hpc      %s%n", Version.get());
        out.printf("java           %s (%s, %s)%n", System.getProperty("java.version"), System.getProperty("java.vm.name"), System.getProperty("java.vendor"));
        out.printf("os             %s %s (%s)%n", System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("os.arch"));
        out.printf("cpu backend    available: %d hardware threads, max heap %d MiB, float64 reference%n", rt.availableProcessors(), rt.maxMemory() >> 20);
        HostLibrary.Status hs = HostLibrary.status();
        if (hs.available()) {
            Map<String, String> bi = HostLibrary.buildInfo();
            java.util.List<String> viaRef = org.mflowhpc.backend.host.HostBackend.NOT_NATIVE;
            out.printf("host backend   available: native %s %s (%s; %s; simd %s); %s%n", bi.getOrDefault("version", "?"),
                    hs.variant(), bi.getOrDefault("compiler", "?"), "openmp " + bi.getOrDefault("openmp", "none"), bi.getOrDefault("simd", "?"),
                    viaRef.isEmpty() ? "every seam op native"
                            : "every seam op native except " + viaRef.size() + " run through the cpu reference (" + String.join(", ", viaRef) + ")");
        } else {
            out.printf("host backend   absent: %s%n", hs.detail());
        }
        Properties bp = HostLibrary.buildProperties();
        String dev = bp.getProperty("device");
        out.printf("device code    %s%n", "built".equals(dev) ? "in the jar: kernels/*.fatbin (sm_80, sm_90 SASS + compute_90 PTX) and kernels/*.ptx (compute_75); " + bp.getProperty("nvcc", "nvcc")
                : "absent: " + bp.getProperty("device.reason", "the native build did not run"));
        CudaProbe.Result r = CudaProbe.probe();
        out.printf("cuda gpu       %s%n", r.found() ? "found " + r.devices() + ": " + r.description() : "not found: " + r.description());
        out.printf("cuda backend   %s%n", cudaBackend(r));
        String slurm;
        try {
            slurm = SlurmEnv.current().validate().describe();
        } catch (UserError e) {
            slurm = "invalid environment: " + e.getMessage();
        }
        out.printf("slurm          %s%n", slurm);
        out.printf("progress       %s%n", Progress.interactive() ? "progress bars (terminal)" : "plain log lines");
        out.printf("tmpdir         %s%n", System.getProperty("java.io.tmpdir"));
        out.flush();
    }

    /** "available: DEVICE, driver, JCuda, device code, GEMM path; which ops run on the GPU" or "absent: why". */
    private static String cudaBackend(CudaProbe.Result r) {
        if (!r.found()) return "absent: no GPU (" + r.description() + "); JCuda " + org.mflowhpc.backend.cuda.CudaNatives.jcudaVersion();
        try (org.mflowhpc.backend.cuda.CudaBackend be = new org.mflowhpc.backend.cuda.CudaBackend()) {
            java.util.List<String> viaRef = org.mflowhpc.backend.cuda.CudaBackend.NOT_NATIVE;
            return "available: " + be.describe() + "; " + (viaRef.isEmpty() ? "every seam op on the GPU"
                    : "every seam op on the GPU except " + viaRef.size() + " run through the cpu reference (" + String.join(", ", viaRef) + ")");
        } catch (RuntimeException e) {
            return "absent: " + RunCards.firstLine(e.getMessage());
        }
    }
}
