package org.mflowhpc.nn;

/**
 * Learning-rate schedules lr(step), step = 0, 1, 2, ... (the index of the optimiser step about to be taken).
 *
 * <ul>
 *   <li>{@code constant:LR}: lr(t) = LR
 *   <li>{@code cosine:LR:TOTAL[:MIN]}: lr(t) = MIN + (LR - MIN)(1 + cos(pi min(t, TOTAL)/TOTAL))/2
 *   <li>{@code step:LR:EVERY:GAMMA}: lr(t) = LR * GAMMA^floor(t/EVERY)
 * </ul>
 * {@link #spec()} returns the string form, which {@link #parse} reads back exactly (doubles printed with
 * Double.toString, so round trips are bit-exact): checkpoints store it.
 */
public interface LrSchedule {
    double lr(long step);

    String spec();

    static LrSchedule constant(double lr) {
        return new LrSchedule() {
            @Override public double lr(long step) { return lr; }
            @Override public String spec() { return "constant:" + lr; }
        };
    }

    static LrSchedule cosine(double lr, long total, double minLr) {
        if (total < 1) throw new IllegalArgumentException("cosine schedule needs total steps >= 1");
        return new LrSchedule() {
            @Override public double lr(long step) {
                double f = Math.min(step, total) / (double) total;
                return minLr + (lr - minLr) * 0.5 * (1 + Math.cos(Math.PI * f));
            }
            @Override public String spec() { return "cosine:" + lr + ":" + total + ":" + minLr; }
        };
    }

    static LrSchedule step(double lr, long every, double gamma) {
        if (every < 1) throw new IllegalArgumentException("step schedule needs every >= 1");
        return new LrSchedule() {
            @Override public double lr(long step) { return lr * Math.pow(gamma, step / every); }
            @Override public String spec() { return "step:" + lr + ":" + every + ":" + gamma; }
        };
    }

    static LrSchedule parse(String spec) {
        String[] p = spec.trim().split(":");
        try {
            switch (p[0].toLowerCase()) {
                case "constant": if (p.length == 2) return constant(Double.parseDouble(p[1])); break;
                case "cosine":
                    if (p.length == 3) return cosine(Double.parseDouble(p[1]), Long.parseLong(p[2]), 0.0);
                    if (p.length == 4) return cosine(Double.parseDouble(p[1]), Long.parseLong(p[2]), Double.parseDouble(p[3]));
                    break;
                case "step": if (p.length == 4) return step(Double.parseDouble(p[1]), Long.parseLong(p[2]), Double.parseDouble(p[3])); break;
                default: break;
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad learning-rate schedule '" + spec + "': " + e.getMessage());
        }
        throw new IllegalArgumentException("bad learning-rate schedule '" + spec
                + "' (expected constant:LR, cosine:LR:TOTAL[:MIN] or step:LR:EVERY:GAMMA)");
    }
}
