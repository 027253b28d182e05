"""Engine speed against torch.optim, measured side by side in one run (ratios, not timed tests).

P1: 10,000 starts × 1,000 Adam steps on Rosenbrock in float32 — the engine (records included)
    against torch.optim.Adam on one batched (10000, 2) parameter. Target: ratio ≤ 1.0.
    Also end to end through ``run_experiment`` (parsing, set-up, stepping, the columnar result),
    within its default record budget (32 MiB: 1 step in 14 kept) and with every step kept, and the
    session alone keeping only the last step (the stepping's own cost). Target: ≤ 1.0× end to end.
P2: 4,096 distinct (lr, β₁) Adam configurations × 500 steps — the engine's one batched session
    against one torch.optim.Adam per configuration (timed on a subset, extrapolated).
    Target: speed-up ≥ 100.

Usage: python bench/bench_engine.py [--quick] [--device cpu|cuda] [--repeats N] [--only p1|p2]
Each measurement is the best of a few repeats, interleaved, so both sides see the same machine;
the median of the end-to-end ratios (each repeat against its own torch.optim run) is printed too.
On the CPU both sides run on one thread and are timed in CPU seconds (``time.process_time``),
which other processes on a shared machine disturb far less than wall-clock time; on CUDA, wall
time after a synchronize. Setting a session up (allocating its records) is timed separately.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from optim_core.experiment import RunSpec
from optim_core.optimizers import get_rule
from optim_core.problems import make_problem
from optim_core.results import run_experiment
from optim_core.session import Session

ADAM_DEFAULTS = {s.name: s.default for s in get_rule("Adam").hyperparameters}


def rosenbrock(w: torch.Tensor) -> torch.Tensor:
    return make_problem("rosenbrock").loss(w)


def starts(n: int, generator: torch.Generator) -> torch.Tensor:
    return torch.rand((n, 2), generator=generator, dtype=torch.float64) * 3 - 1.5


def peer_batched(points: torch.Tensor, steps: int, dtype, device) -> float:
    """torch.optim.Adam on one (n, 2) parameter: the fastest way torch.optim can do P1."""
    p = points.to(device=device, dtype=dtype).clone().requires_grad_(True)
    opt = torch.optim.Adam([p], lr=1e-3)
    _sync(device)
    t = clock()
    for _ in range(steps):
        opt.zero_grad()
        rosenbrock(p).sum().backward()
        opt.step()
    _sync(device)
    return clock() - t


def engine_batched(points: torch.Tensor, steps: int, dtype: str, device,
                   record_every: int = 1) -> tuple[float, float]:
    """Seconds to set the session up, and to step it (records kept every ``record_every``)."""
    hyper = {**ADAM_DEFAULTS, "lr": 1e-3}
    runs = [RunSpec("Adam", hyper, (x, y), "adam") for x, y in points.tolist()]
    t = clock()
    session = Session(make_problem("rosenbrock"), runs, dtype=dtype, device=device,
                      expected_steps=steps, record_every=record_every)
    _sync(device)
    setup = clock() - t
    t = clock()
    session.step(steps)
    _sync(device)
    return setup, clock() - t


def engine_run_experiment(points: torch.Tensor, steps: int, dtype: str, device,
                          record_budget: int | None = None) -> tuple[float, str]:
    """Seconds of ``run_experiment`` on P1 (the result built), and what it recorded."""
    config = {"problem": "rosenbrock", "steps": steps, "dtype": dtype, "device": str(device),
              "starts": points.tolist(), "runs": [{"optimizer": "Adam", "lr": 1e-3}]}
    budget = {} if record_budget is None else {"record_budget": record_budget}
    t = clock()
    result = run_experiment(config, **budget)
    final = result.column("loss")[:, -1]  # the result is usable: read a column of every run
    _sync(device)
    seconds = clock() - t
    thinning = result["thinning"]
    kept = "every step" if thinning is None else f"1 step in {thinning['every']} + the last"
    assert final.shape == (len(points),)
    return seconds, kept


def peer_one_per_config(configs: list[tuple[float, float]], steps: int, device) -> float:
    t = clock()
    for lr, beta1 in configs:
        p = torch.tensor([-1.5, 2.0], dtype=torch.float64, device=device, requires_grad=True)
        opt = torch.optim.Adam([p], lr=lr, betas=(beta1, 0.999))
        for _ in range(steps):
            opt.zero_grad()
            rosenbrock(p).backward()
            opt.step()
    _sync(device)
    return clock() - t


def engine_sweep(configs: list[tuple[float, float]], steps: int, device) -> float:
    runs = [RunSpec("Adam", {**ADAM_DEFAULTS, "lr": lr, "betas": (b1, 0.999)}, (-1.5, 2.0),
                    f"lr={lr:g} β₁={b1:g}") for lr, b1 in configs]
    session = Session(make_problem("rosenbrock"), runs, device=device, expected_steps=steps)
    _sync(device)
    t = clock()
    session.step(steps)
    _sync(device)
    return clock() - t


def clock() -> float:
    return CLOCK()


CLOCK = time.process_time


def _sync(device) -> None:
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=("p1", "p2"), help="measure one of the two")
    args = parser.parse_args()
    global CLOCK
    if args.device == "cpu":
        torch.set_num_threads(1)
    else:
        CLOCK = time.perf_counter
    g = torch.Generator().manual_seed(0)

    if args.only != "p2":
        p1(args, g)
    if args.only != "p1":
        p2(args)


def p1(args: argparse.Namespace, g: torch.Generator) -> None:
    n1, s1 = (1000, 100) if args.quick else (10_000, 1000)
    points = starts(n1, g)
    peer, every, thinned, setup, end_default, end_all, last = [], [], [], [], [], [], []
    kept = ""
    for _ in range(args.repeats):
        peer.append(peer_batched(points, s1, torch.float32, args.device))
        built, stepped = engine_batched(points, s1, "float32", args.device)
        setup.append(built)
        every.append(stepped)
        thinned.append(engine_batched(points, s1, "float32", args.device, record_every=10)[1])
        last.append(sum(engine_batched(points, s1, "float32", args.device, record_every=s1)))
        seconds, kept = engine_run_experiment(points, s1, "float32", args.device)
        end_default.append(seconds)
        end_all.append(engine_run_experiment(points, s1, "float32", args.device,
                                             record_budget=2**40)[0])
    print(f"P1  {n1} starts × {s1} Adam steps, Rosenbrock, float32, {args.device}")
    print(f"    torch.optim.Adam on one ({n1}, 2) parameter:      {min(peer):.3f} s")
    print(f"    Optimizer Lab, every step recorded:               {min(every):.3f} s"
          f"  ({min(every) / min(peer):.2f}×; set-up {min(setup):.3f} s)")
    p1 = min(thinned) / min(peer)
    print(f"    Optimizer Lab, every 10th step recorded:          {min(thinned):.3f} s"
          f"  ({p1:.2f}×)")
    print(f"    ratio engine / torch.optim = {min(every) / min(peer):.2f}× all records, "
          f"{p1:.2f}× thinned   (target ≤ 1.0×)")
    print(f"    session alone, set up and stepped, last step kept: {min(last):.3f} s"
          f"  ({min(last) / min(peer):.2f}×)")

    def median_ratio(times: list[float]) -> float:
        return statistics.median(t / p for t, p in zip(times, peer, strict=True))

    print(f"    run_experiment, default record budget ({kept}): {min(end_default):.3f} s"
          f"  ({min(end_default) / min(peer):.2f}×, median {median_ratio(end_default):.2f}×)"
          f"   (target ≤ 1.0×)")
    print(f"    run_experiment, every step kept:                  {min(end_all):.3f} s"
          f"  ({min(end_all) / min(peer):.2f}×, median {median_ratio(end_all):.2f}×)")



def p2(args: argparse.Namespace) -> None:
    n2, s2, subset = (512, 100, 8) if args.quick else (4096, 500, 32)
    lrs = torch.logspace(-4, 0, 64, dtype=torch.float64).tolist()
    betas = torch.linspace(0.0, 0.99, n2 // 64, dtype=torch.float64).tolist()
    configs = [(lr, b1) for lr in lrs for b1 in betas][:n2]
    step = len(configs) // subset
    sample = configs[::step][:subset]
    peer_subset = min(peer_one_per_config(sample, s2, args.device) for _ in range(args.repeats))
    peer_total = peer_subset * len(configs) / len(sample)
    mine2 = min(engine_sweep(configs, s2, args.device) for _ in range(args.repeats))
    p2 = peer_total / mine2
    print(f"P2  {len(configs)} (lr, β₁) Adam configurations × {s2} steps, float64, {args.device}")
    print(f"    one torch.optim.Adam per configuration: {peer_subset:.3f} s for {len(sample)}"
          f" → {peer_total:.1f} s extrapolated to {len(configs)}")
    print(f"    Optimizer Lab, one batched session:      {mine2:.3f} s")
    print(f"    speed-up = {p2:.0f}×   (target ≥ 100×)  {'MET' if p2 >= 100 else 'MISSED'}")


if __name__ == "__main__":
    main()
