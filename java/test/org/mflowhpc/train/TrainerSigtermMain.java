package org.mflowhpc.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.cli.Shutdown;
import org.mflowhpc.flow.HaarFlowModel;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.LrSchedule;

/** Child-JVM entry point for the SIGTERM test: trains inside the CLI's SIGTERM scope (cli.Shutdown), printing "STEP n" after each step. */
public final class TrainerSigtermMain {
    private TrainerSigtermMain() {}

    static HaarFlowModel model(CpuBackend be) {
        return new HaarFlowModel(be, Group.U1, new Lattice(8, 8), Map.of("layers", 2, "flow", "ncp2", "hidden", List.of(3), "init_seed", 9L));
    }

    static Trainer.Options options(Path dir, long steps) {
        Trainer.Options o = new Trainer.Options();
        o.runDir = dir; o.steps = steps; o.batch = 4; o.seed = 3; o.checkpointEvery = 1000;
        o.schedule = LrSchedule.constant(1e-3); o.log = null; o.plot = false;
        return o;
    }

    public static void main(String[] args) throws Exception {
        try (CpuBackend be = new CpuBackend(1)) {
            Trainer.Options o = options(Path.of(args[0]), Long.parseLong(args[1]));
            Trainer t = new Trainer(model(be), be, 1.0, o);
            t.setStepHook(() -> { System.out.println("STEP " + t.step()); System.out.flush(); });
            Trainer.Result r;
            try (Shutdown.Scope s = Shutdown.enter("trainer-test", "finishing the current step", t::requestStop)) {
                r = t.run();
            }
            System.out.println("RESULT " + r.status + " " + r.step);
            System.out.flush();
        }
    }
}
