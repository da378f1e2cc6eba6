package org.mflowhpc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.io.EnsembleMeta;
import org.mflowhpc.io.EnsembleWriter;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.observable.Observables;
import org.mflowhpc.rng.RngStream;
import org.mflowhpc.sample.Heatbath;
import org.mflowhpc.sample.Hmc;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mflow generate}: a Markov chain with the heatbath (+ overrelaxation) or HMC, saved every K updates to
 * HDF5 shards (written to a temporary name, renamed when complete, listed in manifest.json). One update is one
 * heatbath sweep followed by --overrelax OR sweeps, or one HMC trajectory. Datasets besides configs: action,
 * plaquette and, for 2D U(1), topological_charge.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate an ensemble with the heatbath or HMC and write it as HDF5 shards.",
                "A run card (--card FILE.toml, keys = option names) can replace any option; explicit options win."},
        footer = {"", "Example: mflow generate --group U1 --lattice 16x16 --beta 2.0 --algorithm heatbath --configs 1000 --seed 1 --out ens/"})
final class GenerateCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--group", required = true, description = "Gauge group: U1 or SU3.") String group;
    @Option(names = "--lattice", required = true, description = "Extents, e.g. 16x16 or 8x8x8x8 (each even, 2 to 4 dimensions).") String lattice;
    @Option(names = "--beta", required = true, description = "Wilson coupling beta (S = -(beta/N) sum Re tr P).") double beta;
    @Option(names = "--algorithm", defaultValue = "heatbath", description = "heatbath (with overrelaxation) or hmc. Default: ${DEFAULT-VALUE}.") String algorithm;
    @Option(names = "--configs", required = true, description = "Number of configurations to save.") int configs;
    @Option(names = "--seed", defaultValue = "1", description = "64-bit seed of the counter-based RNG. Default: ${DEFAULT-VALUE}.") long seed;
    @Option(names = "--every", defaultValue = "1", description = "Updates between saved configurations. Default: ${DEFAULT-VALUE}.") int every;
    @Option(names = "--therm", defaultValue = "100", description = "Thermalisation updates before the first saved one. Default: ${DEFAULT-VALUE}.") int therm;
    @Option(names = "--start", defaultValue = "hot", description = "Initial configuration: hot (Haar random) or cold (unit links). Default: ${DEFAULT-VALUE}.") String start;
    @Option(names = "--overrelax", defaultValue = "4", description = "Overrelaxation sweeps per heatbath sweep. Default: ${DEFAULT-VALUE}.") int overrelax;
    @Option(names = "--hmc-steps", defaultValue = "10", description = "HMC integration steps per trajectory. Default: ${DEFAULT-VALUE}.") int hmcSteps;
    @Option(names = "--hmc-tau", defaultValue = "1.0", description = "HMC trajectory length. Default: ${DEFAULT-VALUE}.") double hmcTau;
    @Option(names = "--shard-size", defaultValue = "0", description = "Configurations per shard (0 = automatic, ~64 MiB shards).") int shardSize;
    @Option(names = "--out", required = true, description = "Output directory (created; must not already hold an ensemble).") Path out;
    @CommandLine.Mixin ComputeOptions compute = new ComputeOptions();

    @Override public Integer call() throws IOException {
        Group g = Group.parse(group);
        Lattice lat = Lattice.parse(lattice);
        String alg = algorithm.toLowerCase();
        if (!alg.equals("heatbath") && !alg.equals("hmc")) throw new UserError("unknown algorithm '" + algorithm + "' (expected heatbath or hmc)");
        if (configs < 1) throw new UserError("--configs must be >= 1, got " + configs);
        if (every < 1) throw new UserError("--every must be >= 1, got " + every);
        if (therm < 0) throw new UserError("--therm must be >= 0, got " + therm);
        if (overrelax < 0) throw new UserError("--overrelax must be >= 0, got " + overrelax);
        if (hmcSteps < 1 || !(hmcTau > 0)) throw new UserError("--hmc-steps must be >= 1 and --hmc-tau > 0");
        if (!Double.isFinite(beta) || beta < 0) throw new UserError("--beta must be finite and >= 0, got " + beta);
        if (shardSize < 0) throw new UserError("--shard-size must be >= 0, got " + shardSize);
        if (!start.equals("hot") && !start.equals("cold")) throw new UserError("--start must be hot or cold, got '" + start + "'");
        int perShard = shardSize > 0 ? shardSize
                : (int) Math.max(1, Math.min(configs, (64L << 20) / (8L * lat.d * lat.volume * g.dof)));
        PrintWriter log = spec.commandLine().getErr();

        EnsembleMeta meta = EnsembleMeta.of(g, lat, beta, alg, seed)
                .withExtra("updates_between_configs", (long) every).withExtra("thermalisation_updates", (long) therm)
                .withExtra("start", start);
        if (alg.equals("heatbath")) meta = meta.withExtra("overrelax_sweeps", (long) overrelax);
        else meta = meta.withExtra("hmc_steps", (long) hmcSteps).withExtra("hmc_tau", hmcTau);

        try (Backend be = compute.create(); EnsembleWriter w = EnsembleWriter.create(out, meta, perShard)) {
            GaugeField u = start.equals("cold") ? GaugeField.identity(be, g, lat, 1) : hotStart(be, g, lat, seed);
            Heatbath hb = alg.equals("heatbath") ? new Heatbath(be, beta, seed, overrelax) : null;
            Hmc hmc = alg.equals("hmc") ? new Hmc(be, beta, seed, hmcTau, hmcSteps) : null;
            Runnable update = hb != null ? () -> hb.sweep(u) : () -> hmc.trajectory(u);
            long t0 = System.nanoTime();
            try (Progress p = new Progress("thermalise", therm, new java.io.PrintStream(System.err, true))) {
                for (int i = 0; i < therm; i++) { update.run(); p.step(1); }
            }
            Buffer sb = be.alloc(1), plb = be.alloc(1);
            boolean topo = g == Group.U1 && lat.d == 2;
            try (Progress p = new Progress("generate", configs, new java.io.PrintStream(System.err, true))) {
                for (int c = 0; c < configs; c++) {
                    for (int k = 0; k < every; k++) update.run();
                    be.action(u, beta, sb, 0);
                    be.meanPlaquette(u, plb, 0);
                    double[] s = be.download(sb), pl = be.download(plb);
                    Map<String, double[]> extra = new LinkedHashMap<>();
                    if (topo) extra.put("topological_charge", new Observables(be).topologicalCharge(u));
                    w.append(u, s, pl, extra, null);
                    p.step(1, String.format("plaq %.5f", pl[0]) + (hmc != null ? String.format(" acc %.2f", hmc.acceptanceRate()) : ""));
                }
            }
            double secs = (System.nanoTime() - t0) * 1e-9;
            log.printf("mflow generate: wrote %d configurations of %s %s beta=%s (%s) to %s in %.1f s%s%n", configs, g, lat.spec(), beta, alg,
                    out, secs, hmc != null ? String.format(", HMC acceptance %.3f", hmc.acceptanceRate()) : "");
            log.flush();
        }
        return 0;
    }

    static GaugeField hotStart(Backend be, Group g, Lattice lat, long seed) {
        double[] h = new double[GaugeField.checkedSize(g, lat, 1)];
        RngStream r = new RngStream(seed, RngStream.Domain.INIT, 0, 0);
        if (g == Group.U1) for (int i = 0; i < h.length; i++) h[i] = r.angle();
        else for (int o = 0; o < h.length; o += 18) SU3.haar(r, h, o);
        return GaugeField.fromHost(be, g, lat, 1, h);
    }
}
