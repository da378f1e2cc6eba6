package org.mflowhpc.testutil;

import org.mflowhpc.group.Group;
import org.mflowhpc.group.SU3;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.rng.RngStream;

/** Random test inputs: Haar-random links and gauge transformations, fresh per seed (never zeros). */
public final class Fields {
    private Fields() {}

    public static GaugeField haar(Group g, Lattice lat, int batch, long seed) {
        GaugeField f = new GaugeField(g, lat, batch);
        RngStream r = new RngStream(seed, RngStream.Domain.TEST, 0, 0);
        if (g == Group.U1) for (int i = 0; i < f.data.length; i++) f.data[i] = r.angle();
        else for (int o = 0; o < f.data.length; o += 18) SU3.haar(r, f.data, o);
        return f;
    }

    /** Random gauge transformation Omega(b, x): angles for U(1), Haar SU(3) matrices. */
    public static double[] gauge(Group g, Lattice lat, int batch, long seed) {
        RngStream r = new RngStream(seed, RngStream.Domain.TEST, 1, 0);
        double[] om = new double[batch * lat.volume * g.dof];
        if (g == Group.U1) for (int i = 0; i < om.length; i++) om[i] = r.angle();
        else for (int o = 0; o < om.length; o += 18) SU3.haar(r, om, o);
        return om;
    }

    /** A fixed seed drawn fresh for each JVM run, printed by the tests that use it so failures can be replayed. */
    public static long freshSeed() {
        String s = System.getProperty("mflow.test.seed");
        return s != null ? Long.parseLong(s) : System.nanoTime();
    }
}
