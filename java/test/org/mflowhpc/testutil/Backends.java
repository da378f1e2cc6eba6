package org.mflowhpc.testutil;

import java.util.ArrayList;
import java.util.List;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.cpu.CpuBackend;

/**
 * The backends every contract test runs against, next to the CPU reference: today the CPU backend with two
 * threads (the reference itself runs single-threaded, so the pair also checks thread-count independence).
 * Accelerator backends join this list where they are built and a device is present.
 */
public final class Backends {
    private Backends() {}

    /** The reference: CPU, one thread. */
    public static final CpuBackend REFERENCE = new CpuBackend(1);

    public static List<Backend> all() {
        List<Backend> l = new ArrayList<>();
        l.add(new CpuBackend(2));
        return l;
    }
}
