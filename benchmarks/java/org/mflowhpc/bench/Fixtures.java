package org.mflowhpc.bench;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.cpu.CpuBackend;
import org.mflowhpc.backend.host.HostBackend;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.rng.RngStream;

/**
 * Benchmark state builders shared by the benchmark classes. Contract: fields are Haar-random ("hot") SU(3)
 * configurations drawn with {@link SU3#haar} from per-link {@link RngStream}s (domain INIT, step 0, site = link
 * index), so every run benchmarks the same data; backends are {@code cpu} (CpuBackend, Java) or {@code host}
 * (HostBackend, the native kernels; JMH parameter {@code backend}) with an explicit thread count.
 */
final class Fixtures {
    private Fixtures() {}

    /** Seed of every benchmark field (fixed, so runs compare like with like). */
    static final long SEED = 20260101L;

    /** Haar-random SU(3) values into {@code n} consecutive 18-double slots of a new array; stream step {@code step}. */
    static double[] haarArray(int n, long step) {
        double[] a = new double[18 * n];
        for (int i = 0; i < n; i++) SU3.haar(new RngStream(SEED, RngStream.Domain.INIT, step, i), a, 18 * i);
        return a;
    }

    /** A batch-1 hot-start 4D SU(3) field on an L^4 lattice, resident on {@code be}. */
    static GaugeField haarField4d(Backend be, int l) {
        Lattice lat = new Lattice(l, l, l, l);
        return GaugeField.fromHost(be, Group.SU3, lat, 1, haarArray(lat.d * lat.volume, 0));
    }

    /** "all" = one thread per available processor, otherwise the given positive number. */
    static int threads(String spec) {
        return spec.equals("all") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(spec);
    }

    static CpuBackend backend(String threadSpec) { return new CpuBackend(threads(threadSpec)); }

    /** backend "cpu" or "host" (the latter fails the benchmark's setup, naming the reason, when its library is absent). */
    static Backend backend(String kind, String threadSpec) {
        switch (kind) {
            case "cpu": return new CpuBackend(threads(threadSpec));
            case "host": return new HostBackend(threads(threadSpec));
            default: throw new IllegalArgumentException("backend must be cpu or host, got " + kind);
        }
    }
}
