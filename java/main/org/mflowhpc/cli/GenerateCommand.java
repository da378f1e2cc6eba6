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
import org.mflowhpc.io.Ensemble;
import org.mflowhpc.io.EnsembleMeta;
import org.mflowhpc.io.EnsembleWriter;
import org.mflowhpc.io.Shard;
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
 *
 * <p>The chain is a pure function of (start, seed, update counter): update u (0-based, thermalisation included)
 * draws its random numbers from step u of the sampler's streams, and saved configuration c is the state after
 * update therm + (c+1)*every. So --resume continues exactly: it reopens the ensemble (metadata must match, including
 * every/therm/start and the algorithm's parameters; leftovers of an interrupted write are cleaned up), takes the last
 * published configuration as the chain state, sets the update counter to therm + published*every and goes on;
 * the result is bit-identical to an uninterrupted run. With nothing published yet it starts from scratch (same
 * hot/cold start and thermalisation). Shards are the checkpoints: a SIGKILL loses the configurations not yet in a
 * published shard (--shard-size sets how many that can be). SIGTERM ({@link Shutdown}): the current update
 * finishes, pending configurations are published as a (shorter) shard, exit status 143. --configs is the total.
 * HMC acceptance in the summary line counts this run's trajectories only.
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
    @Option(names = "--start", defaultValue = "cold", description = "Initial configuration: cold (unit links) or hot (Haar random). Default: ${DEFAULT-VALUE} (a hot start can freeze 4D U(1) in the Coulomb phase into a flux sector: docs/physics.md).") String start;
    @Option(names = "--overrelax", defaultValue = "4", description = "Overrelaxation sweeps per heatbath sweep. Default: ${DEFAULT-VALUE}.") int overrelax;
    @Option(names = "--hmc-steps", defaultValue = "10", description = "HMC integration steps per trajectory. Default: ${DEFAULT-VALUE}.") int hmcSteps;
    @Option(names = "--hmc-tau", defaultValue = "1.0", description = "HMC trajectory length. Default: ${DEFAULT-VALUE}.") double hmcTau;
    @Option(names = "--shard-size", defaultValue = "0", description = "Configurations per shard (0 = automatic, ~64 MiB shards).") int shardSize;
    @Option(names = "--out", required = true, description = "Output directory (created; must not already hold an ensemble, unless --resume).") Path out;
    @Option(names = "--resume", description = "Continue the chain whose shards are in --out (bit-identical to an uninterrupted run).") boolean resume;
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
        OutDir.check(out, "--out");
        if (resume && !java.nio.file.Files.exists(out.resolve(org.mflowhpc.io.HdfSchema.MANIFEST)))
            throw new UserError("--resume: no ensemble in " + out + " (no manifest.json); run without --resume to start one");
        int perShard = shardSize > 0 ? shardSize
                : (int) Math.max(1, Math.min(configs, (64L << 20) / (8L * lat.d * lat.volume * g.dof)));
        PrintWriter log = spec.commandLine().getErr();

        EnsembleMeta meta = EnsembleMeta.of(g, lat, beta, alg, seed)
                .withExtra("updates_between_configs", (long) every).withExtra("thermalisation_updates", (long) therm)
                .withExtra("start", start);
        if (alg.equals("heatbath")) meta = meta.withExtra("overrelax_sweeps", (long) overrelax);
        else meta = meta.withExtra("hmc_steps", (long) hmcSteps).withExtra("hmc_tau", hmcTau);

        try (Backend be = compute.create();
             EnsembleWriter w = EnsembleWriter.open(out, meta, perShard, resume ? EnsembleWriter.Mode.RESUME : EnsembleWriter.Mode.CREATE)) {
            long done = w.nextConfigIndex();
            if (done > configs)
                throw new UserError("--resume: " + out + " already holds " + done + " configurations, more than --configs " + configs
                        + " (--configs is the total; use --configs >= " + done + ")");
            if (resume) {
                for (String n : w.recoveryNotes()) log.println("mflow generate: " + n);
                log.printf("mflow generate: resuming at configuration %d of %d%n", done, configs);
            }
            if (done == configs) {
                log.printf("mflow generate: %s already holds all %d configurations; nothing to do%n", out, configs);
                log.flush();
                return 0;
            }
            GaugeField u;
            if (done > 0) {
                Ensemble ens = Ensemble.open(out);
                Shard last = ens.readShard(ens.shards().size() - 1);
                int i = last.n() - 1, cs = last.configSize();
                u = GaugeField.fromHost(be, g, lat, 1, java.util.Arrays.copyOfRange(last.configData(), i * cs, (i + 1) * cs));
            } else {
                u = start.equals("cold") ? GaugeField.identity(be, g, lat, 1) : hotStart(be, g, lat, seed);
            }
            Heatbath hb = alg.equals("heatbath") ? new Heatbath(be, beta, seed, overrelax) : null;
            Hmc hmc = alg.equals("hmc") ? new Hmc(be, beta, seed, hmcTau, hmcSteps) : null;
            long counter = done > 0 ? therm + done * (long) every : 0;
            if (hb != null) hb.setSweepCount(counter); else hmc.setTrajectoryCount(counter);
            Runnable update = hb != null ? () -> hb.sweep(u) : () -> hmc.trajectory(u);
            long t0 = System.nanoTime();
            long c = done;
            try (Shutdown.Scope scope = Shutdown.enter("mflow generate", "finishing the current update, then publishing the pending configurations", null)) {
                if (done == 0) {
                    try (Progress p = new Progress("thermalise", therm, new java.io.PrintStream(System.err, true))) {
                        for (int i = 0; i < therm && !Shutdown.requested(); i++) { update.run(); p.step(1); }
                    }
                }
                Buffer sb = be.alloc(1), plb = be.alloc(1);
                boolean topo = g == Group.U1 && lat.d == 2;
                try (Progress p = new Progress("generate", configs - done, new java.io.PrintStream(System.err, true))) {
                    for (; c < configs && !Shutdown.requested(); c++) {
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
                w.flush(); // (stopped during thermalisation: nothing pending, a resume restarts from scratch)
            } catch (RuntimeException | IOException e) {
                w.discardPending(); // publish nothing after an error (what is published stays)
                throw e;
            }
            double secs = (System.nanoTime() - t0) * 1e-9;
            long published = w.publishedEnd();
            if (published < configs) {
                log.printf("mflow generate: stopped (SIGTERM); published %d configurations of %s %s beta=%s (%s) in %.1f s; %s holds %d of %d, continue with --resume%n",
                        published - done, g, lat.spec(), beta, alg, secs, out, published, configs);
                log.flush();
                return Main.EXIT_INTERRUPTED;
            }
            log.printf("mflow generate: wrote %d configurations of %s %s beta=%s (%s) to %s in %.1f s%s%n", configs - done, g, lat.spec(), beta, alg,
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
