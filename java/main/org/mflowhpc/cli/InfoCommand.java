package org.mflowhpc.cli;

import java.io.PrintWriter;

import org.mflowhpc.backend.cuda.CudaProbe;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code mflow info}: Java, CPU backend, whether a CUDA GPU was found and why not, optional paths. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Show the runtime: Java, CPU backend, GPU detection, optional paths.")
final class InfoCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        PrintWriter out = spec.commandLine().getOut();
        Runtime rt = Runtime.getRuntime();
        out.printf("mflow-hpc      %s%n", Version.get());
        out.printf("java           %s (%s, %s)%n", System.getProperty("java.version"), System.getProperty("java.vm.name"), System.getProperty("java.vendor"));
        out.printf("os             %s %s (%s)%n", System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("os.arch"));
        out.printf("cpu backend    available: %d hardware threads, max heap %d MiB, float64 reference%n", rt.availableProcessors(), rt.maxMemory() >> 20);
        CudaProbe.Result r = CudaProbe.probe();
        out.printf("cuda gpu       %s%n", r.found() ? "found " + r.devices() + ": " + r.description() : "not found: " + r.description());
        out.printf("cuda backend   not in this build (CPU backend is used for every op)%n");
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
}
