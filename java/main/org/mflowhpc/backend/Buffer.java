package org.mflowhpc.backend;

/**
 * A float64 array resident on one {@link Backend} (host memory for {@code cpu}, device memory for accelerators).
 * Created only by its backend ({@link Backend#alloc}, {@link Backend#upload(double[])}); read and written only by
 * that backend's ops. The host sees its contents only on request, through {@link Backend#download}, which
 * synchronises first. Lengths are in doubles.
 */
public abstract class Buffer {
    private final Backend owner;
    private final int length;

    protected Buffer(Backend owner, int length) {
        if (length < 0) throw new IllegalArgumentException("buffer length must be >= 0, got " + length);
        this.owner = owner;
        this.length = length;
    }

    public final Backend owner() { return owner; }
    public final int length() { return length; }

    /** True once the scope this buffer was allocated in has closed (its memory recycled); never for the cpu backend. */
    protected boolean released() { return false; }
}
