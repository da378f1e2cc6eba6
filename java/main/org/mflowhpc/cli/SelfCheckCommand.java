package org.mflowhpc.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.host.HostLibrary;
import org.mflowhpc.check.SelfCheck;
import org.mflowhpc.check.Timings;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mflow selfcheck}: the contract check of a backend from the jar alone (a GPU node has no Maven and no test
 * classes): every seam op on the chosen backend against the float64 CPU reference on fresh random inputs, one line
 * per check with its max abs / rel error and named tolerance ({@link SelfCheck}), a summary line, exit status 1 when
 * any check fails (0 otherwise, 2 for bad options). {@code --timings} then times the kernels, the copy bandwidth and
 * flow models' training steps and sampling batches on the same backend ({@link Timings}). {@code --report FILE}
 * writes everything as a Markdown file (never over an existing one): backend, device, command, seed, the check
 * lines, the timing tables.
 */
@Command(name = "selfcheck", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Check every seam op of a backend against the CPU reference on fresh random inputs (one line each; exit 1 on any failure), "
                + "then optionally time its kernels, copies and flow models.",
        footer = {"", "Examples:", "  mflow selfcheck --backend host", "  MFLOW_CUDA_SYNC=1 mflow selfcheck --backend cuda --report check.md",
                  "  mflow selfcheck --backend cuda --no-contract --timings --size large"})
final class SelfCheckCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--seed", description = "Seed of the random inputs (default: fresh, printed).") Long seed;
    @Option(names = "--only", paramLabel = "REGEX", description = "Run only the checks (and timing rows are unaffected) whose 'op theory' matches.") String only;
    @Option(names = "--no-contract", description = "Skip the contract checks.") boolean noContract;
    @Option(names = "--timings", description = "Time kernels, copies and models after the checks.") boolean timings;
    @Option(names = "--sections", defaultValue = "copies,kernels,models", split = ",", description = "Timing sections: copies, kernels, models, large-models (only the GPU-sized models, for a CPU figure beside a GPU's). Default: ${DEFAULT-VALUE}.")
    List<String> sections;
    @Option(names = "--size", defaultValue = "auto", description = "Timing sizes: tiny, small (CPU), large (GPU: working sets several times the L2), auto (large on cuda). Default: ${DEFAULT-VALUE}.")
    String size;
    @Option(names = "--report", paramLabel = "FILE", description = "Also write a Markdown report (a new file).") Path report;
    @CommandLine.Mixin ComputeOptions compute = new ComputeOptions();

    @Override public Integer call() throws Exception {
        Timings.Size sz = null;
        if (!size.equalsIgnoreCase("auto")) {
            try {
                sz = Timings.Size.valueOf(size.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new UserError("--size must be tiny, small, large or auto, got '" + size + "'");
            }
        }
        Set<String> secs = new LinkedHashSet<>();
        for (String s : sections) {
            String t = s.trim().toLowerCase(Locale.ROOT);
            if (!Set.of("copies", "kernels", "models", "large-models").contains(t))
                throw new UserError("--sections takes copies, kernels, models, large-models; got '" + s + "'");
            secs.add(t);
        }
        if (only != null) {
            try {
                java.util.regex.Pattern.compile(only);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new UserError("--only is not a regular expression: " + RunCards.firstLine(e.getMessage()));
            }
        }
        if (report != null && Files.exists(report)) throw new UserError("--report " + report + " exists; choose a new file");
        if (noContract && !timings) throw new UserError("--no-contract without --timings does nothing");
        long s = seed != null ? seed : System.nanoTime();
        PrintWriter out = spec.commandLine().getOut();
        StringBuilder md = new StringBuilder();
        try (Backend be = compute.create()) {
            if (sz == null) sz = be.name().equals("cuda") ? Timings.Size.LARGE : Timings.Size.SMALL;
            String desc = describe(be);
            out.println("selfcheck: backend " + be.name() + ": " + desc);
            md.append("# mflow selfcheck: backend ").append(be.name()).append("\n\n");
            md.append("- date: ").append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append('\n');
            md.append("- backend: ").append(desc).append('\n');
            md.append("- java: ").append(System.getProperty("java.version")).append(" (").append(System.getProperty("java.vm.name")).append(")\n");
            md.append("- mflow-hpc: ").append(Version.get()).append('\n');
            if (be.name().equals("cuda")) {
                org.mflowhpc.backend.cuda.CudaBackend cb = (org.mflowhpc.backend.cuda.CudaBackend) be;
                md.append("\n## Kernels (block size, registers, local memory per thread)\n\n```text\n");
                for (String k : cb.kernelTable()) md.append(k).append('\n');
                md.append("```\n");
            }
            long failed = 0;
            if (!noContract) {
                out.println("selfcheck: contract checks against the cpu reference, seed " + s + (only == null ? "" : ", only " + only));
                long t0 = System.nanoTime();
                SelfCheck sc = new SelfCheck(be, s, out, only);
                List<SelfCheck.Line> lines = sc.run();
                failed = sc.failures();
                String summary = String.format(Locale.ROOT, "selfcheck: %d checks, %d failed (seed %d, %.1f s)%s", lines.size(), failed, s,
                        (System.nanoTime() - t0) * 1e-9, failed > 0 ? "; replay with --seed " + s : "");
                out.println(summary);
                md.append("\n## Contract: every seam op against the cpu reference\n\n").append(summary.substring("selfcheck: ".length())).append(
                        ". Tolerances: exact = identical doubles; round 1e-12, libm 1e-13, chain 1e-10 = max |got - ref| / (1 + |ref|).\n\n```text\n");
                for (SelfCheck.Line l : lines) md.append(l.format()).append('\n');
                md.append("```\n");
            }
            if (timings) {
                out.println("selfcheck: timings (" + sz.name().toLowerCase(Locale.ROOT) + " sizes, sections " + String.join(",", secs) + ")");
                String head = "| op | shape | ms per call | GB/s | GF/s | rate, note |\n|---|---|---|---|---|---|";
                out.println(head);
                long t0 = System.nanoTime();
                List<Timings.Row> rows = new Timings(be, sz, secs, out).run();
                out.printf(Locale.ROOT, "selfcheck: timings done (%.1f s)%n", (System.nanoTime() - t0) * 1e-9);
                md.append("\n## Timings (").append(sz.name().toLowerCase(Locale.ROOT)).append(" sizes)\n\n")
                        .append("Median of 3 samples per op, each call followed by a synchronisation; GB/s from compulsory bytes (inputs read once, outputs "
                                + "written once), GF/s from the op's stated flops (Timings.java).\n");
                String sec = "";
                for (Timings.Row r : rows) {
                    if (!r.section().equals(sec)) {
                        sec = r.section();
                        md.append("\n### ").append(sec).append("\n\n").append(head).append('\n');
                    }
                    md.append(r.markdown()).append('\n');
                }
            }
            if (report != null) {
                Path parent = report.toAbsolutePath().getParent();
                if (parent != null) Files.createDirectories(parent);
                Files.writeString(report, md.toString(), StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
                out.println("selfcheck: report written to " + report);
            }
            out.flush();
            return failed > 0 ? 1 : 0;
        }
    }

    /** One line about the backend: cuda's device description, host's library variant, cpu's threads. */
    static String describe(Backend be) {
        switch (be.name()) {
            case "cuda":
                return ((org.mflowhpc.backend.cuda.CudaBackend) be).describe();
            case "host": {
                var bi = HostLibrary.buildInfo();
                return "native " + HostLibrary.status().variant() + " (" + bi.getOrDefault("compiler", "?") + ", simd " + bi.getOrDefault("simd", "?") + "), "
                        + be.threads() + " threads";
            }
            default:
                return "Java float64 reference, " + be.threads() + " threads";
        }
    }
}
