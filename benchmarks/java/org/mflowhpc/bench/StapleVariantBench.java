package org.mflowhpc.bench;

import java.util.concurrent.TimeUnit;

import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.backend.cpu.LinkUpdates;
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
 * What-if for the staple kernel, built only from public API (CpuBackend itself is not changed): the same staple
 * sums as {@code StapleBench.oneDirection} (mu = 0, identical results) but with the scratch matrices hoisted out of
 * the per-site loop — {@link CpuBackend#parallelFor} runs over chunks (at least 64), each
 * chunk allocates its two 18-double temporaries once and calls {@link LinkUpdates#stapleSU3} (which also avoids
 * CpuBackend.staples' dagger copy) for its sites, writing straight into the output. The ratio of the two times is the
 * measured gain of that refactoring. Same cost model as the staple kernel (2484 flops, 720 / 2736 B per output).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class StapleVariantBench {
    @Param({"8", "16"}) public int L;
    @Param({"all", "1"}) public String threads;

    GaugeField u;
    double[] out;
    CpuBackend backend;
    int chunks;

    @Setup public void setup() {
        u = Fixtures.haarField4d(L);
        out = new double[18 * u.lattice.volume];
        backend = Fixtures.backend(threads);
        // CpuBackend.parallelFor runs fewer than 64 items serially, so use at least 64 chunks (it then splits them
        // into 8 fork-join tasks per thread itself).
        chunks = Math.max(64, 8 * backend.threads());
        // Same numbers as the backend's kernel (up to rounding: the down staple is associated differently).
        double[] ref = new double[out.length];
        backend.staples(u, 0, ref);
        oneDirectionHoisted();
        for (int i = 0; i < ref.length; i++)
            if (Math.abs(ref[i] - out[i]) > 1e-12) throw new IllegalStateException("hoisted staples differ at " + i);
    }

    @TearDown public void tearDown() { backend.close(); }

    /** One op = V staple sums of direction 0, scratch hoisted per chunk. */
    @Benchmark public void oneDirectionHoisted() {
        final GaugeField f = u;
        final double[] o = out;
        final int v = f.lattice.volume, n = chunks;
        backend.parallelFor(n, c -> {
            double[] t1 = new double[18], t2 = new double[18];
            for (int x = (int) ((long) v * c / n), e = (int) ((long) v * (c + 1) / n); x < e; x++)
                LinkUpdates.stapleSU3(f, 0, 0, x, o, 18 * x, t1, t2);
        });
    }
}
