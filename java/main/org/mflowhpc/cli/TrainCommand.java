package org.mflowhpc.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.flow.Models;
import org.mflowhpc.group.Group;
import org.mflowhpc.io.Checkpoint;
import org.mflowhpc.io.CheckpointException;
import org.mflowhpc.io.DirectoryLock;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.LrSchedule;
import org.mflowhpc.train.Trainer;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mflow train}: reverse-KL training of a flow model (see {@link Trainer} for the loss, the metrics file,
 * checkpoints and SIGTERM handling). OUT receives checkpoint.bin, metrics.jsonl and training.png. --resume
 * continues from OUT/checkpoint.bin so that the parameters at step N are bit-identical to an uninterrupted run
 * (checkpoint.bin and metrics.jsonl byte-identical; wall-clock times go to timing.jsonl); without --resume an OUT
 * that already holds a checkpoint is refused. While it runs, the process holds an exclusive lock on OUT/.train.lock,
 * so a second train run in the same directory is refused with one line. SIGTERM ({@link Shutdown}): the current
 * step finishes, the checkpoint and plot are written, exit status 143.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a normalizing flow (reverse KL); checkpoints, metrics.jsonl and training.png go to --out.",
                "Models: haar (Haar prior + gauge-equivariant coupling layers), multiscale (doubling layers from a coarse",
                "prior), multiscale+flow (with refinement layers): U1 and SU3 in 2, 3, 4 dimensions; exact (exact-conditional",
                "oracle): 2D U1, and 2D SU3 up to beta 5.3."},
        footer = {"", "Example: mflow train --group U1 --lattice 16x16 --beta 6.0 --model multiscale --steps 500 --batch 64 --seed 1 --out model/",
                "         mflow train --group SU3 --lattice 8x8 --beta 4.0 --model haar --steps 1000 --out su3-haar/"})
final class TrainCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--group", defaultValue = "U1", description = "Gauge group U1 or SU3. Default: ${DEFAULT-VALUE}.") String group;
    @Option(names = "--lattice", required = true, description = "Extents, e.g. 16x16.") String lattice;
    @Option(names = "--beta", required = true, description = "Wilson coupling beta.") double beta;
    @Option(names = "--model", defaultValue = "multiscale", description = "haar | multiscale | multiscale+flow | exact. Default: ${DEFAULT-VALUE}.") String model;
    @Option(names = "--model-option", paramLabel = "KEY=VALUE", description = "Model hyperparameter (repeatable), e.g. layers=16, hidden=8,8, flow=ncp6 (U1) or spectral4 (SU3), kernel=1, refine_layers=4, frames=midpoint,staple (multiscale new-link frames), base_start=mk (multiscale start); all keys: docs/flows.md.") List<String> modelOptions;
    @Option(names = "--steps", defaultValue = "1000", description = "Total training steps (resumed ones included). Default: ${DEFAULT-VALUE}.") long steps;
    @Option(names = "--batch", defaultValue = "64", description = "Samples per step. Default: ${DEFAULT-VALUE}.") int batch;
    @Option(names = "--seed", defaultValue = "1", description = "Seed (network init and training samples). Default: ${DEFAULT-VALUE}.") long seed;
    @Option(names = "--lr", defaultValue = "1e-3", description = "Adam learning rate. Default: ${DEFAULT-VALUE}.") double lr;
    @Option(names = "--schedule", defaultValue = "constant", description = "constant | cosine (to lr/100 at --steps). Default: ${DEFAULT-VALUE}.") String schedule;
    @Option(names = "--clip", defaultValue = "0", description = "Global gradient-norm clip (0 = none). Default: ${DEFAULT-VALUE}.") double clip;
    @Option(names = "--checkpoint-every", defaultValue = "100", description = "Steps between checkpoints. Default: ${DEFAULT-VALUE}.") int checkpointEvery;
    @Option(names = "--log-every", defaultValue = "10", description = "Steps between plain log lines (no terminal). Default: ${DEFAULT-VALUE}.") int logEvery;
    @Option(names = "--train-params", paramLabel = "REGEX", description = {"Stage-wise training: update only parameter blocks whose names match",
            "(multiscale levels are level<k>.*, refinement layers refine<i>.*); run stages with --resume."}) String trainParams;
    @Option(names = "--resume", description = "Continue from OUT/checkpoint.bin.") boolean resume;
    @Option(names = "--out", required = true, description = "Run directory.") Path out;
    @CommandLine.Mixin ComputeOptions compute = new ComputeOptions();

    /** Lock file held in OUT while a train run is active. */
    static final String LOCK = ".train.lock";

    @Override public Integer call() throws Exception {
        Group g = Group.parse(group);
        Lattice lat = Lattice.parse(lattice);
        if (!Double.isFinite(beta) || beta < 0) throw new UserError("--beta must be finite and >= 0, got " + beta);
        if (steps < 0) throw new UserError("--steps must be >= 0, got " + steps);
        if (batch < 1) throw new UserError("--batch must be >= 1, got " + batch);
        if (!(lr > 0)) throw new UserError("--lr must be > 0, got " + lr);
        if (clip < 0) throw new UserError("--clip must be >= 0, got " + clip);
        if (checkpointEvery < 1) throw new UserError("--checkpoint-every must be >= 1");
        if (logEvery < 1) throw new UserError("--log-every must be >= 1, got " + logEvery);
        java.util.regex.Pattern blocks = null;
        if (trainParams != null) {
            try {
                blocks = java.util.regex.Pattern.compile(trainParams);
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new UserError("--train-params: bad regular expression '" + trainParams + "'");
            }
        }
        OutDir.check(out, "--out");
        SampleCommand.checkBatchFits(g, lat, batch, 4); // the field, its gradient and the model's saved activations
        Path ck = out.resolve("checkpoint.bin");
        if (resume && !Files.exists(ck)) throw new UserError("--resume: no checkpoint at " + ck);
        PrintStream log = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true);
        if (!resume && Files.exists(ck)) throw new UserError(out + " already holds a checkpoint; use --resume to continue it or choose another --out");
        try (Backend be = compute.create()) {
            FlowModel m = Models.create(model, be, g, lat, beta, Models.parseOptions(modelOptions), seed);
            Trainer.Options o = new Trainer.Options();
            o.seed = seed;
            o.batch = batch;
            o.steps = m.params().size() == 0 ? 0 : steps;
            o.schedule = schedule.equals("cosine") ? LrSchedule.cosine(lr, Math.max(1, steps), lr / 100)
                    : schedule.equals("constant") ? LrSchedule.constant(lr) : null;
            if (o.schedule == null) throw new UserError("unknown --schedule '" + schedule + "' (expected constant or cosine)");
            o.clipNorm = clip > 0 ? clip : Double.POSITIVE_INFINITY;
            o.checkpointEvery = checkpointEvery;
            o.logEvery = logEvery;
            o.log = log;
            o.progressBar = Progress.interactive();
            o.runDir = out;
            o.trainBlocks = blocks;
            Trainer t = new Trainer(m, be, beta, o); // validates the batch and --train-params: nothing is written before
            if (resume) { // read-only check first, so that a wrong or corrupt checkpoint leaves OUT exactly as it was
                try {
                    Trainer.validateCheckpoint(Checkpoint.read(ck), m, beta);
                } catch (CheckpointException e) {
                    throw new UserError(ck + ": " + e.getMessage());
                }
            }
            try (DirectoryLock lock = DirectoryLock.acquire(out, LOCK, "train run")) {
                return train(t, m, g, lat, ck, o, log);
            }
        }
    }

    /** The part that writes OUT, run while OUT/.train.lock is held. */
    private int train(Trainer t, FlowModel m, Group g, Lattice lat, Path ck, Trainer.Options o, PrintStream log) throws Exception {
        // checked again under the lock: another run may have written it since
        if (!resume && Files.exists(ck)) throw new UserError(out + " already holds a checkpoint; use --resume to continue it or choose another --out");
        if (resume) {
            try {
                t.resume(ck);
            } catch (CheckpointException e) {
                throw new UserError(ck + ": " + e.getMessage());
            }
            log.println("mflow train: resumed " + m.kind() + " at step " + t.step());
        }
        log.printf("mflow train: %s on %s %s beta=%s, %d parameters, batch %d, %d steps -> %s%n", m.kind(), g, lat.spec(), beta,
                m.params().size(), batch, o.steps, out);
        Trainer.Result r;
        try (Shutdown.Scope s = Shutdown.enter("mflow train", "finishing the current step, then writing the checkpoint", t::requestStop)) {
            r = t.run();
            if (m.params().size() == 0) t.writeCheckpoint();
        }
        log.println("mflow train: " + r);
        return r.status == Trainer.Status.DIVERGED ? 3 : r.status == Trainer.Status.INTERRUPTED ? Main.EXIT_INTERRUPTED : 0;
    }
}
