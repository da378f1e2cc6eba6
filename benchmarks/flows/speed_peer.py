#!/usr/bin/env python3
"""Side-by-side speed of mflow-hpc and a PyTorch peer on the same model, in one run.

Contract: alternates, --rounds times, `mflow bench` (the built jar) and benchmarks/flows/torch_peer.py (Debian's
/usr/bin/python3 with python3-torch, float64 and float32) on the tutorial "Haar + flow" model: 2D U(1), L=8,
beta=2, 16 NCP coupling layers with 2 components, conditioner conv 2 -> 8 -> 8 -> 5 (kernel 3), batch 64, Adam 1e-3.
Interleaving puts both under the same machine load, so their ratio is what to read (absolute times on a shared
2-core machine drift by 2x between runs). Reports per round and the median with its range: ms per training step
(full step: sample, action, backward, Adam) and configurations/s (no-grad sampling of one batch of --sample-batch
with log q and S, nothing written). Then the same for SU(3) on 4^4 (`haar` defaults), mflow-hpc only.

Usage: python3 benchmarks/flows/speed_peer.py --out benchmarks/results/DATE-speed.md [--rounds 3] [--steps 30]
       [--backend cpu|host]   (mflow-hpc's compute backend: the Java reference or the native host kernels)
"""
import argparse, datetime, json, os, platform, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JAR = os.path.join(ROOT, "target", "mflow-hpc.jar")
PEER = os.path.join(ROOT, "benchmarks", "flows", "torch_peer.py")
CMDS = []


def run(cmd):
    CMDS.append(" ".join(str(c) for c in cmd).replace(JAR, "target/mflow-hpc.jar").replace(ROOT + "/", ""))
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit("failed: " + " ".join(str(c) for c in cmd))
    return [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]


def fmt(vals, f="%.1f"):
    return (f + " (" + f + "–" + f + ")") % (statistics.median(vals), min(vals), max(vals))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--sample-batch", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--su3-steps", type=int, default=5)
    ap.add_argument("--backend", default="cpu", choices=["cpu", "host"])
    a = ap.parse_args()
    T = a.threads
    rows, ours, t64, t32 = [], [], [], []
    for r in range(a.rounds):
        j = run(["java", "-jar", JAR, "bench", "--lattice", "8x8", "--beta", 2, "--model", "haar", "--model-option", "flow=ncp2",
                 "--steps", a.steps, "--warmup", 5, "--sample-batch", a.sample_batch, "--repeats", 3, "--threads", T,
                 "--backend", a.backend])[0]
        ours.append(j)
        pj = run(["/usr/bin/python3", PEER, "--lattice", 8, "--beta", 2, "--layers", 16, "--components", 2, "--hidden", "8,8",
                  "--batch", 64, "--steps", a.steps, "--warmup", 5, "--sample-batch", a.sample_batch, "--threads", T,
                  "--dtypes", "float64,float32", "--repeats", 1])
        for x in pj:
            (t64 if x["dtype"] == "float64" else t32).append(x)
        rows.append("| %d | %.1f | %.1f | %.1f | %.0f | %.0f | %.0f |" % (
            r + 1, j["ms_per_step_median"], pj[0]["ms_per_step_mean"], pj[1]["ms_per_step_mean"],
            j["samples_per_s_median"], pj[0]["samples_per_s"], pj[1]["samples_per_s"]))
    su3 = run(["java", "-jar", JAR, "bench", "--group", "SU3", "--lattice", "4x4x4x4", "--beta", 5.7, "--model", "haar",
               "--steps", a.su3_steps, "--warmup", 2, "--sample-batch", 256, "--repeats", 2, "--threads", T,
               "--backend", a.backend])[0]
    ms_o = [x["ms_per_step_median"] for x in ours]
    ms64 = [x["ms_per_step_mean"] for x in t64]
    ms32 = [x["ms_per_step_mean"] for x in t32]
    sp_o = [x["samples_per_s_median"] for x in ours]
    sp64 = [x["samples_per_s"] for x in t64]
    sp32 = [x["samples_per_s"] for x in t32]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
    jv = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    rep = ["# Speed: mflow-hpc (%s backend, float64) vs PyTorch, tutorial Haar + flow" % a.backend, "",
           "- machine: %s, %d hardware threads, %s, %s; torch %s" % (cpu, os.cpu_count(), jv, platform.platform(), t64[0]["torch"]),
           "- date: " + datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
           "- command: `python3 benchmarks/flows/speed_peer.py " + " ".join(sys.argv[1:]) + "`",
           "- model: 2D U(1) 8x8, beta 2, 16 NCP coupling layers, 2 components, conv 2->8->8->5 kernel 3, batch 64, "
           "Adam 1e-3, %d threads each; %d timed steps after 5 warm-up steps per round; sampling: one no-grad batch of %d "
           "(prior + flow + log q + S), nothing written." % (T, a.steps, a.sample_batch),
           "- rounds alternate the two implementations, so both see the same load; read the ratios.", "",
           "## Headline (median over rounds, range in brackets)", "",
           "| | mflow-hpc float64 | PyTorch float64 | PyTorch float32 |", "|---|---|---|---|",
           "| ms per training step | %s | %s | %s |" % (fmt(ms_o), fmt(ms64), fmt(ms32)),
           "| configurations/s | %s | %s | %s |" % (fmt(sp_o, "%.0f"), fmt(sp64, "%.0f"), fmt(sp32, "%.0f")),
           "| ratio PyTorch float64 / mflow-hpc (step time; throughput inverted) | 1 | %.2f | — |" % (statistics.median(ms64) / statistics.median(ms_o)),
           "", "## Rounds", "",
           "| round | mflow ms/step | torch f64 ms/step | torch f32 ms/step | mflow conf/s | torch f64 conf/s | torch f32 conf/s |",
           "|---|---|---|---|---|---|---|"] + rows + [
           "", "## SU(3) 4^4, beta 5.7, `haar` defaults (mflow-hpc only)", "",
           "- %s: %d parameters, batch %d: %.0f ms per training step (median of %d; range %.0f–%.0f), %.0f configurations/s "
           "(batches of 256)." % (su3["model"], su3["params"], su3["batch"], su3["ms_per_step_median"], a.su3_steps,
                                 su3["ms_per_step_min"], su3["ms_per_step_max"], su3["samples_per_s_median"]),
           "", "## Commands run", "", "```"] + CMDS + ["```"]
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        f.write("\n".join(rep) + "\n")
    print("\n".join(rep[:16]))


if __name__ == "__main__":
    main()
