package org.mflowhpc.bench;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import org.mflowhpc.backend.Buffer;
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
 * Variants of the staple kernel, built only from public API, computing the same staple sums as
 * {@code StapleBench.oneDirection} (mu = 0; bit-identical results, checked at setup), which measures
 * {@link CpuBackend#staples} itself (since the staplesoa change: the blocked SoA kernel {@code StapleSoA}).
 * <ul>
 *   <li>{@code oneDirectionPerSite}: the per-site path CpuBackend.staples used before the SoA kernel, verbatim:
 *       {@link CpuBackend#parallelRange} chunks, two 18-double scratch matrices per chunk, {@link LinkUpdates#stapleSU3}
 *       per site (scalar AoS 3x3 products). The ratio to {@code StapleBench.oneDirection} is the SoA kernel's gain.</li>
 *   <li>{@code oneDirectionHoisted}: the earlier what-if of the same per-site path via {@link CpuBackend#parallelFor}
 *       over at least 64 chunks (scratch hoisted per chunk, no {@code i / V}, {@code i % V}).</li>
 * </ul>
 * Same cost model as the staple kernel (2484 flops, 720 / 2736 B per output).
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
        backend = Fixtures.backend(threads);
        u = Fixtures.haarField4d(backend, L);
        out = new double[18 * u.lattice.volume];
        // CpuBackend.parallelFor runs fewer than 64 items serially, so use at least 64 chunks (it then splits them
        // into 8 fork-join tasks per thread itself).
        chunks = Math.max(64, 8 * backend.threads());
        // Bit-identical to the backend's kernel (raw bits; the SoA kernel repeats SU3's operations in order).
        Buffer refB = backend.alloc(out.length);
        backend.staples(u, 0, refB);
        double[] ref = backend.download(refB);
        oneDirectionHoisted();
        check(ref, "hoisted");
        Arrays.fill(out, 0);
        oneDirectionPerSite();
        check(ref, "per-site");
    }

    private void check(double[] ref, String what) {
        for (int i = 0; i < ref.length; i++)
            if (Double.doubleToRawLongBits(ref[i]) != Double.doubleToRawLongBits(out[i]))
                throw new IllegalStateException(what + " staples differ from CpuBackend.staples at " + i);
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

    /**
     * One op = V staple sums of direction 0 by the per-site path of CpuBackend.staples before the SoA kernel
     * (parallelRange chunks of at least 64 sites, scratch per chunk, LinkUpdates.stapleSU3 per site).
     */
    @Benchmark public void oneDirectionPerSite() {
        final GaugeField f = u;
        final double[] o = out;
        final int v = f.lattice.volume;
        backend.parallelRange(f.batch * v, 64, (lo, hi) -> {
            double[] t1 = new double[18], t2 = new double[18];
            for (int i = lo; i < hi; i++) LinkUpdates.stapleSU3(f, i / v, 0, i % v, o, 18 * i, t1, t2);
        });
    }
}
