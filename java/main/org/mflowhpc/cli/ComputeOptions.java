package org.mflowhpc.cli;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.backend.cuda.CudaBackend;
import org.mflowhpc.backend.host.HostBackend;
import org.mflowhpc.backend.host.HostLibrary;

import picocli.CommandLine.Option;

/**
 * Options shared by every command that computes: backend choice and CPU threads. Backends: {@code cpu} (the Java
 * float64 reference), {@code host} (the native kernels, OpenMP + SIMD, same results: bit for bit where the arithmetic
 * is the same, else to an ulp-level tolerance, docs/engine.md), {@code auto} (the default: host when its library
 * loads, else cpu; the choice is logged on stderr when auto is asked for by name; auto never picks cuda), {@code cuda} (the GPU kernels through JCuda,
 * backend/cuda/CudaBackend; without a usable GPU, driver or device code a one-line error naming the reason).
 */
final class ComputeOptions {
    /** null: not given, i.e. auto without the stderr line (an error must stay the only line a failing command prints). */
    @Option(names = "--backend", description = "Compute backend: auto (host if its library loads, else cpu; says which on stderr), cpu (Java float64 reference), host (native kernels, OpenMP + SIMD) or cuda (NVIDIA GPU). Default: auto (silently; `mflow info` says whether host loads).")
    String backend;

    @Option(names = "--threads", defaultValue = "0", description = "CPU worker threads (0 = all hardware threads). Results are bit-identical for any value.")
    int threads;

    Backend create() {
        if (threads < 0) throw new UserError("--threads must be >= 0, got " + threads);
        int t = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        boolean quiet = backend == null;
        switch (quiet ? "auto" : backend.toLowerCase()) {
            case "cpu": return new CpuBackend(t);
            case "host": {
                HostLibrary.Status s = HostLibrary.status();
                if (!s.available()) throw new UserError("--backend host: host library unavailable: " + s.detail());
                return new HostBackend(t);
            }
            case "auto": {
                HostLibrary.Status s = HostLibrary.status();
                if (s.available()) {
                    if (!quiet) System.err.printf("mflow: --backend auto: using host (native %s, %d threads)%n", s.variant(), t);
                    return new HostBackend(t);
                }
                if (!quiet) System.err.printf("mflow: --backend auto: using cpu (%d threads); host unavailable: %s%n", t, s.detail());
                return new CpuBackend(t);
            }
            case "cuda": {
                try {
                    return new CudaBackend();
                } catch (IllegalStateException e) {
                    throw new UserError("--backend cuda: " + e.getMessage() + "; use --backend host or cpu");
                }
            }
            default: throw new UserError("unknown backend '" + backend + "' (expected cpu, host, auto or cuda)");
        }
    }
}
