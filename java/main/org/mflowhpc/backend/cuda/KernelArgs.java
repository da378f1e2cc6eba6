package org.mflowhpc.backend.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import jcuda.NativePointerObject;
import jcuda.Pointer;

/**
 * The argument list of one kernel launch, in the kernel's parameter order, as {@code cuLaunchKernel}'s
 * {@code kernelParams}: an array of pointers, each to one argument's bytes. Pointers are raw device addresses
 * ({@link #p}, 8 bytes), {@code int} 4 bytes, {@code int64_t} 8, {@code double} 8; a null device pointer is 0. The
 * kinds are recorded ({@link #signature()}) so that each launch can be checked against the kernel's parameter list.
 *
 * <p>{@link #geom}: the by-value struct {@code mflow::Geom} of kernels/core.cuh,
 * <pre>
 *   struct Geom { int d; int V; const int32_t* up; const int32_t* dn; };   // 24 bytes, 8-byte aligned
 * </pre>
 * packed little-endian (x86-64 and the GPU): d at byte 0, V at 4, up at 8, dn at 16 (see {@link #geomBytes}; the
 * layout is checked by CudaUnitTest). The driver copies {@code sizeof(Geom)} bytes from the pointer.
 */
final class KernelArgs {
    private final List<NativePointerObject> args = new ArrayList<>(16);
    private final StringBuilder kinds = new StringBuilder(16);

    KernelArgs p(long deviceAddress) { args.add(Pointer.to(new long[] {deviceAddress})); kinds.append('p'); return this; }
    KernelArgs i(int v) { args.add(Pointer.to(new int[] {v})); kinds.append('i'); return this; }
    KernelArgs i(boolean v) { return i(v ? 1 : 0); }
    KernelArgs l(long v) { args.add(Pointer.to(new long[] {v})); kinds.append('l'); return this; }
    KernelArgs d(double v) { args.add(Pointer.to(new double[] {v})); kinds.append('d'); return this; }
    KernelArgs geom(int d, int V, long up, long dn) { args.add(Pointer.to(geomBytes(d, V, up, dn))); kinds.append('G'); return this; }

    int size() { return args.size(); }

    /** The kinds added so far (G, i, l, d, p), as {@link Kernel#signature}. */
    String signature() { return kinds.toString(); }

    Pointer pointer() { return Pointer.to(args.toArray(new NativePointerObject[0])); }

    /** The bytes of mflow::Geom {d, V, up, dn}. */
    static byte[] geomBytes(int d, int V, long up, long dn) {
        ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, d).putInt(4, V).putLong(8, up).putLong(16, dn);
        return b.array();
    }
}
