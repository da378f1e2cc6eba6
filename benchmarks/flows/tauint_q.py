#!/usr/bin/env python3
"""Autocorrelation of the 4D topological charge: a trained flow's independence-Metropolis chain against heatbath +
overrelaxation on the same lattice, and the cost per independent sample in CPU-seconds.

Contract: drives the built jar (target/mflow-hpc.jar); Python standard library only.
  1. `mflow train` (--model, --steps, batch 64, lr 1e-3) on --lattice at --beta; training wall time and s/step.
  2. `mflow sample --mh --configs N`: the flow's MH chain; `mflow generate --algorithm heatbath --configs N
     --every 1` (the generate default of overrelaxation sweeps per heatbath sweep): the reference chain.
  3. `mflow measure --json --flow-time T --flow-step EPS` on both: Q_clover after Wilson flow to t/a^2 = T, the
     plaquette, with tau_int from Wolff's Gamma method (S_tau = 1.5; tau_int = 1/2 for an uncorrelated chain).
  4. cost per configuration = wall time of step 2 x threads (CPU-seconds, measurement excluded), cost per
     independent sample = 2 tau_int(Q) x cost per configuration; the flow's training cost is stated separately.

Usage: python3 benchmarks/flows/tauint_q.py --out benchmarks/results/DATE-tauint-q.md [--group SU3 --lattice 4x4x4x4
       --beta 6.0 --model multiscale+flow --steps 300 --configs 4096 --threads 1 --backend host]
"""
import argparse, datetime, json, os, platform, shutil, subprocess, sys, time

from benchinfo import machine

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
JAR = os.path.join(ROOT, "target", "mflow-hpc.jar")
LOG = []


def mflow(*args):
    LOG.append("mflow " + " ".join(str(a) for a in args))
    t0 = time.time()
    p = subprocess.run(["java", "-jar", JAR] + [str(a) for a in args], capture_output=True, text=True,
                       env=dict(os.environ, MFLOW_PROGRESS="plain"))
    if p.returncode != 0:
        sys.stderr.write(p.stderr or "")
        raise SystemExit("failed: " + LOG[-1])
    return p.stdout, time.time() - t0



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--group", default="SU3")
    ap.add_argument("--lattice", default="4x4x4x4")
    ap.add_argument("--beta", type=float, default=6.0)
    ap.add_argument("--model", default="multiscale+flow")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--configs", type=int, default=4096)
    ap.add_argument("--therm", type=int, default=100)
    ap.add_argument("--flow-time", type=float, default=1.0)
    ap.add_argument("--flow-step", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--backend", default="host", choices=["cpu", "host"])
    ap.add_argument("--work", default="/tmp/mflow-tauint")
    a = ap.parse_args()
    if not os.path.exists(JAR):
        raise SystemExit("build first: mvn -q package -DskipTests")
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    T, B = a.threads, a.backend
    load0 = " ".join(open("/proc/loadavg").read().split()[:3])
    model = os.path.join(a.work, "model")
    _, t_train = mflow("train", "--group", a.group, "--lattice", a.lattice, "--beta", a.beta, "--model", a.model,
                       "--steps", a.steps, "--batch", 64, "--lr", 1e-3, "--seed", 1, "--threads", T, "--backend", B,
                       "--log-every", 50, "--out", model)
    meas = ["--json", "--flow-time", a.flow_time, "--flow-step", a.flow_step, "--threads", T, "--backend", B]
    mh = os.path.join(a.work, "mh")
    _, t_mh = mflow("sample", "--model", model, "--configs", a.configs, "--mh", "--seed", 102, "--threads", T,
                    "--backend", B, "--out", mh)
    jm = json.loads(mflow("measure", *meas, mh)[0])
    hb = os.path.join(a.work, "hb")
    _, t_hb = mflow("generate", "--group", a.group, "--lattice", a.lattice, "--beta", a.beta, "--algorithm", "heatbath",
                    "--configs", a.configs, "--therm", a.therm, "--every", 1, "--seed", 7, "--threads", T,
                    "--backend", B, "--out", hb)
    jh = json.loads(mflow("measure", *meas, hb)[0])
    rows = []
    for name, j, t in (("%s MH chain" % a.model, jm, t_mh), ("heatbath + overrelaxation", jh, t_hb)):
        q, p = j["observables"]["Q_clover"], j["observables"]["plaquette"]
        per = t * T / a.configs
        acc = "%.4f ± %.4f" % (j["acceptance"], j["acceptance_error"]) if "acceptance" in j else "—"
        rows.append("| %s | %d | %s | %.5f ± %.5f (τ %.1f) | %.3f ± %.3f | %.1f ± %.1f | %.3g | %.3g |" % (
            name, a.configs, acc, p["value"], p["error"], p["tau_int"], q["value"], q["error"], q["tau_int"],
            q["tau_int_error"], per, 2 * q["tau_int"] * per))
    rep = ["# τ_int of the 4D topological charge: flow MH chain against heatbath + overrelaxation", "",
           "- machine: " + machine(),
           "- date: " + datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
           "- command: `python3 benchmarks/flows/tauint_q.py " + " ".join(sys.argv[1:]) + "`",
           "- backend: %s, %d thread(s); load average at start %s, at end %s" % (
               B, T, load0, " ".join(open("/proc/loadavg").read().split()[:3])),
           "- theory: %s %s, β = %g; model `%s`, %d training steps (batch 64, Adam 1e-3): %.0f s wall, %.0f CPU-s" % (
               a.group, a.lattice, a.beta, a.model, a.steps, t_train, t_train * T),
           "- Q_clover after Wilson flow to t/a² = %g (RK3, step %g); errors and τ_int by Wolff's Γ method "
           "(τ_int = 1/2: uncorrelated); cost per configuration = wall time of the chain x threads (measurement "
           "excluded), per independent sample = 2 τ_int(Q) x that" % (a.flow_time, a.flow_step), "",
           "| chain | configurations | acceptance | plaquette | Q_clover | τ_int(Q) | CPU-s per configuration | "
           "CPU-s per independent Q |", "|---|---|---|---|---|---|---|---|"] + rows + [
           "", "## Commands run", "", "```"] + LOG + ["```"]
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        f.write("\n".join(rep) + "\n")


if __name__ == "__main__":
    main()
