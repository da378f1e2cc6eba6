package org.mflowhpc.bench;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

/**
 * The two machine ceilings of the roofline, measured in the same run as the kernels.
 *
 * <ul>
 *   <li>{@code triad*}: STREAM-like triad a[i] = b[i] + s c[i] over three arrays of {@link #TRIAD_N} doubles
 *       (64 MiB each, 192 MiB per JMH thread: far outside the 32 MiB L3). Counted as 24 B and 2 flops per element
 *       (two reads, one write, no write-allocate; the DRAM traffic with write-allocate is 32 B per element, i.e.
 *       4/3 of the reported GB/s). Each JMH thread owns its arrays ({@link Scope#Thread}).
 *   <li>{@code fmaScalar*}: {@link #SCALAR_CHAINS} independent scalar {@code Math.fma} chains held in registers,
 *       {@link #SCALAR_ITER} steps each: the peak of scalar (non-SIMD) float64 code such as CpuBackend's.
 *   <li>{@code fmaVector*}: an L1-resident array of {@link #VEC_LEN} doubles, each element advanced by a chain of
 *       {@link #VEC_DEPTH} {@code Math.fma} per pass, {@link #VEC_REPS} passes; the independent lanes let C2
 *       auto-vectorise the loop (FmaVD): the peak the JIT can reach with SIMD. This is the roofline's compute ceiling.
 * </ul>
 * Methods ending in {@code 1} run on one thread, those ending in {@code All} on every available processor (JMH
 * {@code @Threads(MAX)}); the report multiplies per-thread work by the JMH thread count. The chains iterate
 * x -> 0.999999 x + 1e-6, whose fixed point is 1, so values stay normal (no denormal slow paths, no overflow).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class RooflineBench {
    /** Triad array length: 2^23 doubles = 64 MiB per array. */
    public static final int TRIAD_N = 1 << 23;
    public static final int SCALAR_CHAINS = 12, SCALAR_ITER = 1 << 16;
    public static final int VEC_LEN = 512, VEC_DEPTH = 8, VEC_REPS = 256;

    @State(Scope.Thread)
    public static class Triad {
        double[] a, b, c;
        double s = 3.0;

        @Setup public void setup() {
            a = new double[TRIAD_N]; b = new double[TRIAD_N]; c = new double[TRIAD_N];
            for (int i = 0; i < TRIAD_N; i++) { a[i] = 0; b[i] = 1 + (i & 7); c[i] = 2 - (i & 3); }
        }
    }

    @State(Scope.Thread)
    public static class Fma {
        double m = 0.999999, add = 1e-6;
        double[] x = new double[VEC_LEN];
        double[] init = new double[SCALAR_CHAINS];

        @Setup public void setup() {
            for (int i = 0; i < VEC_LEN; i++) x[i] = 1 + i * 1e-3;
            for (int i = 0; i < SCALAR_CHAINS; i++) init[i] = 1 + i * 1e-3;
        }
    }

    static void triadKernel(Triad t) {
        double[] a = t.a, b = t.b, c = t.c;
        double s = t.s;
        for (int i = 0; i < a.length; i++) a[i] = b[i] + s * c[i];
    }

    static double scalarKernel(Fma f) {
        double m = f.m, c = f.add;
        double[] in = f.init;
        double x0 = in[0], x1 = in[1], x2 = in[2], x3 = in[3], x4 = in[4], x5 = in[5],
               x6 = in[6], x7 = in[7], x8 = in[8], x9 = in[9], x10 = in[10], x11 = in[11];
        for (int i = 0; i < SCALAR_ITER; i++) {
            x0 = Math.fma(x0, m, c); x1 = Math.fma(x1, m, c); x2 = Math.fma(x2, m, c); x3 = Math.fma(x3, m, c);
            x4 = Math.fma(x4, m, c); x5 = Math.fma(x5, m, c); x6 = Math.fma(x6, m, c); x7 = Math.fma(x7, m, c);
            x8 = Math.fma(x8, m, c); x9 = Math.fma(x9, m, c); x10 = Math.fma(x10, m, c); x11 = Math.fma(x11, m, c);
        }
        return x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11;
    }

    static double vectorKernel(Fma f) {
        double m = f.m, c = f.add;
        double[] x = f.x;
        for (int r = 0; r < VEC_REPS; r++) {
            for (int i = 0; i < VEC_LEN; i++) {
                double v = x[i];
                v = Math.fma(v, m, c); v = Math.fma(v, m, c); v = Math.fma(v, m, c); v = Math.fma(v, m, c);
                v = Math.fma(v, m, c); v = Math.fma(v, m, c); v = Math.fma(v, m, c); v = Math.fma(v, m, c);
                x[i] = v;
            }
        }
        return x[0];
    }

    @Benchmark @Threads(1) public void triad1(Triad t) { triadKernel(t); }
    @Benchmark @Threads(Threads.MAX) public void triadAll(Triad t) { triadKernel(t); }

    @Benchmark @Threads(1) public double fmaScalar1(Fma f) { return scalarKernel(f); }
    @Benchmark @Threads(Threads.MAX) public double fmaScalarAll(Fma f) { return scalarKernel(f); }

    @Benchmark @Threads(1) public double fmaVector1(Fma f) { return vectorKernel(f); }
    @Benchmark @Threads(Threads.MAX) public double fmaVectorAll(Fma f) { return vectorKernel(f); }
}
