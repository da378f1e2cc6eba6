package org.mflowhpc.sample;

import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.rng.RngStream;

/**
 * Independence Metropolis-Hastings chain over flow proposals (docs/physics.md §2): proposal p with log-weight
 * log w_p = -S_p - log q_p replaces the chain state with probability min(1, exp(log w_p - log w_chain)); the
 * uniform is drawn from the stream (seed, MH_ACCEPT, p, 0), so the chain depends only on the proposals and their
 * global indices (never on batching or threads). The first proposal seen by an empty chain is accepted.
 *
 * <p>State: the current configuration (a batch-1 field on the proposals' backend; accepting and emitting are
 * backend-side copies), its log q and log w, and counters. It can be restored from a stored chain (the last
 * configuration of an MH ensemble, as host data, with its log q and log w) to resume exactly.
 */
public final class IndependenceMetropolis {
    private final long seed;
    private GaugeField state;
    private double[] restored; // host links from restore(), uploaded on the first advance
    private double stateLogQ, stateLogW;
    private long accepted, proposed;

    public IndependenceMetropolis(long seed) { this.seed = seed; }

    /** Restores the chain state (for resuming); {@code links} has one configuration's doubles. */
    public void restore(double[] links, double logQ, double logW) {
        restored = links.clone();
        state = null;
        stateLogQ = logQ;
        stateLogW = logW;
    }

    /**
     * Feeds proposals [from, from+n) of a batch (configurations off..off+n-1 of {@code prop}, with their log q and
     * log w), whose global proposal indices start at {@code firstIndex}. Writes the chain states after each proposal
     * into {@code out} (n configurations), their log q and log w into outLogQ/outLogW and 1/0 into accepted.
     */
    public void advance(GaugeField prop, int off, int n, double[] logQ, double[] logW, long firstIndex,
                        GaugeField out, double[] outLogQ, double[] outLogW, int[] acceptedFlags) {
        if (state == null && restored != null) {
            state = new GaugeField(prop.backend(), prop.group, prop.lattice, 1);
            state.setConfigFromHost(0, restored, 0);
            restored = null;
        }
        for (int j = 0; j < n; j++) {
            int b = off + j;
            boolean a = state == null
                    || new RngStream(seed, RngStream.Domain.MH_ACCEPT, firstIndex + j, 0).uniform() < Math.exp(Math.min(0, logW[b] - stateLogW));
            if (a) {
                if (state == null) state = new GaugeField(prop.backend(), prop.group, prop.lattice, 1);
                state.copyConfig(0, prop, b);
                stateLogQ = logQ[b];
                stateLogW = logW[b];
                accepted++;
            }
            proposed++;
            acceptedFlags[j] = a ? 1 : 0;
            out.copyConfig(j, state, 0);
            outLogQ[j] = stateLogQ;
            outLogW[j] = stateLogW;
        }
    }

    public long accepted() { return accepted; }
    public long proposed() { return proposed; }
    public double acceptanceRate() { return proposed == 0 ? Double.NaN : (double) accepted / proposed; }
}
