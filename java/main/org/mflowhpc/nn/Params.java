package org.mflowhpc.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Flat parameter storage for one model: every trainable number lives in one {@code double[] values}, with a
 * matching {@code double[] grads}, so a model's whole state is one array for checkpoints and the optimiser.
 *
 * <p>Contract.
 * <ul>
 *   <li>Blocks are registered with {@link #add(String, int...)} while the model is being built; each gets a unique
 *       name (e.g. {@code "layer3.conv1.weight"}), a shape, and a contiguous range {@code [offset, offset+size)} in
 *       registration order. Element order inside a block is row-major over its shape.
 *   <li>While blocks are being added the arrays are reallocated: fetch {@link #values()} / {@link #grads()} each
 *       time, or cache them only after {@link #freeze()} (which forbids further {@code add}).
 *   <li>{@code grads} accumulate: backward passes add into them; {@link #zeroGrads()} clears them.
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

    private double[] values = new double[0], grads = new double[0];
    private final Map<String, Block> blocks = new LinkedHashMap<>();
    private final List<Block> order = new ArrayList<>();
    private boolean frozen;

    /** Registers a block of the given shape, zero-initialised; returns it (its offset is final). */
    public Block add(String name, int... shape) {
        if (frozen) throw new IllegalStateException("parameters are frozen; cannot add block " + name);
        if (blocks.containsKey(name)) throw new IllegalArgumentException("duplicate parameter block " + name);
        Block b = new Block(name, values.length, shape);
        values = Arrays.copyOf(values, values.length + b.size);
        grads = Arrays.copyOf(grads, grads.length + b.size);
        blocks.put(name, b);
        order.add(b);
        return b;
    }

    /** Forbids further {@link #add}; the arrays are then fixed for the lifetime of this object. */
    public Params freeze() { frozen = true; return this; }
    public boolean frozen() { return frozen; }

    public double[] values() { return values; }
    public double[] grads() { return grads; }
    public int size() { return values.length; }
    public List<Block> blocks() { return Collections.unmodifiableList(order); }

    public Block block(String name) {
        Block b = blocks.get(name);
        if (b == null) throw new IllegalArgumentException("no parameter block " + name);
        return b;
    }

    public void zeroGrads() { Arrays.fill(grads, 0.0); }

    /** Euclidean norm of the gradient, summed in index order (deterministic). */
    public double gradNorm() {
        double s = 0;
        for (double g : grads) s += g * g;
        return Math.sqrt(s);
    }

    /** Copies all values from {@code src} (length must equal {@link #size()}). */
    public void setValues(double[] src) {
        if (src.length != values.length)
            throw new IllegalArgumentException("parameter count mismatch: got " + src.length + ", model has " + values.length);
        System.arraycopy(src, 0, values, 0, src.length);
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
