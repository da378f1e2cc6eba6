#!/usr/bin/python3
"""PyTorch peer of mflow-hpc's `haar` flow model, for side-by-side speed comparison with the Java code.

Contract: mirrors mflow-hpc's `haar` ("Haar + flow") model for 2D U(1) (HaarFlowModel + U1PlaquetteCoupling +
NcpMixture; Kanwar et al. arXiv:2003.06413, tutorial Albergo et al. arXiv:2101.08176): Haar prior (log q0 = 0),
16 plaquette coupling layers (layer i: links of direction mu = i % 2, stripe offset (i // 2) % 4), each a
mixture-of-NCP circle flow plus shift conditioned by a periodic CNN 2 -> 8 -> 8 -> 2K+1 (kernel 3, leaky_relu 0.01
after each hidden conv, none at the end; the last conv evaluated only on the V/4 active sites, as the Java does).
The component count K defaults to 6 because mflow-hpc's `haar` default flow is "ncp6" (conv 2->8->8->13); pass
--components 2 for the 2->8->8->5 variant. Weights and biases use U(-1/sqrt(fan_in), 1/sqrt(fan_in)) as
Conv2D.init does (no zero-initialised last layer). Loss = mean(log q + S), S = -beta sum_x cos P(x); Adam lr 1e-3
(0.9, 0.999, 1e-8), no clipping.

Measures, per dtype (float64, float32) with torch.set_num_threads(T):
  (a) ms per training step: prior draw + forward with autograd + loss + backward + Adam step, batch B; mean of
      --repeats blocks of --steps steps each after --warmup steps (min/max over the block means);
  (b) sampling throughput in configurations/s: torch.no_grad() forward of one batch of --sample-batch
      configurations (prior draw, flow, log q and S), timed over --repeats batches after one warm-up batch.
Prints one JSON line per dtype (impl "pytorch"); field final_ess is the batch ESS of the last training step
(a sanity value only). --check runs the correctness checks first (identity at zero last layer, stripe-only last conv
against the full conv, log J against the autograd Jacobian on a 4x4 lattice, gauge invariance of log q, loss decrease over 200 steps at L=8 beta=2).

Usage: /usr/bin/python3 benchmarks/flows/torch_peer.py [--lattice 8] [--beta 2] [--layers 16] [--components 6]
       [--hidden 8,8] [--batch 64] [--steps 50] [--warmup 5] [--sample-batch 1024] [--threads 2]
       [--dtypes float64,float32] [--repeats 3] [--seed 0] [--check]
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

TWO_PI = 2 * math.pi


def wrap(a):
    """Maps angles to (-pi, pi] (gradient 1, like the Java wrap)."""
    return a - TWO_PI * torch.ceil((a - math.pi) / TWO_PI)


def plaquette(th):
    """th: [B, 2, L1, L0] (x0 = last dim). P(x) = th0(x) + th1(x+e0) - th0(x+e1) - th1(x)."""
    t0, t1 = th[:, 0], th[:, 1]
    return t0 + torch.roll(t1, -1, dims=-1) - torch.roll(t0, -1, dims=-2) - t1


def action(th, beta):
    return -beta * torch.cos(plaquette(th)).sum(dim=(-2, -1))


def ess(logw):
    lw = logw - logw.max()
    w = torch.exp(lw)
    return float(w.sum() ** 2 / (logw.numel() * (w * w).sum()))


class Coupling(torch.nn.Module):
    """One U1PlaquetteCoupling layer (stripe masks of period 4) with an NCP mixture circle flow."""

    def __init__(self, mu, offset, hidden, components, kernel=3):
        super().__init__()
        self.mu, self.o, self.K, self.k = mu, offset, components, kernel
        self.nu = 1 - mu
        self.sigma = 1.0 if mu == 0 else -1.0
        chans = [2] + list(hidden) + [2 * components + 1]
        self.convs = torch.nn.ModuleList(
            torch.nn.Conv2d(chans[j], chans[j + 1], kernel, padding=0) for j in range(len(chans) - 1))
        for c in self.convs:  # Conv2D.init: U(-b, b), b = 1/sqrt(cin k^2), weights and biases
            b = 1.0 / math.sqrt(c.in_channels * kernel * kernel)
            torch.nn.init.uniform_(c.weight, -b, b)
            torch.nn.init.uniform_(c.bias, -b, b)
        self._masks = {}

    def frozen_mask(self, L1, L0, dtype, device):
        key = (L1, L0, dtype, device)
        m = self._masks.get(key)
        if m is None:
            x = torch.arange(L0 if self.nu == 0 else L1, device=device)
            c = (x - self.o) % 4
            fr = ((c == 1) | (c == 2)).to(dtype)
            m = fr.view(1, L0) if self.nu == 0 else fr.view(L1, 1)
            self._masks[key] = m
        return m

    def stripe(self, a):
        """Active stripe x_nu = o (mod 4) of a [..., L1, L0] tensor."""
        return a[..., self.o::4] if self.nu == 0 else a[..., self.o::4, :]

    def unstripe(self, d, like):
        """Zero tensor shaped like `like` ([B, L1, L0]) with d on the active stripe (functional, autograd-safe)."""
        z = torch.zeros_like(d)
        parts = [d if j == self.o else z for j in range(4)]
        if self.nu == 0:  # d: [B, L1, L0/4] -> [B, L1, L0/4, 4] -> [B, L1, L0]
            return torch.stack(parts, dim=-1).reshape(like.shape)
        return torch.stack(parts, dim=-2).reshape(like.shape)  # d: [B, L1/4, L0] -> [B, L1/4, 4, L0]

    def conditioner(self, feat):
        h = feat
        p = self.k // 2
        n = len(self.convs)
        for j, c in enumerate(self.convs):
            h = F.pad(h, (p, p, p, p), mode="circular")
            if j < n - 1:
                h = F.leaky_relu(c(h), 0.01)
            else:  # last conv only on the active stripe: stride 4 along nu, starting at the offset
                # output j sits at x_nu = o + 4 j: its window starts at padded index o + 4 j
                if self.nu == 0:
                    span = h.shape[-1] - 2 * p - 4 + self.k
                    h = F.conv2d(h[..., self.o:self.o + span], c.weight, c.bias, stride=(1, 4))
                else:
                    span = h.shape[-2] - 2 * p - 4 + self.k
                    h = F.conv2d(h[..., self.o:self.o + span, :], c.weight, c.bias, stride=(4, 1))
        return h  # [B, 2K+1, stripe]

    def forward(self, th, logJ):
        P = plaquette(th)
        fm = self.frozen_mask(P.shape[-2], P.shape[-1], P.dtype, P.device)
        feat = torch.stack((torch.cos(P) * fm, torch.sin(P) * fm), dim=1)
        raw = self.conditioner(feat)
        K = self.K
        s, a, t = raw[:, :K], raw[:, K:2 * K], raw[:, 2 * K]
        x = self.stripe(P)
        n = torch.floor((x + math.pi) / TWO_PI)
        x0 = (x - TWO_PI * n).unsqueeze(1)  # [-pi, pi)
        w = torch.softmax(a, dim=1)
        e = torch.exp(s)
        c, sn = torch.cos(0.5 * x0), torch.sin(0.5 * x0)
        g = (w * 2 * torch.atan2(e * sn, c)).sum(dim=1)
        gp = (w * e / (c * c + e * e * sn * sn)).sum(dim=1)
        f = g + t + TWO_PI * n
        d = self.sigma * (f - x)
        upd = wrap(th[:, self.mu] + self.unstripe(d, P))
        th = torch.stack((upd, th[:, 1]) if self.mu == 0 else (th[:, 0], upd), dim=1)
        logJ = logJ + torch.log(gp).sum(dim=(-2, -1))
        return th, logJ


class HaarFlow(torch.nn.Module):
    def __init__(self, layers=16, hidden=(8, 8), components=6, kernel=3):
        super().__init__()
        self.layers = torch.nn.ModuleList(
            Coupling(i % 2, (i // 2) % 4, hidden, components, kernel) for i in range(layers))

    def forward(self, th):
        logJ = torch.zeros(th.shape[0], dtype=th.dtype, device=th.device)
        for l in self.layers:
            th, logJ = l(th, logJ)
        return th, -logJ  # log q = log q0 - sum log J, log q0 = 0

    @staticmethod
    def prior(batch, L, dtype, gen=None):
        return (torch.rand(batch, 2, L, L, dtype=dtype, generator=gen) * TWO_PI - math.pi)


def train_step(model, opt, batch, L, beta, dtype):
    opt.zero_grad(set_to_none=True)
    th, logq = model(HaarFlow.prior(batch, L, dtype))
    S = action(th, beta)
    loss = (logq + S).mean()
    loss.backward()
    opt.step()
    return loss.detach(), (-S - logq).detach()


def bench(args, dtype_name):
    dtype = getattr(torch, dtype_name)
    torch.manual_seed(args.seed)
    model = HaarFlow(args.layers, args.hidden, args.components).to(dtype)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    L, B = args.lattice, args.batch
    load_before = os.getloadavg()[0]
    for _ in range(args.warmup):
        train_step(model, opt, B, L, args.beta, dtype)
    blocks = []
    loss = logw = None
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        for _ in range(args.steps):
            loss, logw = train_step(model, opt, B, L, args.beta, dtype)
        blocks.append(1e3 * (time.perf_counter() - t0) / args.steps)
    # sampling: no_grad forward of one batch of sample_batch configurations, log q and S
    sb = args.sample_batch
    rates = []
    with torch.no_grad():
        for r in range(args.repeats + 1):
            t0 = time.perf_counter()
            th, logq = model(HaarFlow.prior(sb, L, dtype))
            S = action(th, args.beta)
            float((logq + S).sum())
            dt = time.perf_counter() - t0
            if r > 0:
                rates.append(sb / dt)
    return {
        "impl": "pytorch", "torch": torch.__version__, "dtype": dtype_name, "threads": torch.get_num_threads(),
        "lattice": L, "beta": args.beta, "layers": args.layers, "components": args.components,
        "hidden": list(args.hidden), "kernel": 3, "params": sum(p.numel() for p in model.parameters()),
        "batch": B, "steps": args.steps, "warmup": args.warmup, "repeats": args.repeats,
        "ms_per_step_mean": round(sum(blocks) / len(blocks), 3), "ms_per_step_min": round(min(blocks), 3),
        "ms_per_step_max": round(max(blocks), 3),
        "sample_batch": sb, "sample_mode": "no_grad forward of one batch (prior + flow + log q + S), mean rate over repeats",
        "samples_per_s": round(sum(rates) / len(rates), 1),
        "final_loss": round(float(loss), 4), "final_ess": round(ess(logw), 4),
        "total_train_steps": args.warmup + args.repeats * args.steps,
        "loadavg1_before": round(load_before, 2), "loadavg1_after": round(os.getloadavg()[0], 2),
    }


def checks(args):
    ok = True
    d = torch.float64

    def report(name, passed, detail):
        nonlocal ok
        ok = ok and passed
        print(f"check {name}: {'PASS' if passed else 'FAIL'} ({detail})", file=sys.stderr)

    # 1. zero-initialised last conv layers: the flow is the identity and log J = 0
    torch.manual_seed(1)
    m = HaarFlow(args.layers, args.hidden, args.components).to(d)
    with torch.no_grad():
        for l in m.layers:
            l.convs[-1].weight.zero_()
            l.convs[-1].bias.zero_()
        th = HaarFlow.prior(16, 8, d)
        th2, logq = m(th)
    dev = float(wrap(th2 - th).abs().max())
    report("identity", float(logq.abs().max()) < 1e-12 and dev < 1e-12,
           f"max|log q| {float(logq.abs().max()):.2e}, max|theta' - theta| mod 2pi {dev:.2e}")

    # 2. the stripe-only last conv equals the full periodic conv restricted to the active stripe
    worst = 0.0
    for mu in (0, 1):
        for o in range(4):
            l = Coupling(mu, o, args.hidden, args.components).to(d)
            x = torch.randn(3, 2, 8, 12, dtype=d)
            h = x
            for j, c in enumerate(l.convs):
                h = c(F.pad(h, (1, 1, 1, 1), mode="circular"))
                h = F.leaky_relu(h, 0.01) if j < len(l.convs) - 1 else h
            with torch.no_grad():
                worst = max(worst, float((l.conditioner(x) - l.stripe(h)).abs().max()))
    report("stripe-conv", worst < 1e-12, f"max deviation {worst:.2e} over mu, offset on 8x12")

    # 3. log J against the autograd Jacobian determinant (4x4 lattice, random weights, 2 layers each direction)
    torch.manual_seed(2)
    m = HaarFlow(4, args.hidden, args.components).to(d)
    worst = 0.0
    for _ in range(3):
        th = HaarFlow.prior(1, 4, d)
        J = torch.autograd.functional.jacobian(lambda v: m(v.view(1, 2, 4, 4))[0].reshape(-1), th.reshape(-1))
        with torch.no_grad():
            logq = float(m(th)[1])
        worst = max(worst, abs(torch.linalg.slogdet(J)[1].item() + logq))
    report("jacobian", worst < 1e-10, f"max |log|det J| - sum log J| = {worst:.2e}")

    # 4. gauge invariance of log q: theta_mu(x) -> alpha(x) + theta_mu(x) - alpha(x + e_mu)
    torch.manual_seed(3)
    m = HaarFlow(args.layers, args.hidden, args.components).to(d)
    with torch.no_grad():
        th = HaarFlow.prior(8, 8, d)
        al = HaarFlow.prior(8, 8, d)[:, 0]
        thg = torch.stack((al + th[:, 0] - torch.roll(al, -1, dims=-1), al + th[:, 1] - torch.roll(al, -1, dims=-2)), 1)
        dq = float((m(th)[1] - m(wrap(thg))[1]).abs().max())
    report("gauge", dq < 1e-9, f"max |log q(U) - log q(U^g)| = {dq:.2e}")

    # 5. training decreases the loss: 200 steps at L=8, beta=2, batch 64, float64
    torch.manual_seed(4)
    m = HaarFlow(args.layers, args.hidden, args.components).to(d)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    losses, t0 = [], time.perf_counter()
    for _ in range(200):
        loss, logw = train_step(m, opt, 64, 8, 2.0, d)
        losses.append(float(loss))
    first, last = sum(losses[:20]) / 20, sum(losses[-20:]) / 20
    report("training", last < first - 0.5,
           f"mean loss steps 1-20 {first:.3f} -> 181-200 {last:.3f}, last ESS {ess(logw):.3f}, "
           f"{time.perf_counter() - t0:.1f} s")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lattice", type=int, default=8)
    ap.add_argument("--beta", type=float, default=2.0)
    ap.add_argument("--layers", type=int, default=16)
    ap.add_argument("--components", type=int, default=6, help="NCP mixture components (mflow-hpc haar: ncp6)")
    ap.add_argument("--hidden", type=lambda s: [int(v) for v in s.split(",") if v], default=[8, 8])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--sample-batch", type=int, default=1024)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--check", action="store_true", help="run the correctness checks before timing")
    args = ap.parse_args()
    if args.lattice % 4 != 0:
        ap.error("stripe masks need the lattice extent divisible by 4")
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    if args.check and not checks(args):
        sys.exit("correctness checks failed")
    for dt in args.dtypes.split(","):
        print(json.dumps(bench(args, dt.strip())), flush=True)


if __name__ == "__main__":
    main()
