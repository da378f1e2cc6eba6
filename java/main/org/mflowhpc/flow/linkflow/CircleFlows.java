package org.mflowhpc.flow.linkflow;

/** Parses circle-flow specs: "ncpK" ({@link NcpMixture}, K components) or "rqsK" ({@link CircularSpline}, K bins). */
public final class CircleFlows {
    private CircleFlows() {}

    public static CircleFlow parse(String spec) {
        String s = spec.trim().toLowerCase();
        try {
            if (s.startsWith("ncp")) return new NcpMixture(Integer.parseInt(s.substring(3)));
            if (s.startsWith("rqs")) return new CircularSpline(Integer.parseInt(s.substring(3)));
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException("unknown circle flow '" + spec + "' (expected ncpK, e.g. ncp6, or rqsK, e.g. rqs8)");
    }
}
