package org.mflowhpc.cli;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.backend.cuda.CudaProbe;

import picocli.CommandLine.Option;

/** Options shared by every command that computes: backend choice and CPU threads. */
final class ComputeOptions {
    @Option(names = "--backend", defaultValue = "cpu", description = "Compute backend: cpu (float64 reference) or cuda. Default: ${DEFAULT-VALUE}.")
    String backend;

    @Option(names = "--threads", defaultValue = "0", description = "CPU worker threads (0 = all hardware threads). Results are bit-identical for any value.")
    int threads;

    Backend create() {
        if (threads < 0) throw new UserError("--threads must be >= 0, got " + threads);
        int t = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        switch (backend.toLowerCase()) {
            case "cpu": return new CpuBackend(t);
            case "cuda": {
                CudaProbe.Result r = CudaProbe.probe();
                if (!r.found()) throw new UserError("--backend cuda: no usable CUDA GPU: " + r.description());
                throw new UserError("--backend cuda: GPU found (" + r.description() + ") but this build has no CUDA backend; use --backend cpu");
            }
            default: throw new UserError("unknown backend '" + backend + "' (expected cpu or cuda)");
        }
    }
}
