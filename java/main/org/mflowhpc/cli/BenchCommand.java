package org.mflowhpc.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.flow.Models;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.LrSchedule;
import org.mflowhpc.train.Trainer;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mflow bench}: the speed of a flow model as users run it, without touching their files: training steps (the
 * full {@link Trainer} step: sample with tape, action, reparameterisation gradient, backward, clipping, Adam; timed
 * per step after --warmup steps, in a temporary run directory that is deleted) and sampling (model.sample of
 * --sample-batch configurations with log q and the action, nothing written). Prints one JSON object: ms per
 * training step (median, min, max), configurations per second (median over --repeats batches), the model, theory
 * and backend. Used by benchmarks/flows/speed_peer.py next to the PyTorch peer.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Time a flow model's training step and sampling throughput (nothing written; JSON on stdout).",
        footer = {"", "Example: mflow bench --lattice 8x8 --beta 2 --model haar --model-option flow=ncp2 --steps 30"})
final class BenchCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--group", defaultValue = "U1", description = "Gauge group U1 or SU3. Default: ${DEFAULT-VALUE}.") String group;
    @Option(names = "--lattice", required = true, description = "Extents, e.g. 8x8.") String lattice;
    @Option(names = "--beta", required = true, description = "Wilson coupling beta.") double beta;
    @Option(names = "--model", defaultValue = "haar", description = "haar | multiscale | multiscale+flow | exact. Default: ${DEFAULT-VALUE}.") String model;
    @Option(names = "--model-option", paramLabel = "KEY=VALUE", description = "Model hyperparameter (repeatable).") List<String> modelOptions;
    @Option(names = "--batch", defaultValue = "64", description = "Training batch. Default: ${DEFAULT-VALUE}.") int batch;
    @Option(names = "--steps", defaultValue = "30", description = "Timed training steps. Default: ${DEFAULT-VALUE}.") int steps;
    @Option(names = "--warmup", defaultValue = "5", description = "Untimed steps/batches first (JIT). Default: ${DEFAULT-VALUE}.") int warmup;
    @Option(names = "--sample-batch", defaultValue = "1024", description = "Configurations per sampling batch. Default: ${DEFAULT-VALUE}.") int sampleBatch;
    @Option(names = "--repeats", defaultValue = "3", description = "Timed sampling batches. Default: ${DEFAULT-VALUE}.") int repeats;
    @CommandLine.Mixin ComputeOptions compute = new ComputeOptions();

    @Override public Integer call() throws Exception {
        Group g = Group.parse(group);
        Lattice lat = Lattice.parse(lattice);
        if (!Double.isFinite(beta) || beta < 0) throw new UserError("--beta must be finite and >= 0, got " + beta);
        if (batch < 1 || sampleBatch < 1) throw new UserError("--batch and --sample-batch must be >= 1");
        if (steps < 1 || repeats < 1 || warmup < 0) throw new UserError("--steps and --repeats must be >= 1, --warmup >= 0");
        Path dir = Files.createTempDirectory("mflow-bench");
        try (Backend be = compute.create()) {
            FlowModel m = Models.create(model, be, g, lat, beta, Models.parseOptions(modelOptions), 1);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("impl", "mflow-hpc");
            out.put("backend", be.name());
            out.put("threads", be.threads());
            out.put("group", g.name());
            out.put("lattice", lat.spec());
            out.put("beta", beta);
            out.put("model", m.kind());
            out.put("config", m.config());
            out.put("params", m.params().size());
            if (m.params().size() > 0) {
                Trainer.Options o = new Trainer.Options();
                o.seed = 1; o.batch = batch; o.steps = warmup + steps; o.schedule = LrSchedule.constant(1e-3);
                o.log = null; o.plot = false; o.checkpointEvery = Integer.MAX_VALUE; o.runDir = dir;
                Trainer t = new Trainer(m, be, beta, o);
                long t0 = System.nanoTime();
                t.run();
                double wall = (System.nanoTime() - t0) * 1e-9;
                List<Double> ms = new ArrayList<>();
                int i = 0;
                for (String line : Files.readAllLines(t.timingPath()))
                    if (i++ >= warmup) ms.add(new ObjectMapper().readTree(line).get("step_s").asDouble() * 1e3);
                Collections.sort(ms);
                out.put("batch", batch);
                out.put("steps", steps);
                out.put("ms_per_step_median", round(ms.get(ms.size() / 2)));
                out.put("ms_per_step_min", round(ms.get(0)));
                out.put("ms_per_step_max", round(ms.get(ms.size() - 1)));
                out.put("train_wall_s", round(wall));
            }
            GaugeField u = new GaugeField(be, g, lat, sampleBatch);
            Buffer lq = be.alloc(sampleBatch), s = be.alloc(sampleBatch);
            List<Double> rates = new ArrayList<>();
            for (int r = 0; r < warmup + repeats; r++) {
                long t0 = System.nanoTime();
                try (Backend.Scope sc = be.scope()) { m.sample(7, r, u, lq); }
                be.action(u, beta, s, 0);
                be.sum(lq, 0, sampleBatch);
                double dt = (System.nanoTime() - t0) * 1e-9;
                if (r >= warmup || warmup + repeats <= 1) rates.add(sampleBatch / dt);
            }
            Collections.sort(rates);
            out.put("sample_batch", sampleBatch);
            out.put("samples_per_s_median", round(rates.get(rates.size() / 2)));
            out.put("samples_per_s_min", round(rates.get(0)));
            out.put("samples_per_s_max", round(rates.get(rates.size() - 1)));
            spec.commandLine().getOut().println(new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out));
            return 0;
        } finally {
            try (var st = Files.walk(dir)) {
                st.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static double round(double v) { return Double.parseDouble(String.format(Locale.ROOT, "%.4g", v)); }
}
