package org.mflowhpc.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Writes the markdown benchmark report from JMH's JSON result file ({@code -rf json -rff FILE}).
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar org.mflowhpc.bench.Report --json FILE --out FILE.md
 * --command "the exact JMH command" [--load-before "uptime output"] [--load-after "uptime output"]
 * [--date YYYY-MM-DD] [--notes FILE.md]}.
 *
 * <p>Contract: the machine section comes from /proc/cpuinfo, /proc/meminfo and the JVM recorded in the JSON; the
 * roofline ceilings (memory bandwidth from {@code RooflineBench.triad*}, peak from {@code RooflineBench.fmaVector*}
 * and the scalar ceiling from {@code RooflineBench.fmaScalar*}) come from the same JSON, separately for 1 thread and
 * for all threads; each kernel row uses the ceilings of its own thread count. Flops and bytes per op come from
 * {@link Costs}; rates are aggregate over JMH threads (JMH's average time is per thread, so rate = JMH threads x
 * work per op / time per op). Roofline bound = min(peak, AI x bandwidth), given for the compulsory and the naive
 * traffic. Allocation per op is JMH's gc.alloc.rate.norm when the run used {@code -prof gc}. The optional notes
 * file is appended verbatim. Unknown benchmarks fail loudly rather than being reported without a model.
 */
public final class Report {
    private Report() {}

    /** One JMH result with its cost model. */
    record Row(String benchmark, String method, Map<String, String> params, int jmhThreads, double seconds,
               double errSeconds, double bestSeconds, Double allocBytesPerOp, Costs.Work work) {
        String threadKey() {
            if (work.role() != Costs.Role.KERNEL) return method.endsWith("All") ? "all" : "1";
            return params.getOrDefault("threads", "1");
        }
        double gflops() { return jmhThreads * work.flopsPerOp() / seconds / 1e9; }
        /** GFLOP/s of the fastest measured iteration (least disturbed by other processes). */
        double gflopsBest() { return jmhThreads * work.flopsPerOp() / bestSeconds / 1e9; }
        double gbMinBest() { return jmhThreads * work.bytesMinPerOp() / bestSeconds / 1e9; }
        double gbMin() { return jmhThreads * work.bytesMinPerOp() / seconds / 1e9; }
        double gbNaive() { return jmhThreads * work.bytesNaivePerOp() / seconds / 1e9; }
    }

    /** Measured ceilings for one thread count; NaN where the run did not include the benchmark. */
    record Ceilings(double bandwidth, double peakVector, double peakScalar) {
        double bound(double ai) {
            if (Double.isInfinite(ai)) return peakVector;
            return Math.min(peakVector, ai * bandwidth);
        }
        double ridge() { return peakVector / bandwidth; }
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) usage("bad argument '" + args[i] + "'");
            opt.put(args[i].substring(2), args[++i]);
        }
        if (!opt.containsKey("json") || !opt.containsKey("out") || !opt.containsKey("command")) usage("--json, --out and --command are required");
        JsonNode root = new ObjectMapper().readTree(Path.of(opt.get("json")).toFile());
        List<Row> rows = rows(root);
        String md = render(root, rows, opt);
        Path out = Path.of(opt.get("out"));
        if (out.getParent() != null) Files.createDirectories(out.getParent());
        Files.writeString(out, md);
        System.out.println("wrote " + out);
    }

    private static void usage(String why) {
        System.err.println("Report: " + why);
        System.err.println("usage: Report --json FILE --out FILE.md --command CMD [--load-before S] [--load-after S] [--date D] [--notes FILE]");
        System.exit(2);
    }

    static double toSeconds(String unit) {
        String u = unit.substring(0, unit.indexOf('/'));
        switch (u) {
            case "ns": return 1e-9;
            case "us": return 1e-6;
            case "ms": return 1e-3;
            case "s": return 1;
            default: throw new IllegalArgumentException("unsupported JMH score unit " + unit + " (use average-time mode)");
        }
    }

    static List<Row> rows(JsonNode root) {
        List<Row> rows = new ArrayList<>();
        for (JsonNode r : root) {
            String bench = r.get("benchmark").asText();
            if (!r.get("mode").asText().equals("avgt")) throw new IllegalArgumentException(bench + ": mode must be avgt");
            Map<String, String> params = new LinkedHashMap<>();
            JsonNode p = r.get("params");
            if (p != null) for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                params.put(e.getKey(), e.getValue().asText());
            }
            JsonNode pm = r.get("primaryMetric");
            double f = toSeconds(pm.get("scoreUnit").asText());
            double err = pm.get("scoreError").asDouble();
            double best = Double.POSITIVE_INFINITY;
            for (JsonNode fork : pm.path("rawData")) for (JsonNode it : fork) best = Math.min(best, it.asDouble() * f);
            if (Double.isInfinite(best)) best = pm.get("score").asDouble() * f;
            Double alloc = null;
            JsonNode sec = r.get("secondaryMetrics");
            if (sec != null) for (Iterator<Map.Entry<String, JsonNode>> it = sec.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().endsWith("gc.alloc.rate.norm")) alloc = e.getValue().get("score").asDouble();
            }
            rows.add(new Row(bench, bench.substring(bench.lastIndexOf('.') + 1), params, r.get("threads").asInt(),
                    pm.get("score").asDouble() * f, Double.isNaN(err) ? Double.NaN : err * f, best, alloc, Costs.of(bench, params)));
        }
        return rows;
    }

    static Map<String, Ceilings> ceilings(List<Row> rows) {
        Map<String, Ceilings> c = new LinkedHashMap<>();
        for (String key : new String[] {"1", "all"}) {
            double bw = Double.NaN, pv = Double.NaN, ps = Double.NaN;
            for (Row r : rows) {
                if (!r.threadKey().equals(key)) continue;
                switch (r.work().role()) {
                    case BANDWIDTH: bw = r.gbMin(); break;
                    case PEAK_VECTOR: pv = r.gflops(); break;
                    case PEAK_SCALAR: ps = r.gflops(); break;
                    default: break;
                }
            }
            c.put(key, new Ceilings(bw, pv, ps));
        }
        return c;
    }

    static String fmt(String f, Object... a) { return String.format(Locale.ROOT, f, a); }

    static String time(double s) {
        if (Double.isNaN(s)) return "n/a";
        if (s >= 1) return fmt("%.3g s", s);
        if (s >= 1e-3) return fmt("%.3g ms", s * 1e3);
        if (s >= 1e-6) return fmt("%.3g µs", s * 1e6);
        return fmt("%.3g ns", s * 1e9);
    }

    static String timeErr(Row r) {
        return Double.isNaN(r.errSeconds()) ? time(r.seconds()) : time(r.seconds()) + " ± " + time(r.errSeconds());
    }

    /** The 1-minute load average in an `uptime` line ("... load average: 1.23, ..."), or -1 when absent. */
    static double loadAverage(String uptime) {
        if (uptime == null) return -1;
        int i = uptime.indexOf("load average:");
        if (i < 0) return -1;
        String[] p = uptime.substring(i + 13).trim().split("[,\\s]+");
        try { return Double.parseDouble(p[0]); } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) { return -1; }
    }

    static String num(double v) {
        if (Double.isNaN(v)) return "n/a";
        if (Double.isInfinite(v)) return "∞";
        if (v >= 100) return fmt("%.0f", v);
        if (v >= 10) return fmt("%.1f", v);
        return fmt("%.2f", v);
    }

    static String params(Row r) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : r.params().entrySet()) {
            if (e.getKey().equals("threads")) continue;
            if (b.length() > 0) b.append(", ");
            b.append(e.getKey()).append('=').append(e.getValue());
        }
        if (r.params().containsKey("L")) b.append(" (").append(r.params().get("L")).append("^4)");
        return b.length() == 0 ? "-" : b.toString();
    }

    private static String cpuinfo(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int c = line.indexOf(':');
                if (c > 0 && line.substring(0, c).trim().equals(key)) return line.substring(c + 1).trim();
            }
        } catch (IOException e) { /* not Linux: fall through */ }
        return "unknown";
    }

    private static String memTotal() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo")))
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return fmt("%.1f GiB", kb / 1048576.0);
                }
        } catch (IOException | NumberFormatException e) { /* fall through */ }
        return "unknown";
    }

    private static String cacheSize(int index) {
        try {
            return Files.readString(Path.of("/sys/devices/system/cpu/cpu0/cache/index" + index + "/size")).trim();
        } catch (IOException e) { return "?"; }
    }

    private static String simd() {
        String flags = " " + cpuinfo("flags") + " ";
        StringBuilder b = new StringBuilder();
        for (String f : new String[] {"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512vl"})
            if (flags.contains(" " + f + " ")) b.append(b.length() > 0 ? " " : "").append(f);
        return b.length() == 0 ? "unknown" : b.toString();
    }

    static String render(JsonNode root, List<Row> rows, Map<String, String> opt) throws IOException {
        JsonNode first = root.get(0);
        Map<String, Ceilings> ceil = ceilings(rows);
        StringBuilder o = new StringBuilder();
        String date = opt.getOrDefault("date", LocalDate.now().toString());
        o.append("<!-- Generated by org.mflowhpc.bench.Report from ").append(Path.of(opt.get("json")).getFileName())
                .append(" (JMH JSON); flops/bytes model in benchmarks/java/org/mflowhpc/bench/Costs.java. Do not edit by hand: rerun. -->\n");
        o.append("# mflow-hpc CPU benchmarks, ").append(date).append("\n\n");

        o.append("## Machine and run\n\n");
        o.append("| | |\n|---|---|\n");
        o.append("| CPU | ").append(cpuinfo("model name")).append(" (family ").append(cpuinfo("cpu family"))
                .append(", model ").append(cpuinfo("model")).append("), SIMD: ").append(simd()).append(" |\n");
        o.append("| Cores visible to the JVM | ").append(Runtime.getRuntime().availableProcessors())
                .append(" (\"all threads\" below = this many) |\n");
        o.append("| Caches (cpu0) | L1d ").append(cacheSize(0)).append(", L2 ").append(cacheSize(2))
                .append(", L3 ").append(cacheSize(3)).append(" |\n");
        o.append("| Memory | ").append(memTotal()).append(" |\n");
        o.append("| JDK | ").append(first.path("vmName").asText()).append(" ").append(first.path("vmVersion").asText())
                .append(" (JDK ").append(first.path("jdkVersion").asText()).append(") |\n");
        o.append("| JVM args (forks) | `").append(first.path("jvmArgs").toString()).append("` |\n");
        o.append("| JMH | ").append(first.path("jmhVersion").asText()).append(", ").append(first.path("forks").asInt())
                .append(" fork, ").append(first.path("warmupIterations").asInt()).append(" x ").append(first.path("warmupTime").asText())
                .append(" warm-up, ").append(first.path("measurementIterations").asInt()).append(" x ")
                .append(first.path("measurementTime").asText()).append(" measured; error = 99.9% CI |\n");
        o.append("| Date | ").append(date).append(" |\n");
        o.append("| Load before (`uptime`) | ").append(opt.getOrDefault("load-before", "not recorded")).append(" |\n");
        o.append("| Load after (`uptime`) | ").append(opt.getOrDefault("load-after", "not recorded")).append(" |\n\n");
        o.append("Command:\n\n```\n").append(opt.get("command")).append("\n```\n\n");
        double load = loadAverage(opt.get("load-before"));
        int cores = Runtime.getRuntime().availableProcessors();
        if (load >= 0.5 * cores)
            o.append("**Loaded machine.** The 1-minute load average before the run was ").append(num(load)).append(" on ")
                    .append(cores).append(" cores: other processes shared the machine, so absolute numbers are pessimistic "
                    + "and noisier than on an idle node; the ceilings were measured under the same conditions, so the "
                    + "percentages of the roofline are the more meaningful figures.\n\n");

        o.append("## Counting conventions\n\n");
        o.append("Flops: real +, -, x, /, sqrt = 1 each (FMA = 2); transcendentals and the integer Philox RNG are not counted. "
                + "Bytes: a link is 144 B (18 float64); a store counts its bytes once, **write-allocate is not counted** "
                + "(same convention as the triad's 24 B/element). *Compulsory* bytes: each datum a call touches moves to/from "
                + "memory once (perfect caches); *naive*: every operand read from memory at every use. "
                + "AI = flops / bytes. Roofline bound = min(peak, AI x bandwidth), using the ceilings of the same thread count. "
                + "GB/s columns are the model bytes divided by the measured time (what the traffic rate would be under that model), "
                + "not measured traffic.\n\n");

        o.append("## Roofline ceilings (measured in this run)\n\n");
        o.append("| Benchmark | JMH threads | time/op (mean) | GB/s (24 B/elem) | GB/s (32 B/elem, with write-allocate) | GFLOP/s | Best iteration: GB/s or GFLOP/s |\n");
        o.append("|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            if (r.work().role() == Costs.Role.KERNEL) continue;
            boolean bw = r.work().role() == Costs.Role.BANDWIDTH;
            o.append("| ").append(r.work().kernel()).append(" (`").append(r.method()).append("`) | ").append(r.jmhThreads())
                    .append(" | ").append(timeErr(r)).append(" | ").append(bw ? num(r.gbMin()) : "-").append(" | ")
                    .append(bw ? num(r.gbMin() * 32 / 24) : "-").append(" | ").append(num(r.gflops())).append(" | ")
                    .append(bw ? num(r.gbMinBest()) + " GB/s" : num(r.gflopsBest()) + " GFLOP/s").append(" |\n");
        }
        o.append("\n| Threads | Bandwidth (GB/s, 24 B/elem) | Peak, vectorised FMA (GFLOP/s) | Scalar FMA ceiling (GFLOP/s) | Ridge point (flop/B) |\n");
        o.append("|---|---|---|---|---|\n");
        for (Map.Entry<String, Ceilings> e : ceil.entrySet()) {
            Ceilings c = e.getValue();
            o.append("| ").append(e.getKey()).append(" | ").append(num(c.bandwidth())).append(" | ").append(num(c.peakVector()))
                    .append(" | ").append(num(c.peakScalar())).append(" | ").append(num(c.ridge())).append(" |\n");
        }
        o.append("\nCeilings (and all rates below) use the mean time per op; the best-iteration column shows how much the other "
                + "processes on the machine depressed the mean. The roofline's compute ceiling is the vectorised FMA peak. CpuBackend is mostly scalar Java (only the SU(3) "
                + "staple products are SIMD loops, see below), so the scalar FMA ceiling (no SIMD, 2 flops per FMA) is the more "
                + "realistic upper limit for most kernels; both are shown.\n\n");

        o.append("## Kernels\n\n");
        Map<String, List<Row>> byKernel = new LinkedHashMap<>();
        for (Row r : rows) if (r.work().role() == Costs.Role.KERNEL) byKernel.computeIfAbsent(r.work().kernel(), k -> new ArrayList<>()).add(r);
        boolean over = false;
        for (Map.Entry<String, List<Row>> e : byKernel.entrySet()) {
            Costs.Work w = e.getValue().get(0).work();
            o.append("### ").append(e.getKey()).append("\n\n");
            o.append(fmt("Per %s: %s flops, %s B compulsory, %s B naive; AI %.2f (compulsory) / %.2f (naive) flop/B. ",
                    w.unit(), num(w.flops()), num(w.bytesMin()), num(w.bytesNaive()), w.aiMin(), w.aiNaive()));
            o.append("Benchmark `").append(e.getValue().get(0).benchmark()).append("`.\n\n");
            o.append("| Params | Threads | time/op (mean) | GFLOP/s | GFLOP/s best iter. | GB/s compulsory | GB/s naive | Bound, compulsory AI (GFLOP/s) | % of bound | Bound, naive AI | % of bound | % of scalar FMA ceiling | Allocated B per ")
                    .append(w.unit()).append(" |\n");
            o.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
            for (Row r : e.getValue()) {
                Ceilings c = ceil.get(r.threadKey());
                double bMin = c.bound(w.aiMin()), bNaive = c.bound(w.aiNaive());
                String alloc = r.allocBytesPerOp() == null ? "n/a" : num(r.allocBytesPerOp() / r.work().units());
                o.append("| ").append(params(r)).append(" | ").append(r.threadKey().equals("all")
                                ? "all (" + Fixtures.threads("all") + ")" : r.threadKey())
                        .append(" | ").append(timeErr(r)).append(" | ").append(num(r.gflops())).append(" | ").append(num(r.gflopsBest()))
                        .append(" | ").append(num(r.gbMin()))
                        .append(" | ").append(num(r.gbNaive())).append(" | ").append(num(bMin)).append(" | ")
                        .append(num(100 * r.gflops() / bMin)).append("% | ").append(num(bNaive)).append(" | ")
                        .append(num(100 * r.gflops() / bNaive)).append("% | ")
                        .append(num(100 * r.gflops() / c.peakScalar())).append("% | ").append(alloc).append(" |\n");
                if (r.gflops() > bMin) over = true;
            }
            o.append('\n');
        }

        if (over) o.append("Rows above 100% of the bound: the bound uses the DRAM triad bandwidth, but those working sets "
                + "are (partly) cache-resident (L3 is larger than the n = 16384 SU(3) arrays and the 8^4 fields) and/or the "
                + "all-threads triad was slowed by the other processes more than the kernel was; the DRAM roofline does not "
                + "bound cache-resident data.\n\n");
        o.append(stapleParagraph(rows, ceil));
        o.append(hostStapleParagraph(rows, ceil));

        if (opt.containsKey("notes")) o.append('\n').append(Files.readString(Path.of(opt.get("notes"))));
        return o.toString();
    }

    /** The CpuBackend row (backend=cpu, or no backend parameter) of StapleBench.method at (L, threads). */
    private static Row find(List<Row> rows, String method, String l, String threads) { return find(rows, method, l, threads, "cpu"); }

    private static Row find(List<Row> rows, String method, String l, String threads, String backend) {
        for (Row r : rows)
            if (r.benchmark().endsWith("StapleBench." + method) && l.equals(r.params().get("L"))
                    && threads.equals(r.params().get("threads")) && backend.equals(r.params().getOrDefault("backend", "cpu"))) return r;
        return null;
    }

    /**
     * The host backend's staple kernel against the target (>= 25% of the vector-FMA peak on all threads): one
     * row per StapleBench host run, with the CPU row at the same parameters beside it.
     */
    static String hostStapleParagraph(List<Row> rows, Map<String, Ceilings> ceil) {
        StringBuilder t = new StringBuilder();
        for (Row r : rows) {
            if (!r.benchmark().contains("StapleBench.") || !"host".equals(r.params().get("backend"))) continue;
            Ceilings c = ceil.get(r.threadKey());
            String m = r.benchmark().substring(r.benchmark().lastIndexOf('.') + 1);
            Row cpu = find(rows, m, r.params().get("L"), r.params().get("threads"), "cpu");
            t.append(fmt("| %s | %s^4 | %s | %s | %s | %s%% | %s%% | %s |\n", m, r.params().get("L"),
                    r.threadKey().equals("all") ? "all (" + Fixtures.threads("all") + ")" : r.threadKey(), time(r.seconds()),
                    num(r.gflops()), num(100 * r.gflops() / c.peakVector()), num(100 * r.gflopsBest() / c.peakVector()),
                    cpu == null ? "n/a" : fmt("%s (%.2fx)", num(cpu.gflops()), cpu.seconds() / r.seconds())));
        }
        if (t.length() == 0) return "";
        return "## Host backend: SU(3) staple sums against the vector-FMA peak\n\n"
                + "The native kernel (native/staple_soa.hpp: blocks of 32 sites in structure-of-arrays scratch, explicit 4-wide "
                + "vector products, AVX2 4x4 transposes for the gathers, no FMA so that results are bit-identical to CpuBackend). "
                + "Target (issue 8): >= 25% of the vector-FMA peak of the same thread count, measured in this run.\n\n"
                + "| Benchmark | Lattice | Threads | time/op | GFLOP/s | % of vector-FMA peak (mean) | % (best iteration) | CpuBackend GFLOP/s (host speed-up) |\n"
                + "|---|---|---|---|---|---|---|---|\n" + t + "\n";
    }

    /** The staple-kernel discussion, with this run's numbers filled in. */
    static String stapleParagraph(List<Row> rows, Map<String, Ceilings> ceil) {
        Row big = find(rows, "allDirections", "16", "all");
        Row one = find(rows, "oneDirection", "16", "1");
        Row small = find(rows, "allDirections", "8", "all");
        if (big == null)
            return "## Staple kernel\n\n(StapleBench allDirections L=16 threads=all not in this run.)\n" + variantTables(rows);
        Ceilings c = ceil.get("all");
        Costs.Work w = big.work();
        StringBuilder o = new StringBuilder("## Staple kernel: which bound applies and how far from it\n\n");
        boolean memoryBound = w.aiMin() < c.ridge();
        double bound = c.bound(w.aiMin());
        o.append(fmt("With compulsory traffic the 4D staple sum has AI = %.2f flop/B; the measured ridge point with all threads is "
                        + "%.2f flop/B (%s GFLOP/s / %s GB/s), so the roofline says it is **%s**, bound %s GFLOP/s. "
                        + "On 16^4 (field 38 MB, larger than L3) with all threads the kernel reaches %s GFLOP/s: **%s%% of that bound**. ",
                w.aiMin(), c.ridge(), num(c.peakVector()), num(c.bandwidth()),
                memoryBound ? "memory-bound" : "compute-bound", num(bound), num(big.gflops()), num(100 * big.gflops() / bound)));
        o.append(fmt("It is not limited by memory in practice: at that speed the compulsory traffic is only %s GB/s (%s%% of the triad "
                        + "bandwidth) and even the naive no-reuse traffic would be %s GB/s (%s%%). Against the scalar-FMA ceiling "
                        + "(%s GFLOP/s, the best scalar code can do) it reaches %s%%. ",
                num(big.gbMin()), num(100 * big.gbMin() / c.bandwidth()), num(big.gbNaive()), num(100 * big.gbNaive() / c.bandwidth()),
                num(c.peakScalar()), num(100 * big.gflops() / c.peakScalar())));
        if (small != null) {
            double ratio = small.gflops() / big.gflops();
            o.append(fmt("On 8^4 (field in L3) it runs at %s GFLOP/s (%.2fx the 16^4 rate)", num(small.gflops()), ratio));
            boolean overlap = Math.abs(small.seconds() / small.work().units() - big.seconds() / big.work().units())
                    < small.errSeconds() / small.work().units() + big.errSeconds() / big.work().units();
            if (ratio < 0.8) o.append(": the L3-resident field is no faster (" + (overlap
                    ? "the confidence intervals overlap: the difference is noise from the other processes"
                    : "the difference exceeds the confidence intervals; it is most likely interference from the other processes")
                    + "), so cache residency does not help, another sign that the kernel is bound in the core (instruction "
                    + "throughput/latency) rather than by DRAM. ");
            else if (ratio < 1.3) o.append(": cache residency changes little, another sign that the kernel is bound in the "
                    + "core (instruction throughput/latency) rather than by DRAM. ");
            else o.append(": the cache-resident field helps, so part of the time on 16^4 goes to memory latency (the "
                    + "neighbour gathers lat.up/dn jump by up to L^3 sites), even though the bandwidth used is low. ");
        }
        if (one != null) {
            Ceilings c1 = ceil.get("1");
            o.append(fmt("On one thread (one direction, 16^4) it reaches %s GFLOP/s = %s%% of the 1-thread scalar-FMA ceiling (%s) and "
                            + "%s%% of the 1-thread roofline bound (%s). ",
                    num(one.gflops()), num(100 * one.gflops() / c1.peakScalar()), num(c1.peakScalar()),
                    num(100 * one.gflops() / c1.bound(w.aiMin())), num(c1.bound(w.aiMin()))));
        }
        o.append("\n\nWhy it is far from the bound: (1) the SU(3) staple kernel (StapleSoA) runs its 3x3 products as SIMD loops over "
                + "blocks of consecutive sites, but C2 (JDK 17) only unrolls, hence only vectorises, loops whose body is under "
                + "LoopUnrollLimit (60 ideal nodes), so each loop does one complex term of one output element (4-6 loads, 2 stores, "
                + "8 flops): the products are load/store-bound, not FP-bound, and Java never contracts `a*b + c` into an FMA, "
                + "which halves the reachable peak anyway; (2) the gathers of the links from the AoS field into the SoA scratch "
                + "(18 scalar loads and stores per link, 6(d-1) = 18 links per site in 4D) and the scatter of the result stay "
                + "scalar and cost about as much as the products; (3) on 16^4 the gathers jump by up to L^3 sites through the "
                + "field, which does not fit in L3; (4) the SoA scratch (4 matrices x 18 x 128 doubles, 72 KiB) is allocated "
                + "once per thread and reused, so it costs no allocation");
        if (big.allocBytesPerOp() != null)
            o.append(fmt(" (measured here: %s B allocated per staple sum)", num(big.allocBytesPerOp() / big.work().units())));
        o.append("; (5) ForkJoin splits the sites into 8 chunks per thread, and on a shared machine the workers compete with "
                + "other processes for the 2 cores (see the load averages above).\n");
        o.append(variantTables(rows));
        return o.toString();
    }

    /** The staple-variant comparisons (StapleVariantBench vs StapleBench.oneDirection) present in this run. */
    static String variantTables(List<Row> rows) {
        StringBuilder o = new StringBuilder();
        StringBuilder soa = new StringBuilder();
        for (Row v : rows) {
            if (!v.benchmark().endsWith("StapleVariantBench.oneDirectionPerSite")) continue;
            Row base = find(rows, "oneDirection", v.params().get("L"), v.params().get("threads"));
            if (base == null) continue;
            soa.append(fmt("| %s^4 | %s | %s | %s | %s | %s | %.2fx | %.2fx |\n", v.params().get("L"), v.params().get("threads"),
                    time(v.seconds()), time(base.seconds()), num(v.gflops()), num(base.gflops()),
                    v.seconds() / base.seconds(), v.bestSeconds() / base.bestSeconds()));
        }
        if (soa.length() > 0) {
            o.append("\n**SoA kernel vs the per-site path it replaced**: `StapleBench.oneDirection` (CpuBackend.staples = the "
                    + "blocked SoA kernel StapleSoA) against `StapleVariantBench.oneDirectionPerSite` (the former per-site AoS path, "
                    + "LinkUpdates.stapleSU3 per site, scalar). Same mu = 0 sums, bit-identical (checked at setup).\n\n");
            o.append("| Lattice | Threads | per-site | SoA | GFLOP/s per-site | GFLOP/s SoA | speed-up (mean) | speed-up (best iteration) |\n");
            o.append("|---|---|---|---|---|---|---|---|\n").append(soa).append('\n');
        }
        StringBuilder g = new StringBuilder();
        for (Row v : rows) {
            if (!v.benchmark().endsWith("StapleVariantBench.oneDirectionHoisted")) continue;
            Row base = find(rows, "oneDirection", v.params().get("L"), v.params().get("threads"));
            if (base == null) continue;
            g.append(fmt("| %s^4 | %s | %s | %s | %.2fx | %.2fx | %s -> %s |\n", v.params().get("L"), v.params().get("threads"),
                    time(base.seconds()), time(v.seconds()), base.seconds() / v.seconds(), base.bestSeconds() / v.bestSeconds(),
                    base.allocBytesPerOp() == null ? "n/a" : num(base.allocBytesPerOp() / base.work().units()),
                    v.allocBytesPerOp() == null ? "n/a" : num(v.allocBytesPerOp() / v.work().units())));
        }
        if (g.length() > 0) {
            o.append("\n**Per-site what-if** (`StapleVariantBench.oneDirectionHoisted`, public API only): the per-site path with "
                    + "the two scratch matrices allocated once per `parallelFor` chunk and no `i / V`, `i % V` per site, against "
                    + "CpuBackend.staples, which is now the SoA kernel (so a speed-up below 1 is the SoA kernel's gain over it). "
                    + "Bit-identical results (checked at setup).\n\n");
            o.append("| Lattice | Threads | CpuBackend.staples | hoisted | speed-up (mean) | speed-up (best iteration) | allocated B per site |\n");
            o.append("|---|---|---|---|---|---|---|\n").append(g).append('\n');
        }
        return o.toString();
    }
}
