package org.mflowhpc.backend;

/**
 * Argument checks shared by the native backends (host, cuda), which hand raw addresses to kernels and so must refuse
 * what the Java reference would catch as an array bound: a buffer or index of another backend, a buffer used after
 * the scope it was allocated in closed ({@link Buffer#released()}), an element range outside a buffer, a site list
 * with entries outside [0, V). Each failure is one IllegalArgumentException (IllegalStateException for a released
 * buffer) whose message starts with the op's name.
 */
public final class Checks {
    private Checks() {}

    /** b as the backend's own buffer type, after the null, owner and liveness checks. */
    public static <B extends Buffer> B buffer(Backend be, Buffer b, Class<B> type, String what) {
        if (b == null) throw new IllegalArgumentException(what + ": buffer is null");
        if (!type.isInstance(b) || b.owner() != be)
            throw new IllegalArgumentException(what + ": buffer of backend " + b.owner().name() + " passed to the " + be.name() + " backend");
        if (b.released()) throw new IllegalStateException(what + ": buffer used after the scope it was allocated in closed");
        return type.cast(b);
    }

    /** i as the backend's own index type, after the null and owner checks. */
    public static <I extends Index> I index(Backend be, Index i, Class<I> type, String what) {
        if (i == null) throw new IllegalArgumentException(what + ": index is null");
        if (!type.isInstance(i) || i.owner() != be)
            throw new IllegalArgumentException(what + ": index of backend " + i.owner().name() + " passed to the " + be.name() + " backend");
        return type.cast(i);
    }

    /** [off, off + n) must lie inside b. */
    public static void range(Buffer b, long off, long n, String what) {
        if (off < 0 || n < 0 || off + n > b.length())
            throw new IllegalArgumentException(what + ": range [" + off + ", " + (off + n) + ") outside a buffer of " + b.length() + " doubles");
    }

    /** A site list of this backend whose entries all lie in [0, V). */
    public static <I extends Index> I sites(Backend be, Index i, Class<I> type, int V, String what) {
        I h = index(be, i, type, what);
        if (h.length() > 0 && (h.min() < 0 || h.max() >= V))
            throw new IllegalArgumentException(what + ": site index out of [0, " + V + "): " + (h.min() < 0 ? h.min() : h.max()));
        return h;
    }
}
