package org.mflowhpc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedSet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.mflowhpc.io.ArrayEnsemble;
import org.mflowhpc.io.Manifest;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code mflow merge DIR}: joins the task directories of an array ensemble (DIR/task-NNNNN, written by
 * {@code sample --array}) into one ensemble by writing DIR/index.json ({@link ArrayEnsemble}); no shard is copied
 * or modified. Refused (one line, exit 2, nothing written) when a task is missing (--tasks, or a gap among the
 * task directories), a task is still being written, a task's metadata differ from the others' or do not name its
 * own task, or a sampler has not reached its target: its sampler-state.json must record the task, as many published
 * configurations as its manifest lists, and published = configs (its --configs), unless --allow-incomplete. Reads
 * manifests and shard headers only; `mflow verify DIR` checks every byte. Rerunning after a task was resumed
 * rewrites the index; an index that no longer matches the tasks is refused by every reader.
 */
@Command(name = "merge", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Index the task directories of an array ensemble (sample --array) as one ensemble: writes DIR/index.json.",
                "Refuses missing, running, incomplete or inconsistent tasks; nothing is copied."},
        footer = {"", "Example: mflow merge ens/ --tasks 0-15 && mflow verify ens/ && mflow measure ens/"})
final class MergeCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "Array ensemble directory (holds task-NNNNN directories).") Path dir;
    @Option(names = "--tasks", paramLabel = "LIST", description = "Tasks that must be present, e.g. 0-15 (default: the task directories found, which must be contiguous).") String tasks;
    @Option(names = "--allow-incomplete", description = "Also index tasks whose sampler has not reached its --configs (e.g. to measure a run in progress).") boolean allowIncomplete;

    @Override public Integer call() throws IOException {
        SortedSet<Integer> expected = null;
        if (tasks != null) {
            try {
                expected = ArrayEnsemble.parseTasks(tasks);
            } catch (IllegalArgumentException e) {
                throw new UserError("--tasks: " + e.getMessage());
            }
        }
        ArrayEnsemble.Index idx = ArrayEnsemble.build(dir, expected, allowIncomplete ? MergeCommand::samplerConsistent : MergeCommand::samplerComplete);
        idx.write(dir);
        PrintWriter out = spec.commandLine().getOut();
        for (ArrayEnsemble.Task t : idx.tasks())
            out.printf("%s  configurations %d..%d (%d, %d shard(s))%n", t.dir(), t.firstConfigIndex(), t.endConfigIndex() - 1, t.nConfigs(), t.shards().size());
        out.printf("mflow merge: indexed %d task(s) (%s), %d configurations of %s %s beta=%s (%s) -> %s%n", idx.tasks().size(),
                ArrayEnsemble.formatTasks(idx.taskIds()), idx.totalConfigs(), idx.meta().group(), idx.meta().lattice().spec(), idx.meta().beta(),
                idx.meta().algorithm(), dir.resolve(ArrayEnsemble.INDEX));
        out.flush();
        return 0;
    }

    /** Sampler state agrees with the manifest and the target is reached (null), or the problem. */
    static String samplerComplete(int task, Path taskDir, Manifest m) throws IOException {
        String p = samplerConsistent(task, taskDir, m);
        if (p != null) return p;
        JsonNode st = state(taskDir);
        if (st == null || !st.has("configs")) return null;
        long target = st.path("configs").asLong(), pub = m.totalConfigs();
        if (pub < target)
            return "is incomplete: " + pub + " of " + target + " configurations published (resume it with 'mflow sample --array --resume --tasks " + task
                    + " ...', or merge with --allow-incomplete)";
        return null;
    }

    /** Sampler state names this task and counts what the manifest lists (null), or the problem; no state: null. */
    static String samplerConsistent(int task, Path taskDir, Manifest m) throws IOException {
        JsonNode st = state(taskDir);
        if (st == null) return null;
        if (!st.path("task").canConvertToInt() || st.path("task").asInt() != task)
            return SampleCommand.STATE + " records task " + st.path("task").asText() + " but the directory is task " + task;
        long pub = st.path("published_configs").asLong(-1);
        if (pub != m.totalConfigs())
            return SampleCommand.STATE + " records " + pub + " published configurations but manifest.json lists " + m.totalConfigs()
                    + " (the task was interrupted; resume it with 'mflow sample --array --resume --tasks " + task + " ...')";
        return null;
    }

    private static JsonNode state(Path taskDir) throws IOException {
        Path sp = taskDir.resolve(SampleCommand.STATE);
        if (!Files.exists(sp)) return null;
        try {
            JsonNode n = new ObjectMapper().readTree(Files.readAllBytes(sp));
            if (n == null || !n.isObject()) throw new UserError(sp + ": not a JSON object");
            return n;
        } catch (JsonProcessingException e) {
            throw new UserError(sp + ": not valid JSON (" + e.getOriginalMessage() + ")");
        }
    }
}
