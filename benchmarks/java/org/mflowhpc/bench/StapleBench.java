package org.mflowhpc.bench;

import java.util.concurrent.TimeUnit;

import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.Backend;
import org.mflowhpc.lattice.GaugeField;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Staple sums {@link Backend#staples} (backend cpu: CpuBackend, host: HostBackend) of a hot-start 4D SU(3) field, L^4 with L = 8 (field 2.4 MB, fits the
 * 32 MB L3) and L = 16 (field 38 MB, does not), on all processors and on 1 thread.
 *
 * <p>Cost per staple-sum output ({@link Costs}): 6 staples x (2 x 198 + 18) = 2484 flops. Bytes: compulsory
 * 4 x 144 (the whole field, read once per call) + 144 (write) = 720 B, arithmetic intensity 3.45 flop/B; naive
 * 18 x 144 + 144 = 2736 B, 0.91 flop/B. {@code oneDirection} computes mu = 0 (V outputs); {@code allDirections}
 * calls staples for mu = 0..3 into four separate buffers (4V outputs, what a force evaluation needs).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class StapleBench {
    @Param({"8", "16"}) public int L;
    @Param({"all", "1"}) public String threads;
    /** cpu = CpuBackend (Java reference), host = HostBackend (native kernels). */
    @Param({"cpu", "host"}) public String backend;

    GaugeField u;
    Buffer[] out;
    Backend be;

    @Setup public void setup() {
        be = Fixtures.backend(backend, threads);
        u = Fixtures.haarField4d(be, L);
        out = new Buffer[4];
        for (int mu = 0; mu < 4; mu++) out[mu] = be.alloc(18 * u.lattice.volume);
    }

    @TearDown public void tearDown() { be.close(); }

    /** One op = V staple sums of direction 0. */
    @Benchmark public void oneDirection() { be.staples(u, 0, out[0]); }

    /** One op = 4V staple sums (directions 0..3). */
    @Benchmark public void allDirections() {
        for (int mu = 0; mu < 4; mu++) be.staples(u, mu, out[mu]);
    }
}
