package org.mflowhpc.backend.cuda;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The device-independent parts of the CUDA backend, on any machine: the by-value Geom struct's bytes, the device
 * memory pool's bookkeeping (scopes, exact-length reuse, give-back of unreachable buffers, the out-of-memory path)
 * with a fake allocator, the split-K choice of the in-house GEMM, JCuda's libraries loading from a private directory,
 * and, without a GPU, the one-line reason the backend gives.
 */
class CudaUnitTest {
    @Test void geomStructLayoutMatchesCoreCuh() {
        byte[] b = KernelArgs.geomBytes(4, 4096, 0x7f00_1234_5678L, 0x7f00_9abc_def0L);
        assertEquals(24, b.length);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(4, bb.getInt(0));
        assertEquals(4096, bb.getInt(4));
        assertEquals(0x7f00_1234_5678L, bb.getLong(8));
        assertEquals(0x7f00_9abc_def0L, bb.getLong(16));
        // the struct's declaration, which these offsets mirror
        String core = read("kernels/core.cuh");
        assertTrue(core.matches("(?s).*struct Geom \\{\\s*int d;[^\\n]*\\n\\s*int V;[^\\n]*\\n\\s*const int32_t\\* up;[^\\n]*\\n\\s*const int32_t\\* dn;.*"),
                "kernels/core.cuh Geom layout changed: update KernelArgs.geomBytes");
    }

    static String read(String rel) {
        try {
            Path p = Path.of(rel);
            for (int i = 0; i < 4 && !Files.exists(p); i++) p = Path.of("..").resolve(p);
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A fake device: addresses count up, frees and syncs are recorded, a byte budget makes allocations fail. */
    static final class FakeDevice implements DeviceMemory.Allocator {
        long next = 1 << 20, budget, used;
        final List<Long> freed = new ArrayList<>();
        int syncs;

        FakeDevice(long budget) { this.budget = budget; }

        @Override public DeviceMemory.Block allocate(long bytes) {
            if (used + bytes > budget) return null;
            used += bytes;
            long a = next;
            next += bytes + 256;
            return new DeviceMemory.Block(a, (int) (bytes / 8), "h" + a);
        }

        @Override public void free(DeviceMemory.Block b) {
            freed.add(b.address);
            used -= 8L * b.doubles;
        }

        @Override public void synchronize() { syncs++; }

        @Override public String describeFree() { return (budget - used) + " bytes free"; }
    }

    @Test void scopesRecycleExactLengthsAndMarkBuffersReleased() {
        FakeDevice dev = new FakeDevice(1 << 30);
        DeviceMemory m = new DeviceMemory(dev, 1 << 20);
        DeviceMemory.Lease outside = m.acquire(100);
        assertFalse(outside.scoped);
        long a1, a2;
        DeviceMemory.Lease in1, in2;
        try (DeviceMemory.Scope s = m.openScope()) {
            in1 = m.acquire(1000);
            in2 = m.acquire(500);
            assertTrue(in1.scoped && in2.scoped);
            a1 = in1.block.address;
            a2 = in2.block.address;
            try (DeviceMemory.Scope inner = m.openScope()) {
                assertTrue(m.acquire(7).scoped);
            }
            assertEquals(8L * 7, m.pooledBytes(), "the inner scope gave back only its own block");
        }
        assertTrue(in1.released() && in2.released() && !outside.released());
        assertEquals(8L * (1000 + 500 + 7), m.pooledBytes());
        try (DeviceMemory.Scope s = m.openScope()) {
            assertEquals(a2, m.acquire(500).block.address, "same length: the pooled block");
            assertEquals(a1, m.acquire(1000).block.address);
            assertNotEquals(a1, m.acquire(999).block.address, "no reuse across lengths");
        }
        assertEquals(5, m.allocations());
        assertEquals(2, m.reuses());
        assertTrue(dev.freed.isEmpty());
    }

    @Test void scopesMustCloseInOrder() {
        DeviceMemory m = new DeviceMemory(new FakeDevice(1 << 30), 1 << 20);
        DeviceMemory.Scope a = m.openScope(), b = m.openScope();
        assertThrows(IllegalStateException.class, a::close);
        b.close();
        a.close();
        a.close(); // idempotent
    }

    @Test void unreachableBuffersComeBackOnceAndThePoolIsCapped() {
        FakeDevice dev = new FakeDevice(1 << 30);
        DeviceMemory m = new DeviceMemory(dev, 8L * 150);
        DeviceMemory.Lease a = m.acquire(100), b = m.acquire(100);
        a.giveBack();
        a.giveBack(); // a Cleaner runs once, but a second call must not double-pool
        assertEquals(0, m.pooledBytes(), "queued, not yet recycled");
        m.drain();
        assertEquals(800, m.pooledBytes());
        b.giveBack();
        m.drain();
        assertEquals(800, m.pooledBytes(), "over the cap: freed instead of pooled");
        assertEquals(List.of(b.block.address), dev.freed);
        assertTrue(dev.syncs >= 1, "frees synchronise first");
        DeviceMemory.Lease c = m.scratch(100);
        assertEquals(a.block.address, c.block.address);
        c.release();
        assertEquals(800, m.pooledBytes());
    }

    @Test void outOfMemoryTrimsThePoolRetriesThenSaysSoInOneLine() {
        FakeDevice dev = new FakeDevice(8L * 1000);
        DeviceMemory m = new DeviceMemory(dev, 1 << 20);
        try (DeviceMemory.Scope s = m.openScope()) {
            m.acquire(600);
        }
        assertEquals(8L * 600, m.pooledBytes());
        DeviceMemory.Lease big = m.acquire(900); // fits only after the pooled 600 are freed
        assertEquals(900, big.block.doubles);
        assertEquals(0, m.pooledBytes());
        DeviceOutOfMemoryException e = assertThrows(DeviceOutOfMemoryException.class, () -> m.acquire(5000));
        assertTrue(e instanceof IllegalArgumentException);
        assertTrue(e.getMessage().startsWith("GPU out of memory: cannot allocate 1 MiB") && e.getMessage().contains("reduce --batch"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test void gemmSplitsLongSumsOnlyWhenTheTilesDoNotFillTheDevice() {
        int[] s = CudaGemm.split(100, 1, 132);
        assertArrayEquals(new int[] {112, 1}, s, "k <= 512: one slice (kc rounded to 16)");
        s = CudaGemm.split(65536, 1, 132);
        assertEquals(64, s[1], "a weight gradient: 64 slices");
        assertEquals(0, s[0] % 16);
        assertTrue((long) s[0] * s[1] >= 65536 && (long) s[0] * (s[1] - 1) < 65536);
        assertEquals(1, CudaGemm.split(65536, 10_000, 132)[1], "enough tiles: no split");
        s = CudaGemm.split(2560, 1, 132);
        assertEquals(10, s[1]);
        assertEquals(1, CudaGemm.split(0, 1, 132)[1]);
    }

    @Test void jcudaLibrariesLoadFromAPrivateDirectoryAndTmpdirIsRestored() throws Exception {
        String tmp = System.getProperty("java.io.tmpdir");
        Path fixed = Path.of(tmp, jcuda.LibUtils.createLibraryFileName("JCudaRuntime-" + CudaNatives.jcudaVersion() + "-" + "linux-x86_64"));
        boolean existedBefore = Files.exists(fixed);
        CudaNatives.Status s = CudaNatives.runtime();
        assertEquals(tmp, System.getProperty("java.io.tmpdir"));
        assumeFalse(CudaNatives.disabled());
        assertTrue(s.loaded(), s.detail()); // statically linked against cudart: loads without a driver
        Path dir = CudaNatives.directory();
        assertNotNull(dir);
        assertTrue(dir.getFileName().toString().startsWith("mflow-jcuda-") && dir.getParent().equals(Path.of(tmp)), dir.toString());
        try (var st = Files.list(dir)) {
            assertEquals(0, st.count(), "unpacked files are deleted once loaded");
        }
        assertEquals(existedBefore, Files.exists(fixed), "nothing written under JCuda's fixed name in java.io.tmpdir");
        assertEquals("12.6.0", CudaNatives.jcudaVersion());
    }

    @Test void withoutAGpuTheBackendSaysWhyInOneLine() {
        assumeFalse(CudaProbe.probe().found(), "a GPU is present");
        long t0 = System.nanoTime();
        IllegalStateException e = assertThrows(IllegalStateException.class, CudaBackend::new);
        assertTrue(System.nanoTime() - t0 < 5e9);
        assertTrue(e.getMessage().startsWith("cuda backend unavailable: "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        assertFalse(e.getMessage().contains("Stack trace"), e.getMessage());
    }

    @Test void loaderFailuresAreReducedToTheirReason() {
        String jcudaStyle = "Error while loading native library \"JCudaDriver-12.6.0-linux-x86_64\"\nOperating system name: Linux\n"
                + "Architecture         : amd64\n---(start of nested stack traces)---\nStack trace from the attempt to load the library as a file:\n"
                + "java.lang.UnsatisfiedLinkError: no JCudaDriver-12.6.0-linux-x86_64 in java.library.path: /usr/lib\n\tat x.y(Z.java:1)\n"
                + "Stack trace from the attempt to load the library as a resource:\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/mflow-jcuda-123/libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot open shared object file: No such file or directory\n"
                + "\tat y.z(Q.java:2)\n---(end of nested stack traces)---\n";
        assertEquals("libJCudaDriver-12.6.0-linux-x86_64.so: libcuda.so.1: cannot open shared object file: No such file or directory",
                CudaNatives.firstLine(new UnsatisfiedLinkError(jcudaStyle)));
        assertEquals("NoClassDefFoundError: jcuda/Foo", CudaNatives.firstLine(new NoClassDefFoundError("jcuda/Foo")));
    }

    @Test void everyKernelExistsInItsFamilySourceWithTheDeclaredParameterKinds() {
        for (Kernel k : Kernel.values()) {
            String src = read("kernels/" + k.family + ".cu");
            String head = "MFLOW_KERNEL " + k.symbol + "(";
            int at = src.indexOf(head);
            assertTrue(at >= 0, k.symbol + " not in kernels/" + k.family + ".cu");
            String params = src.substring(at + head.length(), src.indexOf(')', at));
            StringBuilder kinds = new StringBuilder();
            for (String p : params.split(",")) {
                String t = p.trim();
                kinds.append(t.startsWith("Geom") ? 'G' : t.contains("*") ? 'p' : t.startsWith("int64_t") ? 'l' : t.startsWith("int") ? 'i'
                        : t.startsWith("double") ? 'd' : '?');
            }
            assertEquals(kinds.toString(), k.signature, k.symbol + "(" + params.replaceAll("\\s+", " ") + ")");
            assertTrue(k.block >= 32 && k.block <= 1024 && k.block % 32 == 0, k.name());
        }
    }

    /**
     * Every launch in the backend's source builds its argument list with the kinds the kernel declares: the argument
     * chain after {@code launch(Kernel.X, ...} / {@code launchGrid(Kernel.X, ...} ({@code geomArgs(..)} = G, then
     * {@code .i .l .d .p}) up to the end of the statement, read from CudaBackend.java and CudaGemm.java. (The same check
     * runs at every launch; this one needs no GPU.)
     */
    @Test void everyLaunchInTheSourcePassesTheKernelsParameterKinds() {
        java.util.regex.Pattern launch = java.util.regex.Pattern.compile("launch(?:Grid|Serial)?\\((?:\\w+ \\? Kernel\\.([A-Z0-9_]+) : )?Kernel\\.([A-Z0-9_]+)\\b");
        java.util.regex.Pattern kind = java.util.regex.Pattern.compile("geomArgs\\(|\\.(i|l|d|p)\\(");
        java.util.Set<Kernel> seen = java.util.EnumSet.noneOf(Kernel.class);
        int n = 0;
        for (String file : new String[] {"CudaBackend.java", "CudaGemm.java"}) {
            String src = read("java/main/org/mflowhpc/backend/cuda/" + file);
            java.util.regex.Matcher m = launch.matcher(src);
            while (m.find()) {
                if (src.substring(Math.max(0, m.start() - 30), m.start()).contains("void ")) continue; // the method itself
                Kernel k = Kernel.valueOf(m.group(2)), alt = m.group(1) == null ? null : Kernel.valueOf(m.group(1));
                int end = src.indexOf(';', m.end());
                String stmt = src.substring(m.end(), end);
                // one statement = one argument chain (a "cond ? Kernel.A : Kernel.B" launch checks both)
                int start = Math.max(stmt.indexOf("args()"), stmt.indexOf("geomArgs("));
                if (start < 0) { // a prepared list: "KernelArgs a = args()...;" earlier in the method
                    String var = stmt.substring(stmt.lastIndexOf(',') + 1).replace(")", "").trim();
                    int def = src.lastIndexOf("KernelArgs " + var + " = ", m.start());
                    assertTrue(def >= 0, file + ": no argument chain for " + k + ": " + stmt);
                    stmt = src.substring(def, src.indexOf(';', def));
                    start = stmt.indexOf("args()");
                }
                assertTrue(start >= 0, file + ": no argument chain for " + k + ": " + stmt);
                StringBuilder kinds = new StringBuilder();
                java.util.regex.Matcher km = kind.matcher(stmt.substring(start));
                while (km.find()) kinds.append(km.group(1) == null ? "G" : km.group(1));
                assertEquals(k.signature, kinds.toString(), file + ": launch of " + k.symbol + ":" + stmt.replaceAll("\\s+", " "));
                seen.add(k);
                if (alt != null) {
                    assertEquals(alt.signature, kinds.toString(), file + ": launch of " + alt.symbol + ":" + stmt.replaceAll("\\s+", " "));
                    seen.add(alt);
                }
                n++;
            }
        }
        assertTrue(n >= Kernel.values().length, "launch sites found: " + n);
        assertEquals(java.util.EnumSet.allOf(Kernel.class), seen, "kernels never launched");
    }

    @Test void kernelArgsRecordTheirKinds() {
        KernelArgs a = new KernelArgs().geom(2, 64, 1, 2).i(3).i(true).p(0x1000).d(1.5).l(7L);
        assertEquals("GiipdL".replace('L', 'l'), a.signature());
        assertEquals(6, a.size());
    }
}
