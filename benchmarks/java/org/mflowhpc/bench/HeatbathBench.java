package org.mflowhpc.bench;

import java.util.concurrent.TimeUnit;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.sample.Heatbath;
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
 * Monte Carlo sweeps of a 4D SU(3) field at beta = 6.0, L = 8 and 16, all processors: {@code backendHeatbath} is one
 * {@link Backend#heatbath} sweep (backend cpu or host) (Cabibbo–Marinari, checkerboard), {@code samplerHbOr} one
 * {@link Heatbath#sweep} of the production sampler with {@value Costs#SAMPLER_OR_SWEEPS} overrelaxation sweeps.
 * The field starts Haar-random (hot) and keeps evolving towards equilibrium across the warm-up and measured
 * iterations (the sweep counter advances), as in a real thermalisation run.
 *
 * <p>Cost per link ({@link Costs}, counted from LinkUpdates, approximate): heatbath = staple 2484 + W = U A 198 +
 * 3 subgroups x ~240 + reunitarise 128 = ~3530 flops, plus per link 6 log, 6 cos, 3 sin and 18 uniforms (9
 * Philox blocks) not counted as flops; overrelaxation 2484 + 198 + 3 x 216 + 128 = ~3458 flops. Bytes per link
 * and sweep: compulsory 288 (field read and written once; 1296 if each of the 8 checkerboard passes streams from
 * memory), naive 18 x 144 + 2 x 144 = 2880.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class HeatbathBench {
    static final double BETA = 6.0;

    @Param({"8", "16"}) public int L;
    @Param({"all"}) public String threads;
    /** cpu = CpuBackend (Java reference), host = HostBackend (native kernels). */
    @Param({"cpu", "host"}) public String backend;

    GaugeField u;
    Backend be;
    Heatbath sampler;
    long sweep;

    @Setup public void setup() {
        be = Fixtures.backend(backend, threads);
        u = Fixtures.haarField4d(be, L);
        sampler = new Heatbath(be, BETA, Fixtures.SEED, Costs.SAMPLER_OR_SWEEPS);
        sweep = 0;
    }

    @TearDown public void tearDown() { be.close(); }

    /** One op = one heatbath sweep: 4V link updates. */
    @Benchmark public void backendHeatbath() { be.heatbath(u, BETA, Fixtures.SEED, sweep++); }

    /** One op = one sampler sweep: 4V heatbath + 4 x 4V overrelaxation link updates. */
    @Benchmark public void samplerHbOr() { sampler.sweep(u); }
}
