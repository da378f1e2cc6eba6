package org.mflowhpc.train;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.flow.Models;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.Params;

/** Stage-wise training: only the selected multiscale level's parameters move; the others stay bit-identical. */
class StageWiseTrainingTest {
    @TempDir Path tmp;

    @Test void onlyMatchingBlocksAreUpdated() throws Exception {
        try (CpuBackend be = new CpuBackend(1)) {
            FlowModel m = Models.create("multiscale", be, Group.U1, new Lattice(4, 4), 1.5, Map.of(), 3);
            double[] before = m.params().valuesToHost();
            Trainer.Options o = new Trainer.Options();
            o.seed = 3; o.batch = 8; o.steps = 5; o.runDir = tmp; o.log = null; o.plot = false;
            o.trainBlocks = Pattern.compile("level1\\..*");
            new Trainer(m, be, 1.5, o).run();
            double[] after = m.params().valuesToHost();
            int moved = 0;
            for (Params.Block b : m.params().blocks()) {
                boolean same = Arrays.equals(Arrays.copyOfRange(before, b.offset, b.offset + b.size),
                        Arrays.copyOfRange(after, b.offset, b.offset + b.size));
                if (b.name.startsWith("level1.")) { if (!same) moved++; }
                else assertTrue(same, "frozen block " + b.name + " changed");
            }
            assertTrue(moved > 0, "no level1 block was trained");
            o.trainBlocks = Pattern.compile("nothing-matches");
            o.steps = 6;
            assertThrows(IllegalArgumentException.class, () -> new Trainer(m, be, 1.5, o).run());
        }
    }
}
