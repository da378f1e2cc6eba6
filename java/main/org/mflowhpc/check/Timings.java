package org.mflowhpc.check;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.mflowhpc.backend.Backend;
import org.mflowhpc.backend.Buffer;
import org.mflowhpc.backend.Index;
import org.mflowhpc.backend.LinkFlow;
import org.mflowhpc.flow.FlowModel;
import org.mflowhpc.flow.Models;
import org.mflowhpc.group.Group;
import org.mflowhpc.lattice.GaugeField;
import org.mflowhpc.lattice.Lattice;
import org.mflowhpc.nn.LrSchedule;
import org.mflowhpc.rng.RngStream;
import org.mflowhpc.train.Trainer;

/**
 * The timing part of the selfcheck: each seam kernel at a size that fills the device, the copy bandwidth (upload,
 * download, device to device), a full training step and a sampling batch of flow models, all on one backend in one
 * run, so rates can be set against the copy bandwidth measured beside them.
 *
 * <p>Method. Every timed call is followed by {@code be.sync()} (device work is asynchronous), so a time includes the
 * launch and synchronisation overhead of one call. Each op: one untimed warm-up call (JIT compilation, module load,
 * pool fill), one timed call to size the repetitions, then 3 samples of R calls (R so that a sample lasts about
 * {@code target} seconds, 1 <= R <= 1000) and the median of the 3 per-call times. Rates: GB/s = the op's compulsory
 * bytes (every input read once, every output written once; the op's stated per-element reads, which count re-reads
 * through the caches, are larger) / time; GF/s = the op's stated flops (Backend.java, kernels/*.cu: real operations,
 * an FMA counts 2) / time; for ops whose work is mostly transcendental, elements per second instead. Inputs are random
 * (Haar links, gaussians), never zeros.
 *
 * <p>Sizes ({@link Size}): TINY (the JUnit run: a check that every row runs, one call each), SMALL (a CPU: a few
 * seconds in all), LARGE (a GPU: SU(3) 16^4 x 4 = 151 MB of links, U(1) 256^2 x 256 = 268 MB, reductions over 10^8
 * doubles, so every working set is several times an H200's 60 MB L2).
 *
 * <p>Models: the tutorial {@code haar} model (2D U(1) 8x8, beta 2, 16 NCP layers of 2 components, training batch 64,
 * sampling batch 1024) and 4D SU(3) 4^4 {@code haar} (beta 5.7, defaults, training batch 64, sampling batch 256), as
 * {@code mflow bench} times them (a {@link Trainer} run in a temporary directory, the per-step times from its
 * timing.jsonl after the warm-up; sampling with log q and the action, inside a {@link Backend#scope()}); LARGE adds
 * 2D U(1) 64x64 at batch 1024 and 4D SU(3) 8^4 at batch 64; section "large-models" times only those two (the CPU
 * figure beside a GPU's).
 */
public final class Timings {
    public enum Size { TINY, SMALL, LARGE }

    /** One timing row. */
    public record Row(String section, String name, String theory, double seconds, double gbs, double gfs, String rate, String note) {
        public String markdown() {
            String rn = rate.isEmpty() ? note : note.isEmpty() ? rate : rate + " " + note;
            return String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |", name, theory, ms(seconds), num(gbs), num(gfs), rn);
        }

        static String ms(double s) { return Double.isNaN(s) ? "-" : String.format(Locale.ROOT, s < 1e-3 ? "%.4f" : "%.3f", s * 1e3); }
        static String num(double v) { return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, v >= 100 ? "%.0f" : "%.2f", v); }
    }

    private final Backend be;
    private final Size size;
    private final PrintWriter live;
    private final Set<String> sections;
    private final List<Row> rows = new ArrayList<>();
    private final double target;

    /** @param sections any of "kernels", "copies", "models" */
    public Timings(Backend be, Size size, Set<String> sections, PrintWriter live) {
        this.be = be;
        this.size = size;
        this.sections = sections;
        this.live = live;
        this.target = size == Size.TINY ? 0 : size == Size.SMALL ? 0.03 : 0.08;
    }

    public List<Row> run() {
        if (sections.contains("copies")) guard("copies", this::copies);
        if (sections.contains("kernels")) {
            guard("kernels", this::su3Kernels);
            guard("kernels", this::u1Kernels);
            guard("kernels", this::flowsAndNets);
            guard("kernels", this::vectorOps);
        }
        if (sections.contains("models")) guard("models", this::models);
        if (sections.contains("large-models")) guard("large-models", this::largeModels);
        return rows;
    }

    public List<Row> rows() { return rows; }

    private interface Body { void run() throws Exception; }

    private void guard(String section, Body b) {
        try {
            b.run();
        } catch (Exception | OutOfMemoryError e) {
            add(new Row(section, "(aborted)", "", Double.NaN, Double.NaN, Double.NaN, "", e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).split("\n")[0]));
        }
    }

    private void add(Row r) {
        rows.add(r);
        if (live != null) {
            live.println(r.markdown());
            live.flush();
        }
    }

    /** Median seconds per call of op (each call followed by a sync). */
    double time(Runnable op) {
        op.run();
        be.sync();
        if (size == Size.TINY) {
            long t0 = System.nanoTime();
            op.run();
            be.sync();
            return (System.nanoTime() - t0) * 1e-9;
        }
        long t0 = System.nanoTime();
        op.run();
        be.sync();
        double t1 = Math.max(1e-7, (System.nanoTime() - t0) * 1e-9);
        int reps = (int) Math.max(1, Math.min(1000, target / t1));
        double[] s = new double[3];
        for (int k = 0; k < 3; k++) {
            long a = System.nanoTime();
            for (int r = 0; r < reps; r++) {
                op.run();
                be.sync();
            }
            s[k] = (System.nanoTime() - a) * 1e-9 / reps;
        }
        Arrays.sort(s);
        return s[1];
    }

    /** Times op and records it with its compulsory bytes and stated flops (0: not reported). */
    private void kernel(String name, String theory, double bytes, double flops, Runnable op) {
        double t = time(op);
        add(new Row("kernels", name, theory, t, bytes > 0 ? bytes / t * 1e-9 : Double.NaN, flops > 0 ? flops / t * 1e-9 : Double.NaN, "", ""));
    }

    /** Times op and reports elements per second. */
    private void throughput(String name, String theory, double bytes, double elements, Runnable op) {
        double t = time(op);
        add(new Row("kernels", name, theory, t, bytes > 0 ? bytes / t * 1e-9 : Double.NaN, Double.NaN, String.format(Locale.ROOT, "%.3g elem/s", elements / t), ""));
    }

    private int pick(int tiny, int small, int large) { return size == Size.TINY ? tiny : size == Size.SMALL ? small : large; }

    // ------------------------------------------------------------------ copies

    private void copies() {
        int n = pick(1 << 16, 1 << 21, 1 << 25); // 0.5 MiB, 16 MiB, 256 MiB
        double[] h = SelfCheck.gaussians(n, 1);
        Buffer b = be.alloc(n);
        double t = time(() -> be.upload(h, 0, b, 0, n));
        add(new Row("copies", "upload (host to device)", mib(n), t, 8.0 * n / t * 1e-9, Double.NaN, "", "Java array -> pinned staging -> device"));
        double[] back = new double[n];
        t = time(() -> be.download(b, 0, back, 0, n));
        add(new Row("copies", "download (device to host)", mib(n), t, 8.0 * n / t * 1e-9, Double.NaN, "", "device -> pinned staging -> Java array"));
        int m = pick(1 << 16, 1 << 22, 1 << 27); // 0.5 MiB, 32 MiB, 1 GiB
        Buffer x = be.alloc(m), y = be.alloc(m);
        be.upload(SelfCheck.gaussians(1 << 16, 2), 0, x, 0, 1 << 16);
        t = time(() -> be.copy(x, 0, y, 0, m));
        add(new Row("copies", "device to device (copy)", mib(m), t, 16.0 * m / t * 1e-9, Double.NaN, "", "bytes read + written"));
    }

    private static String mib(long doubles) { return (8 * doubles >> 20) + " MiB"; }

    // ------------------------------------------------------------------ SU(3) kernels

    private void su3Kernels() {
        int L = pick(2, 6, 16), nb = pick(1, 2, 4);
        Lattice lat = new Lattice(L, L, L, L);
        Group g = Group.SU3;
        int V = lat.volume, d = 4, P = lat.planes();
        double links = (double) nb * d * V, lb = links * 144;
        String th = "SU3 " + lat.spec() + " x" + nb;
        GaugeField u = GaugeField.fromHost(be, g, lat, nb, SelfCheck.haarHost(g, lat, nb, 7));
        Buffer pl = be.alloc(nb * P * V), st = be.alloc(18 * nb * V), f = be.alloc(u.size()), s = be.alloc(nb);
        kernel("plaquettes", th, lb + nb * P * V * 8.0, (double) nb * V * P * 630, () -> be.plaquettes(u, pl));
        kernel("staples (one direction)", th, lb + nb * V * 144.0, (double) nb * V * 2 * (d - 1) * 414, () -> be.staples(u, 1, st));
        kernel("force", th, 2 * lb, (double) nb * V * d * (2 * (d - 1) * 414 + 246), () -> be.force(u, 5.7, f));
        kernel("actionGradient", th, 2 * lb, (double) nb * V * d * (2 * (d - 1) * 414 + 18), () -> be.actionGradient(u, 5.7, f));
        kernel("action", th, lb, (double) nb * V * P * 630, () -> be.action(u, 5.7, s, 0));
        Buffer om = be.upload(SelfCheck.gauge(g, lat, nb, 8));
        kernel("gaugeTransform (2 SU(3) products per link)", th, 2 * lb + nb * V * 144.0, (double) nb * V * d * 2 * 198, () -> be.gaugeTransform(u, om));
        Buffer mom = be.alloc(u.size());
        be.drawMomenta(g, lat, nb, RngStream.Domain.HMC_MOMENTA, 1, 1, mom);
        kernel("updateLinks (exp(cP) U)", th, 3 * lb, links * 3600, () -> be.updateLinks(u, mom, 1e-3));
        kernel("reunitarize", th, 2 * lb, 0, () -> be.reunitarize(u));
        throughput("drawMomenta", th, lb, links, () -> be.drawMomenta(g, lat, nb, RngStream.Domain.HMC_MOMENTA, 1, 2, mom));
        throughput("haarLinks", th, lb, links, () -> be.haarLinks(u, RngStream.Domain.FLOW_PRIOR, 3, 1));
        long[] sweep = {0};
        throughput("heatbath sweep", th, 2 * lb, links, () -> be.heatbath(u, 5.7, 11, sweep[0]++));
        kernel("overrelax sweep", th, 2 * lb, links * (2 * (d - 1) * 414 + 700), () -> be.overrelax(u, 5.7, 11, 0));
        int[] ones = new int[P * V];
        Arrays.fill(ones, 1);
        Index fz = be.index(ones);
        Buffer feat = be.alloc(nb * 2 * P * V);
        kernel("loopFeatures (all frozen)", th, lb + nb * 2 * P * V * 8.0, (double) nb * V * P * 630, () -> be.loopFeatures(u, fz, feat));
        int[] sites = activeSites(lat, 3, 0);
        Index si = be.index(sites);
        int ne = nb * sites.length;
        Buffer w = be.alloc(18 * ne);
        kernel("gatherActive", th, ne * 720.0, ne * 594.0, () -> be.gatherActive(u, 3, 0, si, w));
        kernel("scatterActive", th, ne * 720.0, ne * 594.0, () -> be.scatterActive(u, 3, 0, si, w));
    }

    /** Sites x with x_nu = 1 (mod 4): the active links of one coupling layer. */
    private static int[] activeSites(Lattice lat, int mu, int nu) {
        List<Integer> l = new ArrayList<>();
        for (int x = 0; x < lat.volume; x++) if (lat.coords(x)[nu] % 4 == 1) l.add(x);
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    // ------------------------------------------------------------------ U(1) kernels

    private void u1Kernels() {
        int L = pick(8, 64, 256), nb = pick(2, 16, 256);
        Lattice lat = new Lattice(L, L);
        Group g = Group.U1;
        int V = lat.volume;
        double lb = (double) nb * 2 * V * 8;
        String th = "U1 " + lat.spec() + " x" + nb;
        GaugeField u = GaugeField.fromHost(be, g, lat, nb, SelfCheck.haarHost(g, lat, nb, 9));
        Buffer pl = be.alloc(nb * V), st = be.alloc(2 * nb * V), f = be.alloc(u.size()), s = be.alloc(nb);
        kernel("plaquettes", th, lb + nb * V * 8.0, 0, () -> be.plaquettes(u, pl));
        kernel("staples (one direction)", th, lb + nb * V * 16.0, 0, () -> be.staples(u, 0, st));
        kernel("force", th, 2 * lb, 0, () -> be.force(u, 2.0, f));
        kernel("action", th, lb, 0, () -> be.action(u, 2.0, s, 0));
        long[] sweep = {0};
        throughput("heatbath sweep", th, 2 * lb, (double) nb * 2 * V, () -> be.heatbath(u, 2.0, 5, sweep[0]++));
        int[] ones = new int[V];
        Arrays.fill(ones, 1);
        Index fz = be.index(ones);
        Buffer feat = be.alloc(nb * 2 * V);
        kernel("loopFeatures", th, lb + nb * 2 * V * 8.0, 0, () -> be.loopFeatures(u, fz, feat));
    }

    // ------------------------------------------------------------------ link flows and networks

    private void flowsAndNets() {
        int nU1 = pick(512, 1 << 16, 1 << 24), nSU3 = pick(64, 2048, 1 << 20), m = 64;
        for (LinkFlow fl : new LinkFlow[] {LinkFlow.ncp(2), LinkFlow.rqs(8), LinkFlow.spectral(2)}) {
            int n = fl.isU1() ? nU1 : nSU3, dof = fl.isU1() ? 1 : 18, P = fl.paramsPerElement(), rB = P * m;
            double[] wh = fl.isU1() ? SelfCheck.gaussians(n, 3) : SelfCheck.su3s(n, 3);
            double[] rh = SelfCheck.gaussians(n / m * rB, 4);
            for (int i = 0; i < rh.length; i++) rh[i] *= 0.5;
            Buffer w = be.upload(wh), raw = be.upload(rh), out = be.alloc(n * dof), lj = be.alloc(n), gw = be.alloc(n * dof), graw = be.alloc(rh.length);
            double bytes = n * (2.0 * dof * 8 + 8) + rh.length * 8.0;
            String th = n + " elements";
            throughput("linkFlowForward " + fl.name(), th, bytes, n, () -> be.linkFlowForward(fl, n, m, w, raw, 0, rB, out, lj));
            throughput("linkFlowInverse " + fl.name(), th, bytes, n, () -> be.linkFlowInverse(fl, n, m, w, raw, 0, rB, out, lj));
            throughput("linkFlowBackward " + fl.name(), th, bytes + n * (dof * 8.0 + 8) + rh.length * 8.0, n,
                    () -> be.linkFlowBackward(fl, n, m, w, raw, 0, rB, out, lj, gw, graw));
        }
        int L = pick(8, 16, 64), nb = pick(2, 16, 256), cin = 8, cout = 8, k = 3;
        int[] ext = {L, L};
        int V = L * L, K = cin * 9;
        Buffer x = be.upload(SelfCheck.gaussians(nb * cin * V, 5)), wts = be.upload(SelfCheck.gaussians(cout * K + cout, 6)), y = be.alloc(nb * cout * V),
                dy = be.upload(SelfCheck.gaussians(nb * cout * V, 7)), dx = be.alloc(nb * cin * V), grads = be.alloc(cout * K + cout);
        double N = (double) nb * V;
        String th = L + "x" + L + " x" + nb + " k3 " + cin + "->" + cout;
        kernel("conv", th, N * (cin + cout) * 8, 2 * cout * K * N, () -> be.conv(ext, nb, cin, cout, k, x, wts, 0, cout * K, null, y));
        kernel("convBackward (weights + input)", th, N * (2 * cin + cout) * 8, 4 * cout * K * N,
                () -> be.convBackward(ext, nb, cin, cout, k, x, wts, 0, null, dy, dx, grads, 0, cout * K));
        int n = pick(1 << 12, 1 << 20, 1 << 25);
        Buffer a = be.upload(SelfCheck.gaussians(n, 8)), b = be.alloc(n);
        for (Backend.Act act : new Backend.Act[] {Backend.Act.TANH, Backend.Act.GELU})
            kernel("activation " + act.name().toLowerCase(Locale.ROOT), n + " values", 16.0 * n, 0, () -> be.activation(act, n, a, b));
        Buffer p = be.upload(SelfCheck.gaussians(n, 9)), gr = be.upload(SelfCheck.gaussians(n, 10)), mm = be.alloc(n), vv = be.alloc(n);
        long[] step = {1};
        kernel("adamStep", n + " parameters", 56.0 * n, 15.0 * n, () -> be.adamStep(n, p, gr, mm, vv, 1e-3, 0.9, 0.999, 1e-8, 0, step[0]++));
        if (be.name().equals("cuda")) cudaGemm();
    }

    /** The GEMM path alone (cuda only): square products. */
    private void cudaGemm() {
        org.mflowhpc.backend.cuda.CudaBackend cb = (org.mflowhpc.backend.cuda.CudaBackend) be;
        for (int n : size == Size.LARGE ? new int[] {1024, 4096} : new int[] {256}) {
            Buffer a = be.upload(SelfCheck.gaussians(n * n, 11)), b = be.upload(SelfCheck.gaussians(n * n, 12)), c = be.alloc(n * n);
            kernel("gemm " + cb.gemmPath(), n + "^3", 3.0 * 8 * n * n, 2.0 * n * n * n, () -> cb.gemm(false, false, n, n, n, 1.0, a, 0, n, b, 0, n, 0.0, c, 0, n));
        }
    }

    // ------------------------------------------------------------------ reductions and vector ops

    private void vectorOps() {
        // n gaussians drawn on the backend (U(1) momenta of nb configurations of 8x8: 128 per configuration)
        int nb = pick(32, 32768, 781_250), n = nb * 128;
        Buffer x = be.alloc(n), y = be.alloc(n);
        be.drawMomenta(Group.U1, new Lattice(8, 8), nb, RngStream.Domain.HMC_MOMENTA, 17, 1, x);
        String th = n + " doubles";
        kernel("sum", th, 8.0 * n, n, () -> be.sum(x, 0, n));
        kernel("sumSquares", th, 8.0 * n, 2.0 * n, () -> be.sumSquares(x, 0, n));
        kernel("logSumExp (two passes)", th, 16.0 * n, 2.0 * n, () -> be.logSumExp(x, 0, n));
        kernel("maxAbs", th, 8.0 * n, n, () -> be.maxAbs(x, 0, n));
        kernel("axpy", th, 24.0 * n, 2.0 * n, () -> be.axpy(n, 0.5, x, 0, y, 0));
        kernel("scale", th, 16.0 * n, n, () -> be.scale(y, 0, n, 0.999));
        kernel("fill", th, 8.0 * n, 0, () -> be.fill(y, 0, n, 1.5));
        int rows = pick(4, 256, 4096), m = pick(100, 4096, 16384);
        Buffer r = be.alloc(rows * m), o = be.alloc(rows);
        be.copy(x, 0, r, 0, Math.min(n, rows * m));
        kernel("sumRows", rows + "x" + m, 8.0 * rows * m, (double) rows * m, () -> be.sumRows(rows, m, r, o, false));
    }

    // ------------------------------------------------------------------ models

    private void models() throws IOException {
        int warm = size == Size.TINY ? 0 : 2;
        model("tutorial haar (ncp2)", Group.U1, new Lattice(8, 8), 2.0, Map.of("flow", "ncp2"), 64, 1024, pick(1, 20, 30), pick(1, 3, 5), warm);
        model("haar (defaults)", Group.SU3, new Lattice(4, 4, 4, 4), 5.7, Map.of(), pick(2, 64, 64), pick(2, 256, 256), pick(1, 3, 10), pick(1, 2, 5), warm);
        if (size == Size.LARGE) largeModels();
    }

    /**
     * The GPU-sized models alone (section "large-models"): 2D U(1) 64x64 haar (ncp2) at batch 1024 and 4D SU(3) 8^4
     * haar at batch 64, the same models the LARGE models section times, so that a CPU backend's figure can stand
     * beside the GPU's; on a CPU (size SMALL) one warm-up and two timed steps, one warm-up and one timed sampling batch.
     */
    private void largeModels() throws IOException {
        boolean cpuSized = size != Size.LARGE;
        int warm = size == Size.TINY ? 0 : cpuSized ? 1 : 2;
        model("haar (ncp2)", Group.U1, new Lattice(64, 64), 2.0, Map.of("flow", "ncp2"), 1024, 1024, pick(1, 2, 5), pick(1, 1, 3), warm);
        model("haar (defaults)", Group.SU3, new Lattice(8, 8, 8, 8), 5.7, Map.of(), 64, 64, pick(1, 2, 3), pick(1, 1, 2), warm);
    }

    /** A model's training step (median ms over steps after warm-up) and sampling throughput (median configurations/s). */
    private void model(String name, Group g, Lattice lat, double beta, Map<String, Object> opts, int batch, int sampleBatch, int steps, int repeats,
                       int warm) throws IOException {
        if (size == Size.TINY) { batch = Math.min(batch, 4); sampleBatch = Math.min(sampleBatch, 8); }
        String th = g + " " + lat.spec() + " beta=" + beta;
        FlowModel m = Models.create("haar", be, g, lat, beta, new LinkedHashMap<>(opts), 1);
        Path dir = Files.createTempDirectory("mflow-selfcheck");
        try {
            Trainer.Options o = new Trainer.Options();
            o.seed = 1; o.batch = batch; o.steps = warm + steps; o.schedule = LrSchedule.constant(1e-3);
            o.log = null; o.plot = false; o.checkpointEvery = Integer.MAX_VALUE; o.runDir = dir;
            Trainer t = new Trainer(m, be, beta, o);
            t.run();
            List<Double> ms = new ArrayList<>();
            int i = 0;
            ObjectMapper om = new ObjectMapper();
            for (String line : Files.readAllLines(t.timingPath())) if (i++ >= warm) ms.add(om.readTree(line).get("step_s").asDouble());
            ms.sort(null);
            double step = ms.get(ms.size() / 2);
            add(new Row("models", name + ": training step", th + " batch " + batch, step, Double.NaN, Double.NaN,
                    String.format(Locale.ROOT, "%.3g steps/s", 1 / step), "(median of " + ms.size() + ", min " + Row.ms(ms.get(0)) + " ms)"));
            GaugeField u = new GaugeField(be, g, lat, sampleBatch);
            Buffer lq = be.alloc(sampleBatch), s = be.alloc(sampleBatch);
            List<Double> rates = new ArrayList<>();
            for (int r = 0; r < warm + repeats; r++) {
                long t0 = System.nanoTime();
                try (Backend.Scope sc = be.scope()) { m.sample(7, r, u, lq); }
                be.action(u, beta, s, 0);
                be.sum(lq, 0, sampleBatch);
                double dt = (System.nanoTime() - t0) * 1e-9;
                if (r >= warm) rates.add(dt);
            }
            rates.sort(null);
            double dt = rates.get(rates.size() / 2);
            add(new Row("models", name + ": sampling batch", th + " batch " + sampleBatch, dt, Double.NaN, Double.NaN,
                    String.format(Locale.ROOT, "%.4g configs/s", sampleBatch / dt), "(with log q and the action)"));
        } finally {
            try (var st = Files.walk(dir)) {
                st.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
