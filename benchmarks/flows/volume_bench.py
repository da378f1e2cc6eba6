#!/usr/bin/env python3
"""Training and sampling cost of a flow model against the lattice volume (does it grow linearly?).

Contract: drives the built jar (target/mflow-hpc.jar) through `mflow bench` once per lattice, all other settings
equal (group, beta, model, options, batch, backend, threads); Python standard library only. For each lattice: the
median ms per training step (after --warmup untimed steps), the median configurations/s of sampling (log q and the
action included), and both per site: ms per step per 1000 sites and microseconds per configuration per site. Linear
cost means the per-site columns stay flat. The lattices are interleaved over --rounds rounds so that a change of the
machine's load hits every volume alike; the table quotes the median over rounds with the range. The report
(Markdown: machine, date, load, the exact commands) is rewritten after every measurement.

Usage: python3 benchmarks/flows/volume_bench.py --out FILE [--group SU3] [--lattices 4x4x4x4,4x4x8x8,8x8x8x8]
       [--model multiscale+flow] [--beta 6.0] [--batch 16] [--steps 3] [--sample-batch 32] [--rounds 2]
       [--backend host] [--threads 2]
"""
import argparse, datetime, json, os, platform, statistics, subprocess, sys

from benchinfo import machine

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JAR = os.path.join(ROOT, "target", "mflow-hpc.jar")



def volume(spec):
    v = 1
    for e in spec.split("x"):
        v *= int(e)
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--group", default="SU3")
    ap.add_argument("--lattices", default="4x4x4x4,4x4x8x8,8x8x8x8")
    ap.add_argument("--model", default="multiscale+flow")
    ap.add_argument("--model-option", action="append", default=[])
    ap.add_argument("--beta", type=float, default=6.0)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--sample-batch", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--backend", default="host")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    lats = a.lattices.split(",")
    started = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    load0 = " ".join("%.2f" % x for x in os.getloadavg())
    cmds, res = [], {l: [] for l in lats}

    def write(done):
        rows = []
        for l in lats:
            r = res[l]
            if not r:
                continue
            v = volume(l)
            ms = [x["ms_per_step_median"] for x in r]
            cs = [x["samples_per_s_median"] for x in r]
            m, c = statistics.median(ms), statistics.median(cs)
            rows.append("| %s | %d | %d | %.0f (%.0f–%.0f) | %.1f | %.1f (%.1f–%.1f) | %.1f | %s |" % (
                l, v, r[0]["params"], m, min(ms), max(ms), 1000.0 * m / v, c, min(cs), max(cs), 1e6 / (c * v), len(r)))
        with open(a.out, "w") as f:
            f.write("# Cost against volume: %s %s, β = %g, %s backend\n\n" % (a.group, a.model, a.beta, a.backend))
            f.write("- machine: %s\n- date: %s\n" % (machine(), started))
            f.write("- command: `python3 benchmarks/flows/volume_bench.py %s`\n" % " ".join(sys.argv[1:]))
            f.write("- load average at start: %s; at last write: %s\n" % (load0, " ".join("%.2f" % x for x in os.getloadavg())))
            f.write("- per lattice: `mflow bench`, training batch %d, %d timed steps after %d warm-up, sampling batch %d, %d timed "
                    "batches; %d rounds, lattices interleaved; median over rounds (range)\n\n" % (
                        a.batch, a.steps, a.warmup, a.sample_batch, a.repeats, a.rounds))
            f.write("| lattice | sites | parameters | ms/step | ms/step per 1000 sites | configurations/s | µs per configuration per site | rounds |\n")
            f.write("|---|---|---|---|---|---|---|---|\n")
            f.write("\n".join(rows) + "\n")
            f.write("\n_(run in progress)_\n" if not done else "")
            f.write("\n## Commands run\n\n```\n" + "\n".join(cmds) + "\n```\n")

    for rnd in range(a.rounds):
        for l in lats:
            cmd = ["bench", "--group", a.group, "--lattice", l, "--beta", a.beta, "--model", a.model, "--batch", a.batch,
                   "--steps", a.steps, "--warmup", a.warmup, "--sample-batch", a.sample_batch, "--repeats", a.repeats,
                   "--backend", a.backend, "--threads", a.threads]
            for o in a.model_option:
                cmd += ["--model-option", o]
            cmd = [str(x) for x in cmd]
            cmds.append("mflow " + " ".join(cmd))
            p = subprocess.run(["java", "-jar", JAR] + cmd, capture_output=True, text=True)
            if p.returncode != 0:
                sys.stderr.write(p.stderr)
                raise SystemExit("failed: mflow " + " ".join(cmd))
            res[l].append(json.loads(p.stdout.strip().splitlines()[-1]))
            write(False)
    write(True)


if __name__ == "__main__":
    main()
