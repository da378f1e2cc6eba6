package org.mflowhpc.lattice;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.group.Group;

/**
 * A batch of gauge configurations on one lattice, resident on one {@link Backend} (float64).
 *
 * <p>Layout ({@code link_layout} in HDF5): element {@code ((b*d + mu)*V + site)*dof + k} for configuration b,
 * direction mu, site (lexicographic, direction 0 fastest), component k (see {@link Group} for dof). This is the
 * HDF5 shape [n, d, sites, dof] flattened in C order; host arrays in this layout come from {@link #toHost()} and go
 * back with {@link #setFromHost}. The links themselves are only touched by the backend's ops.
 */
public final class GaugeField {
    public final Group group;
    public final Lattice lattice;
    public final int batch;
    private final Backend backend;
    private final Buffer links;

    /** A zero-filled field (U(1): all links 1; SU(3): not group elements until written, see {@link #identity}). */
    public GaugeField(Backend backend, Group group, Lattice lattice, int batch) {
        this(backend, group, lattice, batch, backend.alloc(checkedSize(group, lattice, batch)));
    }

    private GaugeField(Backend backend, Group group, Lattice lattice, int batch, Buffer links) {
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        if (links.length() != checkedSize(group, lattice, batch))
            throw new IllegalArgumentException("gauge field buffer has " + links.length() + " doubles, expected " + checkedSize(group, lattice, batch));
        if (links.owner() != backend) throw new IllegalArgumentException("gauge field buffer belongs to another backend");
        this.backend = backend;
        this.group = group;
        this.lattice = lattice;
        this.batch = batch;
        this.links = links;
    }

    /** A field holding a copy of host data in the layout above. */
    public static GaugeField fromHost(Backend backend, Group group, Lattice lattice, int batch, double[] data) {
        int n = checkedSize(group, lattice, batch);
        if (data.length != n) throw new IllegalArgumentException("gauge field data has " + data.length + " doubles, expected " + n);
        return new GaugeField(backend, group, lattice, batch, backend.upload(data));
    }

    /** Doubles in a batch of this shape. */
    public static int checkedSize(Group g, Lattice lat, int batch) {
        long n = (long) batch * lat.d * lat.volume * g.dof;
        if (n > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("gauge field batch too large: " + n + " doubles");
        return (int) n;
    }

    public Backend backend() { return backend; }
    public Buffer links() { return links; }

    /** Doubles per configuration: d * V * dof. */
    public int configSize() { return lattice.d * lattice.volume * group.dof; }

    /** Doubles in the whole batch. */
    public int size() { return batch * configSize(); }

    /** Offset of link (b, mu, site) in the layout (in {@link #links()} and in host copies). */
    public int offset(int b, int mu, int site) { return ((b * lattice.d + mu) * lattice.volume + site) * group.dof; }

    /** A host copy of the whole batch (synchronises). */
    public double[] toHost() { return backend.download(links); }

    /** A host copy of configuration b. */
    public double[] configToHost(int b) {
        double[] h = new double[configSize()];
        backend.download(links, b * configSize(), h, 0, h.length);
        return h;
    }

    /** Overwrites the batch with host data in the layout above. */
    public void setFromHost(double[] data) {
        if (data.length != size()) throw new IllegalArgumentException("gauge field data has " + data.length + " doubles, expected " + size());
        backend.upload(data, 0, links, 0, data.length);
    }

    /** Overwrites configuration b with host data (configSize doubles from data[off]). */
    public void setConfigFromHost(int b, double[] data, int off) {
        backend.upload(data, off, links, b * configSize(), configSize());
    }

    /** A new field on the same backend with the same links. */
    public GaugeField copy() {
        GaugeField f = new GaugeField(backend, group, lattice, batch);
        backend.copy(links, 0, f.links, 0, size());
        return f;
    }

    /** Configuration b as a new batch-1 field (copy). */
    public GaugeField config(int b) {
        GaugeField f = new GaugeField(backend, group, lattice, 1);
        backend.copy(links, b * configSize(), f.links, 0, configSize());
        return f;
    }

    /** this[dst] = src[srcB] (same group and lattice). */
    public void copyConfig(int dst, GaugeField src, int srcB) {
        if (src.group != group || !src.lattice.equals(lattice)) throw new IllegalArgumentException("copyConfig across theories");
        backend.copy(src.links, srcB * configSize(), links, dst * configSize(), configSize());
    }

    /** this = src (same shape). */
    public void copyFrom(GaugeField src) {
        if (src.group != group || !src.lattice.equals(lattice) || src.batch != batch) throw new IllegalArgumentException("copyFrom across shapes");
        backend.copy(src.links, 0, links, 0, size());
    }

    /** Unit (cold) configurations. */
    public static GaugeField identity(Backend backend, Group g, Lattice lat, int batch) {
        GaugeField f = new GaugeField(backend, g, lat, batch);
        if (g == Group.SU3) {
            double[] h = new double[f.size()];
            for (int o = 0; o < h.length; o += 18) { h[o] = 1; h[o + 8] = 1; h[o + 16] = 1; }
            f.setFromHost(h);
        }
        return f;
    }
}
