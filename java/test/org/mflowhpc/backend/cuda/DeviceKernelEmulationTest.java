package org.mflowhpc.backend.cuda;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device kernels that have no per-site twin in the host library (GEMM tiles and split-K, the im2col convolution
 * path, col2im gathers, block and row reductions) on the CPU emulator of the CUDA execution model
 * (kernels/emu/run.sh: each block as real threads meeting at __syncthreads), against plain loops. Skipped only where
 * no C++20 compiler exists (exit 3); about 30 s on 2 cores.
 */
class DeviceKernelEmulationTest {
    @TempDir Path tmp;

    @Test void deviceKernelsAgreeWithPlainLoopsOnTheEmulator() throws Exception {
        Path script = Path.of("kernels/emu/run.sh");
        for (int i = 0; i < 4 && !Files.exists(script); i++) script = Path.of("..").resolve(script);
        assumeTrue(Files.exists(script), "kernels/emu/run.sh not found from " + Path.of("").toAbsolutePath());
        Process p = new ProcessBuilder("bash", script.toString(), tmp.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "emulator run timed out");
        assumeTrue(p.exitValue() != 3, "no C++20 compiler: " + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("all cases agree"), out);
    }
}
