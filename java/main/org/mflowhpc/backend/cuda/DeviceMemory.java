package org.mflowhpc.backend.cuda;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Device memory of the CUDA backend: allocations, the pool of recycled temporaries behind {@code Backend.scope()},
 * and the return of memory whose buffers were garbage-collected. Device-independent (an {@link Allocator} does the
 * driver calls), so its bookkeeping is unit-tested without a GPU.
 *
 * <p>Contract. {@link #acquire(int)} returns a {@link Lease} on a block of exactly n doubles: from the pool when a
 * released block of that length is there (exact-length reuse: the temporaries of a training step recur exactly),
 * else a fresh allocation. The caller zero-fills it (on its stream, so the reuse is ordered after all earlier work on
 * that stream: a block given back while kernels still read it is safe to hand out again). A lease taken while a
 * {@link Scope} is open on the calling thread belongs to the innermost scope and goes back to the pool when that scope
 * closes ({@link Lease#released()} is then true: ops given such a buffer throw IllegalStateException). A lease outside
 * any scope goes back when its buffer becomes unreachable (the backend registers {@link Lease#giveBack()} with a
 * Cleaner; the Cleaner thread only queues it, the owning thread recycles it at its next acquire or
 * {@link #drain()}). Every lease goes back once (an atomic flag), whichever comes first. The pool keeps at most
 * {@code maxPooledBytes}; beyond that blocks are freed. When an allocation fails, the pool is emptied (after a device
 * synchronisation), the garbage collector is asked for unreachable buffers, and the allocation is retried once;
 * then {@link DeviceOutOfMemoryException}.
 */
final class DeviceMemory {
    /** The device side: allocate (null when out of memory), free, synchronise. */
    interface Allocator {
        Block allocate(long bytes);
        void free(Block b);
        void synchronize();
        /** "free X of Y MiB" for the out-of-memory message. */
        String describeFree();
    }

    /** One device allocation: its address and the driver's handle (opaque here). */
    static final class Block {
        final long address;
        final int doubles;
        final Object handle;

        Block(long address, int doubles, Object handle) {
            this.address = address;
            this.doubles = doubles;
            this.handle = handle;
        }
    }

    /** A buffer's hold on a block. */
    final class Lease {
        final Block block;
        /** True when the lease belongs to a scope (no Cleaner needed: the scope gives it back). */
        final boolean scoped;
        private final AtomicBoolean returned = new AtomicBoolean();

        Lease(Block block, boolean scoped) {
            this.block = block;
            this.scoped = scoped;
        }

        /** True once the block went back (scope closed, or unreachable and recycled). */
        boolean released() { return returned.get(); }

        /** From the Cleaner thread: queue the block for recycling by the owning thread. */
        void giveBack() {
            if (returned.compareAndSet(false, true)) unreachable.add(block);
        }

        /** From the owning thread (scope close): back to the pool now. */
        void release() {
            if (returned.compareAndSet(false, true)) recycle(block);
        }
    }

    /** A region of temporaries (Backend.Scope). */
    final class Scope implements org.mflowhpc.backend.Backend.Scope {
        final List<Lease> owned = new ArrayList<>();
        boolean closed;

        @Override public void close() {
            synchronized (DeviceMemory.this) {
                if (closed) return;
                closed = true;
                ArrayDeque<Scope> st = scopes.get();
                if (st.peek() != this) throw new IllegalStateException("cuda backend: scopes closed out of order");
                st.pop();
                for (Lease l : owned) l.release();
                owned.clear();
            }
        }
    }

    private final Allocator dev;
    private final long maxPooledBytes;
    private final Map<Integer, ArrayDeque<Block>> pool = new HashMap<>();
    private final ConcurrentLinkedQueue<Block> unreachable = new ConcurrentLinkedQueue<>();
    private final ThreadLocal<ArrayDeque<Scope>> scopes = ThreadLocal.withInitial(ArrayDeque::new);
    private long pooledBytes, liveBytes, allocations, reuses;

    DeviceMemory(Allocator dev, long maxPooledBytes) {
        this.dev = dev;
        this.maxPooledBytes = maxPooledBytes;
    }

    synchronized Scope openScope() {
        Scope s = new Scope();
        scopes.get().push(s);
        return s;
    }

    /** A lease on n doubles (n >= 1), owned by the innermost open scope of this thread if any. */
    synchronized Lease acquire(int n) {
        drain();
        Block b = null;
        ArrayDeque<Block> q = pool.get(n);
        if (q != null && !q.isEmpty()) {
            b = q.pop();
            pooledBytes -= 8L * n;
            reuses++;
        }
        if (b == null) b = allocate(n);
        Scope s = scopes.get().peek();
        Lease l = new Lease(b, s != null);
        if (s != null) s.owned.add(l);
        return l;
    }

    /** A lease for an op's own scratch, given back by the op (not scope-bound). */
    synchronized Lease scratch(int n) {
        drain();
        Block b = null;
        ArrayDeque<Block> q = pool.get(n);
        if (q != null && !q.isEmpty()) {
            b = q.pop();
            pooledBytes -= 8L * n;
            reuses++;
        }
        if (b == null) b = allocate(n);
        return new Lease(b, false);
    }

    private Block allocate(int n) {
        long bytes = 8L * n;
        Block b = dev.allocate(bytes);
        if (b == null) {
            trim();
            System.gc();
            try {
                Thread.sleep(20); // let the Cleaner queue what the collector found
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            drain();
            trim();
            b = dev.allocate(bytes);
            if (b == null)
                throw new DeviceOutOfMemoryException("GPU out of memory: cannot allocate " + mib(bytes) + " MiB (" + dev.describeFree()
                        + ", " + mib(liveBytes) + " MiB held by this run): reduce --batch or the lattice");
        }
        allocations++;
        liveBytes += bytes;
        return b;
    }

    private void recycle(Block b) {
        long bytes = 8L * b.doubles;
        synchronized (this) {
            if (pooledBytes + bytes <= maxPooledBytes) {
                pool.computeIfAbsent(b.doubles, k -> new ArrayDeque<>()).push(b);
                pooledBytes += bytes;
                return;
            }
            dev.synchronize();
            dev.free(b);
            liveBytes -= bytes;
        }
    }

    /** Recycles the blocks of garbage-collected buffers (owning thread). */
    synchronized void drain() {
        Block b;
        while ((b = unreachable.poll()) != null) recycle(b);
    }

    /** Frees every pooled block (after synchronising: kernels may still read them). */
    synchronized void trim() {
        if (pool.isEmpty()) return;
        dev.synchronize();
        for (ArrayDeque<Block> q : pool.values())
            for (Block b : q) {
                dev.free(b);
                liveBytes -= 8L * b.doubles;
            }
        pool.clear();
        pooledBytes = 0;
    }

    synchronized long pooledBytes() { return pooledBytes; }
    synchronized long liveBytes() { return liveBytes; }
    synchronized long allocations() { return allocations; }
    synchronized long reuses() { return reuses; }

    static long mib(long bytes) { return (bytes + (1 << 20) - 1) >> 20; }
}
