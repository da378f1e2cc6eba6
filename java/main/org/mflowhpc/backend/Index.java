package org.mflowhpc.backend;

/**
 * An immutable int table resident on one {@link Backend}: site lists of masks (active links, frozen loops),
 * neighbour or gather tables. Uploaded once ({@link Backend#index}) and reused by every call that names it.
 */
public abstract class Index {
    private final Backend owner;
    private final int length, min, max;

    protected Index(Backend owner, int length) {
        this.owner = owner;
        this.length = length;
        this.min = 0;
        this.max = 0;
    }

    /** An index holding these entries (their range is kept for bounds checks). */
    protected Index(Backend owner, int[] entries) {
        this.owner = owner;
        this.length = entries.length;
        int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
        for (int v : entries) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        this.min = lo;
        this.max = hi;
    }

    public final Backend owner() { return owner; }
    public final int length() { return length; }
    /** Smallest and largest entry (0 for an index built from a length only; undefined when empty). */
    public final int min() { return min; }
    public final int max() { return max; }
}
