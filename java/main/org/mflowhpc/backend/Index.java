package org.mflowhpc.backend;

/**
 * An immutable int table resident on one {@link Backend}: site lists of masks (active links, frozen loops),
 * neighbour or gather tables. Uploaded once ({@link Backend#index}) and reused by every call that names it.
 */
public abstract class Index {
    private final Backend owner;
    private final int length;

    protected Index(Backend owner, int length) {
        this.owner = owner;
        this.length = length;
    }

    public final Backend owner() { return owner; }
    public final int length() { return length; }
}
