package org.mflowhpc.testutil;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.rng.RngStream;

/** Random test inputs: Haar-random links and gauge transformations, fresh per seed (never zeros). */
public final class Fields {
    private Fields() {}

    /** Haar-random links as host data in the {@link GaugeField} layout. */
    public static double[] haarHost(Group g, Lattice lat, int batch, long seed) {
        double[] f = new double[GaugeField.checkedSize(g, lat, batch)];
        RngStream r = new RngStream(seed, RngStream.Domain.TEST, 0, 0);
        if (g == Group.U1) for (int i = 0; i < f.length; i++) f[i] = r.angle();
        else for (int o = 0; o < f.length; o += 18) SU3.haar(r, f, o);
        return f;
    }

    /** A Haar-random field on {@code be} (the links of {@link #haarHost}). */
    public static GaugeField haar(Backend be, Group g, Lattice lat, int batch, long seed) {
        return GaugeField.fromHost(be, g, lat, batch, haarHost(g, lat, batch, seed));
    }

    /** Random gauge transformation Omega(b, x): angles for U(1), Haar SU(3) matrices. */
    public static double[] gauge(Group g, Lattice lat, int batch, long seed) {
        RngStream r = new RngStream(seed, RngStream.Domain.TEST, 1, 0);
        double[] om = new double[batch * lat.volume * g.dof];
        if (g == Group.U1) for (int i = 0; i < om.length; i++) om[i] = r.angle();
        else for (int o = 0; o < om.length; o += 18) SU3.haar(r, om, o);
        return om;
    }

    /** {@link #gauge(Group, Lattice, int, long)} uploaded to {@code be}. */
    public static Buffer gauge(Backend be, Group g, Lattice lat, int batch, long seed) {
        return be.upload(gauge(g, lat, batch, seed));
    }

    /** A fixed seed drawn fresh for each JVM run, printed by the tests that use it so failures can be replayed. */
    public static long freshSeed() {
        String s = System.getProperty("mflow.test.seed");
        return s != null ? Long.parseLong(s) : System.nanoTime();
    }
}
