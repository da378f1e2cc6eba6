/*
 * Contract: a smoothing prescription applied before the clover observables of Topology, and the measurement table it
 * produces (docs/physics.md §7). FLOW: Wilson gradient flow to flow time t (t/a^2, lattice units) with RK3 steps of at
 * most eps (WilsonFlow.flow); STOUT: n isotropic stout steps with parameter rho (WilsonFlow.stout; nominal flow time
 * n rho). measure(u) smooths a copy of the batch (u is untouched), in sub-batches of at most 32 MiB of links (results
 * per configuration do not depend on the sub-batch), and returns the columns, one value per configuration:
 *   Q_clover      clover charge Q after smoothing (4D only)
 *   chi_t_clover  Q^2 / V (4D only; its mean is the susceptibility chi_t = <Q^2>/V in lattice units a^-4)
 *   Q_imp, chi_t_imp  the same with the tree-level improved field strength (Topology.improved; 4D only)
 *   E_clover      clover action density E (Topology), lattice units
 *   E_plaq        plaquette action density E = 2 sum_{m<n} Re tr(1 - P)
 *   t2E_clover, t2E_plaq   t^2 E with the flow time t (FLOW only; dimensionless; the scale t0 has t^2 <E> = 0.3)
 */
package org.mflowhpc.observable;

import org.mflowhpc.lattice.GaugeField;

/** Smoothing prescription (immutable). */
public record Smoothing(Method method, double flowTime, double flowStep, double rho, int stoutSteps) {
    public enum Method { FLOW, STOUT }

    /** Byte budget of one smoothed sub-batch. */
    static final long CHUNK_BYTES = 32L << 20;

    public Smoothing {
        if (method == null) throw new IllegalArgumentException("smoothing method is null");
        if (method == Method.FLOW) WilsonFlow.steps(flowTime, flowStep); // validates
        else {
            if (stoutSteps < 0) throw new IllegalArgumentException("stout steps must be >= 0, got " + stoutSteps);
            if (!(rho > 0) || Double.isInfinite(rho)) throw new IllegalArgumentException("stout rho must be finite and > 0, got " + rho);
        }
    }

    /** Gradient flow to t with steps of at most eps. */
    public static Smoothing flow(double t, double eps) { return new Smoothing(Method.FLOW, t, eps, 0, 0); }

    /** n stout steps with parameter rho. */
    public static Smoothing stout(double rho, int n) { return new Smoothing(Method.STOUT, 0, 0, rho, n); }

    /** RK3 steps (FLOW) or stout steps (STOUT). */
    public int steps() { return method == Method.FLOW ? WilsonFlow.steps(flowTime, flowStep) : stoutSteps; }

    /** The step actually taken: t / steps (FLOW; 0 when t = 0). */
    public double actualFlowStep() { int n = steps(); return n == 0 ? 0 : flowTime / n; }

    /** Smooths u in place. */
    public void apply(WilsonFlow wf, GaugeField u) {
        if (method == Method.FLOW) wf.flow(u, flowTime, flowStep);
        else wf.stout(u, rho, stoutSteps);
    }

    /** Column names measure() produces for a lattice of d dimensions, in order. */
    public java.util.List<String> columns(int d) {
        java.util.List<String> c = new java.util.ArrayList<>();
        if (d == 4) { c.add("Q_clover"); c.add("chi_t_clover"); c.add("Q_imp"); c.add("chi_t_imp"); }
        c.add("E_clover");
        c.add("E_plaq");
        if (method == Method.FLOW) { c.add("t2E_clover"); c.add("t2E_plaq"); }
        return c;
    }

    /** The table of the class contract for a copy of u smoothed; u is not modified. */
    public Measurement measure(GaugeField u) { return measure(u, null); }

    /** {@link #measure(GaugeField)}, reporting the number of configurations done after each sub-batch to progress. */
    public Measurement measure(GaugeField u, java.util.function.IntConsumer progress) {
        WilsonFlow wf = new WilsonFlow(u.backend());
        Topology top = new Topology(u.backend());
        int nb = u.batch, d = u.lattice.d, V = u.lattice.volume;
        int chunk = (int) Math.max(1, Math.min(nb, CHUNK_BYTES / (8L * u.configSize())));
        double[] q = new double[nb], qi = new double[nb], ec = new double[nb], ep = new double[nb];
        for (int b0 = 0; b0 < nb; b0 += chunk) {
            int n = Math.min(chunk, nb - b0);
            GaugeField s = new GaugeField(u.backend(), u.group, u.lattice, n);
            for (int k = 0; k < n; k++) s.copyConfig(k, u, b0 + k);
            apply(wf, s);
            Topology.Clover c = top.clover(s);
            double[] e2 = top.energyPlaquette(s);
            double[] ci = d == 4 ? top.improved(s).charge() : null;
            for (int k = 0; k < n; k++) {
                if (d == 4) { q[b0 + k] = c.charge()[k]; qi[b0 + k] = ci[k]; }
                ec[b0 + k] = c.energy()[k];
                ep[b0 + k] = e2[k];
            }
            if (progress != null) progress.accept(n);
        }
        Measurement m = new Measurement(nb);
        if (d == 4) {
            double[] chi = new double[nb], chii = new double[nb];
            for (int b = 0; b < nb; b++) { chi[b] = q[b] * q[b] / V; chii[b] = qi[b] * qi[b] / V; }
            m.put("Q_clover", q).put("chi_t_clover", chi).put("Q_imp", qi).put("chi_t_imp", chii);
        }
        m.put("E_clover", ec).put("E_plaq", ep);
        if (method == Method.FLOW) {
            double t2 = flowTime * flowTime;
            double[] a = new double[nb], b = new double[nb];
            for (int k = 0; k < nb; k++) { a[k] = t2 * ec[k]; b[k] = t2 * ep[k]; }
            m.put("t2E_clover", a).put("t2E_plaq", b);
        }
        return m;
    }
}
