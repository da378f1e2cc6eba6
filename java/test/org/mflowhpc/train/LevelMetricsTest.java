package org.mflowhpc.train;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.flow.Models;
import org.mflowhpc.group.Group;
import org.mflowhpc.io.Checkpoint;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.observable.exact.Exact2D;

/**
 * The per-level metrics of multiscale training: recorded every max(logEvery, steps/50) steps and at the last step;
 * the KL by doubling layer sums to loss + log Z of the same batch (chain rule); log q by level minus log p by level
 * likewise; with refinement layers only log q / log p by level (one more entry, no kl_level); other models write
 * none; and recording them leaves training bit-identical across a resume.
 */
class LevelMetricsTest {
    static final CpuBackend BE = new CpuBackend(2);
    static final Lattice LAT = new Lattice(4, 4);
    static final ObjectMapper JSON = new ObjectMapper();

    static Trainer.Options opts(Path dir, long steps) {
        Trainer.Options o = TrainerTest.opts(dir, steps);
        o.logEvery = 3;
        return o;
    }

    static List<JsonNode> metrics(Path dir) throws Exception {
        List<JsonNode> l = new ArrayList<>();
        for (String s : Files.readAllLines(dir.resolve("metrics.jsonl"))) l.add(JSON.readTree(s));
        return l;
    }

    static FlowModel model(String kind, Map<String, Object> o) {
        return Models.create(kind, BE, Group.U1, LAT, 1.0, o, 4);
    }

    @Test void klByLayerSumsToTheLossPlusLogZ(@TempDir Path tmp) throws Exception {
        FlowModel m = model("multiscale", Map.of());
        new Trainer(m, BE, 1.0, opts(tmp.resolve("a"), 7)).run();
        double logZ = Exact2D.u1LogZ(1.0, LAT.volume);
        List<Long> recorded = new ArrayList<>();
        for (JsonNode n : metrics(tmp.resolve("a"))) {
            if (!n.has("kl_level")) { assertFalse(n.has("log_q_level")); continue; }
            recorded.add(n.get("step").asLong());
            assertEquals(5, n.get("kl_level").size(), "4x4: the 1x1 prior and four doublings");
            double kl = 0, q = 0, p = 0;
            for (int k = 0; k < 5; k++) {
                kl += n.get("kl_level").get(k).asDouble();
                q += n.get("log_q_level").get(k).asDouble();
                p += n.get("log_p_level").get(k).asDouble();
                assertEquals(n.get("log_q_level").get(k).asDouble() - n.get("log_p_level").get(k).asDouble(), n.get("kl_level").get(k).asDouble(), 1e-12);
            }
            assertEquals(n.get("loss").asDouble() + logZ, kl, 1e-9, "step " + n.get("step"));
            assertEquals(kl, q - p, 1e-9);
        }
        assertEquals(List.of(0L, 3L, 6L), recorded);

        // split over two runs (stop after step 4, resume to 7): the same parameters, the same recorded steps and values
        Trainer s = new Trainer(model("multiscale", Map.of()), BE, 1.0, opts(tmp.resolve("b"), 7));
        s.setStepHook(() -> { if (s.step() == 4) s.requestStop(); });
        assertEquals(Trainer.Status.INTERRUPTED, s.run().status);
        Trainer t = new Trainer(model("multiscale", Map.of()), BE, 1.0, opts(tmp.resolve("b"), 7));
        t.resume(tmp.resolve("b/checkpoint.bin"));
        t.run();
        assertArrayEquals(Checkpoint.read(tmp.resolve("a/checkpoint.bin")).array("params"), Checkpoint.read(tmp.resolve("b/checkpoint.bin")).array("params"));
        List<JsonNode> a = metrics(tmp.resolve("a")), b = metrics(tmp.resolve("b"));
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).get("loss").asDouble(), b.get(i).get("loss").asDouble(), 0.0);
            assertEquals(a.get(i).path("kl_level").toString(), b.get(i).path("kl_level").toString(), "step " + i);
        }
    }

    @Test void refinedModelsRecordLogQByLevelOnlyAndOthersNothing(@TempDir Path tmp) throws Exception {
        FlowModel m = model("multiscale+flow", Map.of("refine_layers", 2));
        new Trainer(m, BE, 1.0, opts(tmp.resolve("r"), 4)).run();
        int seen = 0;
        for (JsonNode n : metrics(tmp.resolve("r"))) {
            if (!n.has("log_q_level")) continue;
            seen++;
            assertFalse(n.has("kl_level"));
            assertEquals(6, n.get("log_q_level").size(), "the 1x1 prior, four doublings and the refinement log-det");
            assertEquals(0.0, n.get("log_p_level").get(5).asDouble(), 0.0);
        }
        assertEquals(2, seen, "steps 0 and 3");
        assertNull(LevelMetrics.forModel(TrainerTest.small(2), TrainerTest.BE, 1.0));
        new Trainer(TrainerTest.small(2), TrainerTest.BE, 1.0, opts(tmp.resolve("h"), 2)).run();
        for (JsonNode n : metrics(tmp.resolve("h"))) assertFalse(n.has("log_q_level"));
    }
}
