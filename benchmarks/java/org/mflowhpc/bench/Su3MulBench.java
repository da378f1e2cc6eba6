package org.mflowhpc.bench;

import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.group.SU3;
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
 * Batched SU(3) multiply C[i] = A[i] B[i], i < n, with {@link SU3#mul} over Haar-random arrays, split over threads by
 * {@link CpuBackend#parallelFor} (a plain loop for 1 thread).
 *
 * <p>Cost per product ({@link Costs}): 198 flops; 3 x 144 = 432 B (A, B read, C written; 576 B if the
 * write-allocate of C is counted), so arithmetic intensity 0.46 flop/B (0.34 with write-allocate): memory-bound
 * wherever the arrays leave cache. n = 16384 = 8^4 x 4 (the links of an 8^4 field: 2.4 MB per array, 7 MB in all,
 * L3-resident) and n = 262144 = 16^4 x 4 (38 MB per array, 113 MB in all: DRAM).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class Su3MulBench {
    @Param({"16384", "262144"}) public int n;
    @Param({"all", "1"}) public String threads;

    double[] a, b, c;
    CpuBackend backend;
    IntConsumer body;

    @Setup public void setup() {
        a = Fixtures.haarArray(n, 1);
        b = Fixtures.haarArray(n, 2);
        c = new double[18 * n];
        backend = Fixtures.backend(threads);
        final double[] fa = a, fb = b, fc = c;
        body = i -> SU3.mul(fa, 18 * i, fb, 18 * i, fc, 18 * i);
    }

    @TearDown public void tearDown() { backend.close(); }

    /** One op = n products (n x 198 flops, n x 432 B). */
    @Benchmark public void mul() { backend.parallelFor(n, body); }
}
