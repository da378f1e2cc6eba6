package org.mflowhpc.lattice;

import org.mflowhpc.group.Group;

/**
 * A batch of gauge configurations on one lattice, host-resident float64.
 *
 * <p>Layout ({@code link_layout} in HDF5): {@code data[((b*d + mu)*V + site)*dof + k]} for configuration b,
 * direction mu, site (lexicographic, direction 0 fastest), component k (see {@link Group} for dof). This is the
 * HDF5 shape [n, d, sites, dof] flattened in C order.
 */
public final class GaugeField {
    public final Group group;
    public final Lattice lattice;
    public final int batch;
    public final double[] data;

    public GaugeField(Group group, Lattice lattice, int batch) {
        this(group, lattice, batch, new double[checkedSize(group, lattice, batch)]);
    }

    public GaugeField(Group group, Lattice lattice, int batch, double[] data) {
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        if (data.length != checkedSize(group, lattice, batch))
            throw new IllegalArgumentException("gauge field data has " + data.length + " doubles, expected " + checkedSize(group, lattice, batch));
        this.group = group;
        this.lattice = lattice;
        this.batch = batch;
        this.data = data;
    }

    private static int checkedSize(Group g, Lattice lat, int batch) {
        long n = (long) batch * lat.d * lat.volume * g.dof;
        if (n > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("gauge field batch too large: " + n + " doubles");
        return (int) n;
    }

    /** Doubles per configuration: d * V * dof. */
    public int configSize() { return lattice.d * lattice.volume * group.dof; }

    /** Offset of link (b, mu, site) in {@link #data}. */
    public int offset(int b, int mu, int site) { return ((b * lattice.d + mu) * lattice.volume + site) * group.dof; }

    public GaugeField copy() { return new GaugeField(group, lattice, batch, data.clone()); }

    /** Configuration b as a new batch-1 field (copy). */
    public GaugeField config(int b) {
        int n = configSize();
        double[] d = new double[n];
        System.arraycopy(data, b * n, d, 0, n);
        return new GaugeField(group, lattice, 1, d);
    }

    /** Unit (cold) configurations. */
    public static GaugeField identity(Group g, Lattice lat, int batch) {
        GaugeField f = new GaugeField(g, lat, batch);
        if (g == Group.SU3) for (int o = 0; o < f.data.length; o += 18) { f.data[o] = 1; f.data[o + 8] = 1; f.data[o + 16] = 1; }
        return f;
    }
}
