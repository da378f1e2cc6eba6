package org.mflowhpc.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.group.Group;
import org.mflowhpc.io.EnsembleMeta;
import org.mflowhpc.io.Shard;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.observable.Observables;

/**
 * Per-configuration series of an ensemble, shard by shard, as `measure` and `report` analyse them: "plaquette"
 * ((1/N) Re tr P averaged over plaquettes), "W(RxT)" for each requested loop, "Q" and "chi_t" = Q^2/V (2D U(1)
 * only, geometric charge), "|polyakov|" (modulus of the volume-averaged Polyakov loop), in ensemble order; next to them
 * the flow weights of the shards: log_w (reweighting or MH target weights), proposal_log_w (MH proposals) and
 * accepted (0/1 per MH step). A weight column is present only if every shard carried it ({@link #hasLogW} etc.).
 */
public final class ShardSeries {
    public final Map<String, List<Double>> series = new LinkedHashMap<>();
    public final List<Double> logw = new ArrayList<>(), accepted = new ArrayList<>(), proposalLogw = new ArrayList<>();
    private boolean hasLogW = true, hasAcc = true, hasProposal = true;
    private final Observables obs;
    private final List<int[]> loops;
    private final boolean topo;
    private final int volume;

    public ShardSeries(Backend be, EnsembleMeta meta, List<int[]> loops) {
        this.obs = new Observables(be);
        this.loops = loops;
        Lattice lat = meta.lattice();
        this.topo = meta.group() == Group.U1 && lat.d == 2;
        this.volume = lat.volume;
    }

    /** Measures the configurations u of shard s and appends them and its weights; returns u for further series. */
    public GaugeField add(Shard s, GaugeField u) {
        add("plaquette", obs.meanPlaquette(u));
        for (int[] l : loops) add("W(" + l[0] + "x" + l[1] + ")", obs.wilsonLoop(u, l[0], l[1]));
        if (topo) {
            double[] q = obs.topologicalCharge(u);
            double[] q2 = new double[q.length];
            for (int k = 0; k < q.length; k++) q2[k] = q[k] * q[k] / volume;
            add("Q", q);
            add("chi_t", q2);
        }
        add("|polyakov|", obs.polyakovLoop(u).abs());
        double[] lw = s.extra().get("log_w");
        if (lw == null) hasLogW = false; else for (double v : lw) logw.add(v);
        double[] plw = s.extra().get("proposal_log_w");
        if (plw == null) hasProposal = false; else for (double v : plw) proposalLogw.add(v);
        int[] a = s.extraInt().get("accepted");
        if (a == null) hasAcc = false; else for (int v : a) accepted.add((double) v);
        return u;
    }

    /** Appends values to the named series. */
    public void add(String name, double[] v) {
        List<Double> l = series.computeIfAbsent(name, x -> new ArrayList<>());
        for (double d : v) l.add(d);
    }

    public boolean hasLogW() { return hasLogW; }
    public boolean hasAccepted() { return hasAcc; }
    public boolean hasProposalLogW() { return hasProposal; }
    /** Number of configurations so far. */
    public int size() { return series.containsKey("plaquette") ? series.get("plaquette").size() : 0; }

    /** The values of l after the first skip. */
    public static double[] tail(List<Double> l, int skip) {
        double[] a = new double[l.size() - skip];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i + skip);
        return a;
    }
}
