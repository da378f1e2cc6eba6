package org.mflowhpc.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;

/**
 * Flat parameter storage for one model: every trainable number lives in one backend {@link Buffer} of values, with
 * a matching buffer of gradients, so a model's whole state is one array for checkpoints and the optimiser.
 *
 * <p>Contract.
 * <ul>
 *   <li>Blocks are registered with {@link #add(String, int...)} while the model is being built; each gets a unique
 *       name (e.g. {@code "layer3.conv1.weight"}), a shape, and a contiguous range {@code [offset, offset+size)} in
 *       registration order. Element order inside a block is row-major over its shape.
 *   <li>{@link #freeze(Backend)} forbids further {@code add} and allocates the value and gradient buffers on the
 *       backend (zero); {@link #setValues} / {@link #valuesToHost()} move values across the seam (initialisation,
 *       checkpoints).
 *   <li>Gradients accumulate: backward passes add into {@link #grads()}; {@link #zeroGrads()} clears them.
 *   <li>Two models built with the same kind and config have the same block list (names, shapes, offsets), which
 *       is what checkpoints rely on ({@link #layoutSignature()}).
 * </ul>
 */
public final class Params {
    /** A named contiguous block of parameters. */
    public static final class Block {
        public final String name;
        public final int offset, size;
        private final int[] shape;

        Block(String name, int offset, int[] shape) {
            this.name = name; this.offset = offset; this.shape = shape.clone();
            long s = 1;
            for (int n : shape) { if (n < 1) throw new IllegalArgumentException("block " + name + " has a non-positive dimension"); s *= n; }
            if (s > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("block " + name + " too large");
            this.size = (int) s;
        }

        public int[] shape() { return shape.clone(); }
        @Override public String toString() { return name + Arrays.toString(shape) + "@" + offset; }
    }

    private int size;
    private final Map<String, Block> blocks = new LinkedHashMap<>();
    private final List<Block> order = new ArrayList<>();
    private Backend backend;
    private Buffer values, grads;

    /** Registers a block of the given shape, zero-initialised; returns it (its offset is final). */
    public Block add(String name, int... shape) {
        if (values != null) throw new IllegalStateException("parameters are frozen; cannot add block " + name);
        if (blocks.containsKey(name)) throw new IllegalArgumentException("duplicate parameter block " + name);
        Block b = new Block(name, size, shape);
        if ((long) size + b.size > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("too many parameters");
        size += b.size;
        blocks.put(name, b);
        order.add(b);
        return b;
    }

    /** Forbids further {@link #add} and allocates zero values and gradients on the backend. */
    public Params freeze(Backend be) {
        if (values != null) throw new IllegalStateException("parameters are already frozen");
        backend = be;
        values = be.alloc(size);
        grads = be.alloc(size);
        return this;
    }

    public boolean frozen() { return values != null; }

    private void checkFrozen() { if (values == null) throw new IllegalStateException("parameters are not frozen yet"); }

    public Backend backend() { checkFrozen(); return backend; }
    public Buffer values() { checkFrozen(); return values; }
    public Buffer grads() { checkFrozen(); return grads; }
    public int size() { return size; }

    /** A host copy of all values (checkpoints, initialisation). */
    public double[] valuesToHost() { checkFrozen(); return backend.download(values); }

    /** A host copy of all gradients. */
    public double[] gradsToHost() { checkFrozen(); return backend.download(grads); }
    public List<Block> blocks() { return Collections.unmodifiableList(order); }

    public Block block(String name) {
        Block b = blocks.get(name);
        if (b == null) throw new IllegalArgumentException("no parameter block " + name);
        return b;
    }

    public void zeroGrads() { checkFrozen(); backend.fill(grads, 0, size, 0.0); }

    /** Euclidean norm of the gradient, summed in index order (deterministic). */
    public double gradNorm() { checkFrozen(); return Math.sqrt(backend.sumSquares(grads, 0, size)); }

    /** Copies all values from {@code src} (length must equal {@link #size()}). */
    public void setValues(double[] src) {
        checkFrozen();
        if (src.length != size)
            throw new IllegalArgumentException("parameter count mismatch: got " + src.length + ", model has " + size);
        backend.upload(src, 0, values, 0, size);
    }

    /** A string naming every block with its shape in order, e.g. "a[3,4];b[4]": equal layouts have equal strings. */
    public String layoutSignature() {
        StringBuilder s = new StringBuilder();
        for (Block b : order) {
            if (s.length() > 0) s.append(';');
            s.append(b.name).append('[');
            for (int i = 0; i < b.shape.length; i++) { if (i > 0) s.append(','); s.append(b.shape[i]); }
            s.append(']');
        }
        return s.toString();
    }
}
