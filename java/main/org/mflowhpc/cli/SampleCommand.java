package org.mflowhpc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.flow.Models;
import org.mflowhpc.group.Group;
import org.mflowhpc.io.ArrayEnsemble;
import org.mflowhpc.io.Checkpoint;
import org.mflowhpc.io.CheckpointException;
import org.mflowhpc.io.Ensemble;
import org.mflowhpc.io.EnsembleMeta;
import org.mflowhpc.io.EnsembleWriter;
import org.mflowhpc.io.HdfSchema;
import org.mflowhpc.io.IoErrors;
import org.mflowhpc.io.Shard;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.observable.Observables;
import org.mflowhpc.rng.RngStream;
import org.mflowhpc.sample.IndependenceMetropolis;
import org.mflowhpc.train.Trainer;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mflow sample}: configurations from a trained model, made exact by reweighting or by an independence
 * Metropolis-Hastings chain, written as HDF5 shards.
 *
 * <p>Proposal p (0-based) is element p mod B of model batch k = p / B, drawn with
 * {@code model.sample(sampleSeed, k, ...)}, where sampleSeed = RngStream.taskSeed(seed ^ SALT, task) and task is
 * SLURM_ARRAY_TASK_ID (0 outside SLURM): array tasks draw independent streams. log w = -S - log q.
 * <ul>
 *   <li>reweighting (default): configs are the proposals; datasets log_q, log_w (use w = exp(log_w) as weights).
 *   <li>--mh: configs are the Markov chain itself: proposal p is accepted with probability min(1, w_p / w_chain),
 *       the uniform drawn from (sampleSeed, MH_ACCEPT, p); a rejected proposal repeats the previous configuration.
 *       Datasets: accepted (int32 0/1), log_q and log_w of the chain state, proposal_log_w (for the proposal ESS).
 *       Proposal 0 starts the chain and counts as accepted.
 * </ul>
 * Plus action, plaquette and, for 2D U(1), topological_charge of every stored configuration.
 *
 * <p>Resumable: OUT/sampler-state.json records the sampler's identity (model checkpoint SHA-256, seed, task,
 * mode, batch), the target number of configurations and the number of published configurations; it is written as
 * soon as OUT is claimed (and again, with the new target, when a run is resumed) and after every published shard,
 * so a run killed at any moment (SIGKILL included) can be continued. The MH chain state is the last published
 * configuration with its log q and log w (stored in the shard). A rerun with --resume regenerates batches
 * deterministically and continues exactly where the published shards end, so the ensemble equals an uninterrupted
 * run's; --resume with --configs below the configurations already published is refused, equal to them is a no-op.
 * SIGTERM ({@link Shutdown}, the CLI's one handler): the batch in progress finishes, then --on-sigterm decides
 * about the shard in progress: flush (default) publishes the pending configurations as a shorter shard; finish
 * keeps sampling until the shard is complete; drop discards them (they are regenerated bit-identically on
 * resume). With finish or drop the shard boundaries, and so the shard files, are exactly those of an
 * uninterrupted run. Then the state is written, the summary line reports exactly what is published (printed while
 * the handler still waits, so it is never lost), and the exit status is 143.
 *
 * <p>Array ensembles (--array, see {@link ArrayEnsemble}): OUT is one ensemble directory for all tasks and task k
 * writes OUT/task-k (5 digits) with its own streams (sampleSeed from (seed, k)), shards, manifest and state. The
 * task is SLURM_ARRAY_TASK_ID (read and validated by {@link SlurmEnv#taskId}; 0 outside an array), or each task
 * of --tasks run one after another in this process, which produces exactly the files of the array job; a SIGTERM
 * stops after the current task. With --array, --resume continues the tasks that have a state (or a manifest) and
 * starts the others, so a requeued array task resumes where it stopped and a fresh one starts. `mflow merge OUT`
 * indexes the tasks into one ensemble.
 */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Sample configurations from a trained model (reweighting, or --mh independence Metropolis) into HDF5 shards.",
        footer = {"", "Example: mflow sample --model model/ --configs 4096 --mh --seed 7 --out ens/"})
final class SampleCommand implements java.util.concurrent.Callable<Integer> {
    static final long SALT = 0x53414D504C45L;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "Training run directory (holds checkpoint.bin) or a checkpoint file.") Path model;
    @Option(names = "--configs", required = true, description = "Number of configurations (= proposals) to write.") long configs;
    @Option(names = "--mh", description = "Independence Metropolis-Hastings chain instead of reweighting.") boolean mh;
    @Option(names = "--seed", defaultValue = "1", description = "Sampling seed. Default: ${DEFAULT-VALUE}.") long seed;
    @Option(names = "--batch", defaultValue = "256", description = "Proposals per model call. Default: ${DEFAULT-VALUE}.") int batch;
    @Option(names = "--shard-size", defaultValue = "0", description = "Configurations per shard (0 = automatic).") int shardSize;
    @Option(names = "--resume", description = "Continue the sampler whose shards and state are in --out (with --array: continue the tasks that have a state, start the others).") boolean resume;
    @Option(names = "--on-sigterm", defaultValue = "flush", description = {"Shard in progress on SIGTERM: flush (publish it short), finish (complete it, then stop),",
            "drop (discard it; regenerated on resume). finish and drop keep the shard files identical to an uninterrupted run's. Default: ${DEFAULT-VALUE}."}) String onSigterm;
    @Option(names = "--array", description = "Array ensemble: task k writes OUT/task-NNNNN (k = SLURM_ARRAY_TASK_ID, or each of --tasks); join them with 'mflow merge OUT'.") boolean array;
    @Option(names = "--tasks", paramLabel = "LIST", description = "With --array: run these tasks one after another in this process, e.g. 0-3 or 0,2,5 (the single-process equivalent of an sbatch --array job).") String tasks;
    @Option(names = "--out", required = true, description = "Output directory.") Path out;
    @CommandLine.Mixin ComputeOptions compute = new ComputeOptions();

    @Override public Integer call() throws Exception {
        if (!onSigterm.equals("flush") && !onSigterm.equals("finish") && !onSigterm.equals("drop"))
            throw new UserError("--on-sigterm must be flush, finish or drop, got '" + onSigterm + "'");
        if (configs < 1) throw new UserError("--configs must be >= 1, got " + configs);
        if (batch < 1) throw new UserError("--batch must be >= 1, got " + batch);
        if (shardSize < 0) throw new UserError("--shard-size must be >= 0");
        OutDir.check(out, "--out");
        SlurmEnv env = SlurmEnv.current();
        if (!array) {
            if (tasks != null) throw new UserError("--tasks needs --array");
            if (ArrayEnsemble.isArrayDirectory(out))
                throw new UserError(out + " is an array ensemble (task-NNNNN directories); add --array to write or resume its tasks");
            return runTask(env.taskId(), out, resume);
        }
        java.util.SortedSet<Integer> list;
        if (tasks != null) {
            try {
                list = ArrayEnsemble.parseTasks(tasks);
            } catch (IllegalArgumentException e) {
                throw new UserError("--tasks: " + e.getMessage());
            }
        } else {
            if (!env.isArrayTask()) throw new UserError("--array needs SLURM_ARRAY_TASK_ID (run it as an sbatch --array job) or --tasks LIST");
            list = new java.util.TreeSet<>(java.util.List.of(env.taskId()));
        }
        if (Files.exists(out.resolve(HdfSchema.MANIFEST)))
            throw new UserError(out + " holds a plain ensemble (manifest.json); an array ensemble needs its own directory");
        PrintWriter log = spec.commandLine().getErr();
        int rc = 0;
        // the outer scope keeps a SIGTERM between two tasks from halting the JVM before the loop sees it
        try (Shutdown.Scope scope = Shutdown.enter("mflow sample --array", "starting no further task", null)) {
            for (int t : list) {
                if (Shutdown.requested()) {
                    log.printf("mflow sample: stopped (SIGTERM) before task %d; continue with --resume%n", t);
                    log.flush();
                    return Main.EXIT_INTERRUPTED;
                }
                Path dir = out.resolve(ArrayEnsemble.taskDirName(t));
                boolean r = resume && (Files.exists(dir.resolve(STATE)) || Files.exists(dir.resolve(HdfSchema.MANIFEST)));
                if (resume && !r) log.printf("mflow sample: task %d has no sampler state in %s yet: starting it%n", t, dir);
                log.flush();
                rc = runTask(t, dir, r);
                if (rc != 0) break;
            }
        }
        return rc;
    }

    static final String STATE = "sampler-state.json";

    /** One sampler run: task {@code task} into directory {@code out} (resumed if {@code resume}). */
    private Integer runTask(int task, Path out, boolean resume) throws Exception {
        Path ckPath = Files.isDirectory(model) ? model.resolve("checkpoint.bin") : model;
        if (!Files.exists(ckPath)) throw new UserError("no model checkpoint at " + ckPath);
        Checkpoint ck;
        try {
            ck = Checkpoint.read(ckPath);
        } catch (CheckpointException e) {
            throw new UserError(ckPath + ": " + e.getMessage());
        }
        String ckSha = HdfSchema.sha256Hex(ckPath);
        long sampleSeed = RngStream.taskSeed(seed ^ SALT, task);
        PrintWriter log = spec.commandLine().getErr();
        Path statePath = out.resolve(STATE);

        try (Backend be = compute.create()) {
            FlowModel m;
            try {
                m = Models.fromCheckpoint(ck, be);
                Trainer.validateCheckpoint(ck, m, ck.beta);
                if (ck.hasArray("params")) m.params().setValues(ck.array("params"));
            } catch (CheckpointException | IllegalArgumentException e) {
                throw new UserError(ckPath + ": " + e.getMessage());
            }
            double beta = ck.beta;
            Group g = m.group();
            checkBatchFits(g, m.lattice(), batch);
            int perShard = shardSize > 0 ? shardSize
                    : (int) Math.max(1, Math.min(configs, (64L << 20) / (8L * m.lattice().d * m.lattice().volume * g.dof)));
            EnsembleMeta meta = EnsembleMeta.of(g, m.lattice(), beta, mh ? "flow-mh" : "flow-reweight", seed)
                    .withExtra("model_kind", m.kind()).withExtra("model_checkpoint_sha256", ckSha)
                    .withExtra("model_step", ck.step).withExtra("slurm_task", (long) task).withExtra("proposal_batch", (long) batch)
                    .withExtra("weights", mh ? "none: configs form an independence-MH chain (accepted flags each step)"
                            : "w = exp(log_w), log_w = -S - log_q; reweight <O> = sum w O / sum w");
            ObjectNode state = new ObjectMapper().createObjectNode();
            state.put("model_checkpoint_sha256", ckSha);
            state.put("seed", seed);
            state.put("task", task);
            state.put("mode", mh ? "mh" : "reweight");
            state.put("batch", batch);
            state.put("configs", configs);

            long start = 0;
            IndependenceMetropolis chain = new IndependenceMetropolis(sampleSeed);
            EnsembleWriter w;
            if (resume) {
                boolean hasState = Files.exists(statePath);
                if (!hasState && !Files.exists(out.resolve(HdfSchema.MANIFEST)))
                    throw new UserError("--resume: no sampler run in " + out + " (no " + statePath.getFileName() + ", no manifest.json)");
                if (hasState) {
                    JsonNode old;
                    try {
                        old = new ObjectMapper().readTree(statePath.toFile());
                    } catch (IOException e) {
                        throw new UserError("--resume: " + statePath + " is not valid JSON (" + RunCards.firstLine(e.getMessage()) + ")");
                    }
                    if (old == null || !old.isObject()) throw new UserError("--resume: " + statePath + " is not a JSON object");
                    for (String k : new String[] {"model_checkpoint_sha256", "seed", "task", "mode", "batch"})
                        if (!old.path(k).asText().equals(state.path(k).asText()))
                            throw new UserError("--resume: " + statePath + " was written with " + k + "=" + old.path(k).asText() + ", this run has " + state.path(k).asText());
                }
                w = EnsembleWriter.open(out, meta, perShard, EnsembleWriter.Mode.RESUME); // checks the manifest's metadata too
            } else {
                if (Files.exists(statePath)) throw new UserError(out + " already holds a sampler run; use --resume or choose another --out");
                w = EnsembleWriter.create(out, meta, perShard);
            }
            boolean finished = false;
            try { // from here on the writer (and its lock) is released whatever happens
                if (resume) {
                    start = w.nextConfigIndex();
                    if (start > configs)
                        throw new UserError("--resume: " + out + " already holds " + start + " configurations, more than --configs " + configs
                                + " (--configs is the total; use --configs >= " + start + ")");
                    writeState(statePath, state, start); // the new target, before any new work
                    if (mh && start > 0) {
                        Ensemble ens = Ensemble.open(out);
                        Shard last = ens.readShard(ens.shards().size() - 1);
                        int i = last.n() - 1;
                        int lcs = last.configSize();
                        chain.restore(Arrays.copyOfRange(last.configData(), i * lcs, (i + 1) * lcs), last.extra().get("log_q")[i],
                                last.extra().get("log_w")[i]);
                    }
                    log.printf("mflow sample: resuming at configuration %d of %d%n", start, configs);
                } else {
                    writeState(statePath, state, 0); // claimed: from now on --resume can continue whatever happens
                }
                if (start == configs) {
                    finished = true;
                    log.printf("mflow sample: %s already holds all %d configurations; nothing to do%n", out, configs);
                    log.flush();
                    return 0;
                }
                Shutdown.Scope scope = Shutdown.enter("mflow sample", "finishing the current batch, then publishing its configurations", null);
                Observables obs = new Observables(be);
                boolean topo = g == Group.U1 && m.lattice().d == 2;
                long t0 = System.nanoTime();
                try (Progress pr = new Progress("sample", configs - start, new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true))) {
                    GaugeField prop = new GaugeField(be, g, m.lattice(), batch);
                    Buffer logQB = be.alloc(batch), actB = be.alloc(batch);
                    int cs = prop.configSize();
                    long p = start;
                    boolean finish = onSigterm.equals("finish");
                    // finish: a stop request ends the loop only at a shard boundary (nothing pending)
                    while (p < configs && !(Shutdown.requested() && (!finish || w.pending() == 0))) {
                        long k = p / batch;
                        int off = (int) (p % batch);
                        try (Backend.Scope sc = be.scope()) { m.sample(sampleSeed, k, prop, logQB); }
                        be.action(prop, beta, actB, 0);
                        double[] logQ = be.download(logQB), act = be.download(actB);
                        int n = (int) Math.min(batch - off, configs - p);
                        GaugeField outF = new GaugeField(be, g, m.lattice(), n);
                        double[] oLogQ = new double[n], oLogW = new double[n], oAct = new double[n], pLogW = new double[n];
                        int[] acc = new int[n];
                        double[] allLogW = new double[batch];
                        for (int b = 0; b < batch; b++) allLogW[b] = -act[b] - logQ[b];
                        System.arraycopy(allLogW, off, pLogW, 0, n);
                        if (!mh) {
                            be.copy(prop.links(), off * cs, outF.links(), 0, n * cs);
                            System.arraycopy(logQ, off, oLogQ, 0, n);
                            System.arraycopy(allLogW, off, oLogW, 0, n);
                            System.arraycopy(act, off, oAct, 0, n);
                        } else {
                            chain.advance(prop, off, n, logQ, allLogW, p, outF, oLogQ, oLogW, acc);
                            be.action(outF, beta, actB, 0); // from the stored links (bit-consistent with verify)
                            be.download(actB, 0, oAct, 0, n);
                        }
                        Map<String, double[]> extra = new LinkedHashMap<>();
                        extra.put("log_q", oLogQ);
                        extra.put("log_w", oLogW);
                        if (topo) extra.put("topological_charge", obs.topologicalCharge(outF));
                        Map<String, int[]> extraInt = null;
                        if (mh) {
                            extra.put("proposal_log_w", pLogW);
                            extraInt = Map.of("accepted", acc);
                        }
                        w.append(outF, oAct, null, extra, extraInt);
                        p += n;
                        pr.step(n, mh ? String.format("acc %.3f", chain.acceptanceRate()) : null);
                        if (w.pending() == 0) writeState(statePath, state, p);
                    }
                    if (Shutdown.requested() && onSigterm.equals("drop")) w.discardPending();
                    w.flush();
                    writeState(statePath, state, w.publishedEnd());
                    w.close();
                    finished = true;
                    // reported inside the scope: after a SIGTERM the handler waits for it, then the JVM halts
                    double secs = (System.nanoTime() - t0) * 1e-9;
                    long published = w.publishedEnd(), wrote = published - start;
                    boolean interrupted = published < configs;
                    log.printf(Locale.ROOT, "mflow sample: %s %d configurations (%s) to %s in %.1f s (%.1f configs/s)%s%s%n",
                            interrupted ? "stopped (SIGTERM); published" : "wrote", wrote, mh ? "independence MH" : "reweighting", out, secs,
                            wrote / Math.max(secs, 1e-9), mh && wrote > 0 ? String.format(Locale.ROOT, ", acceptance %.3f", chain.acceptanceRate()) : "",
                            interrupted ? "; " + out + " holds " + published + " of " + configs + ", continue with --resume" : "");
                    log.flush();
                    return interrupted ? Main.EXIT_INTERRUPTED : 0;
                } finally {
                    scope.close();
                }
            } finally {
                if (!finished) w.discardPending(); // an error ended the run: publish nothing half-checked, release the lock
                w.close();
            }
        }
    }

    private static void writeState(Path path, ObjectNode state, long published) throws IOException {
        state.put("published_configs", published);
        Path tmp = path.resolveSibling(".sampler-state.json.tmp");
        try {
            Files.write(tmp, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(state).getBytes(StandardCharsets.UTF_8));
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw IoErrors.at(path, e);
        }
    }

    /** Refuses a proposal batch that cannot be one gauge field or clearly exceeds the heap (two batch-sized fields). */
    static void checkBatchFits(Group g, org.mflowhpc.lattice.Lattice lat, int batch) {
        checkBatchFits(g, lat, batch, 2);
    }

    /**
     * Refuses a batch that cannot be one gauge field, or whose {@code fields} batch-sized gauge fields alone exceed
     * the heap (a lower bound on what the command needs; an OutOfMemoryError later is still reported in one line).
     */
    static void checkBatchFits(Group g, org.mflowhpc.lattice.Lattice lat, int batch, int fields) {
        long doubles = (long) batch * lat.d * lat.volume * g.dof;
        if (doubles > Integer.MAX_VALUE - 16)
            throw new UserError("--batch " + batch + " is too large: one batch of " + g + " " + lat.spec() + " needs " + doubles
                    + " doubles, more than one array holds (2^31)");
        long need = fields * 8 * doubles, max = Runtime.getRuntime().maxMemory();
        if (need > max)
            throw new UserError("--batch " + batch + " needs at least " + (need >> 20) + " MiB for " + fields + " batch-sized fields, max heap is "
                    + (max >> 20) + " MiB: reduce --batch or give Java more memory (java -Xmx...)");
    }
}
