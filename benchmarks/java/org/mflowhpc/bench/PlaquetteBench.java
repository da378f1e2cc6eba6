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
 * Mean plaquette {@link Backend#meanPlaquette} (backend cpu or host) of a hot-start 4D SU(3) field, L = 8 and 16, all processors.
 *
 * <p>Cost per site ({@link Costs}): 6 planes x (2 x 198 + 36 + 1) + 6 = 2604 flops as the code computes it
 * (two full products, then Re tr of the product with the daggered fourth link). Bytes: compulsory 4 x 144 + 48
 * (plaquette field written) + 48 (read back by the mean) = 672 B, 3.9 flop/B; naive 6 x 4 x 144 + 96 = 3552 B,
 * 0.73 flop/B. meanPlaquette also allocates the 6V-double plaquette field on every call (visible in gc.alloc.rate.norm).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class PlaquetteBench {
    @Param({"8", "16"}) public int L;
    @Param({"all"}) public String threads;
    /** cpu = CpuBackend (Java reference), host = HostBackend (native kernels). */
    @Param({"cpu", "host"}) public String backend;

    GaugeField u;
    Buffer out;
    final double[] host = new double[1];
    Backend be;

    @Setup public void setup() {
        be = Fixtures.backend(backend, threads);
        u = Fixtures.haarField4d(be, L);
        out = be.alloc(1);
    }

    @TearDown public void tearDown() { be.close(); }

    /** One op = V sites (6V plaquettes); returns the mean so the result is consumed. */
    @Benchmark public double meanPlaquette() {
        be.meanPlaquette(u, out, 0);
        be.download(out, 0, host, 0, 1);
        return host[0];
    }
}
