"""Network workbench speed: 8 optimizers training one MLP batched, against 8 plain loops.

The workload of issue 8: a 2-64-64-2 ReLU MLP on 4,000 two-moons samples, batch 64, 300 steps,
float32, 8 optimizers (SGD, SGD+momentum, Nesterov, Adagrad, RMSprop, Adam, AdamW, AMSGrad) — the
engine's batched rules; other torch.optim classes go through the per-run adapter, slower.
Measured side by side in one run, both single-threaded, best of ``--repeat``:

* the peer — the same 8 trained one after another with plain ``torch.optim`` loops
  (``zero_grad → forward → loss → backward → step``, the same minibatches);
* ``run_experiment`` with no records but the per-step loss, and with records at their defaults
  (validation every 25 steps, per-layer records every 10, noise scale and sharpness every 50).

* the ceiling — the least a batched step can do (forward, autograd backward, one Adam update
  for all runs; no records): what no engine stepping the runs with eager torch ops here can beat.

Prints the ratios (targets: ≥ 4× faster with records on; per-layer records every 10 steps and
sharpness every 50 add ≤ 25 % to the step time).
``--device cuda --runs 32 --digits`` measures 32 runs of a 64-256-256-10 MLP on the 8×8 digits
on a GPU (the issue's 784-input MNIST net needs a download; digits ship with scikit-learn).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import torch
from torch import nn

from optim_core import run_experiment
from optim_core.networks.experiment import parse_network_experiment

RUNS = [
    {"optimizer": "SGD", "lr": 0.05},
    {"optimizer": "SGD", "lr": 0.05, "momentum": 0.9},
    {"optimizer": "SGD", "lr": 0.05, "momentum": 0.9, "nesterov": True},
    {"optimizer": "Adagrad", "lr": 0.05},
    {"optimizer": "RMSprop", "lr": 0.001},
    {"optimizer": "Adam", "lr": 0.003},
    {"optimizer": "AdamW", "lr": 0.003, "weight_decay": 0.01},
    {"optimizer": "Adam", "lr": 0.003, "amsgrad": True},
]
NO_RECORDS = {"eval_every": 10**7, "layer_stats_every": 0, "noise_scale_every": 0,
              "sharpness_every": 0}
#: the issue's measure of the records' cost: per-layer records every 10 steps, sharpness every 50
LAYERS_AND_SHARPNESS = {**NO_RECORDS, "layer_stats_every": 10, "sharpness_every": 50}


def config(args: argparse.Namespace, records: dict[str, Any]) -> dict[str, Any]:
    runs = [dict(RUNS[i % len(RUNS)]) for i in range(args.runs)]
    if args.digits:
        network = {"dataset": "digits", "hidden": [256, 256], "activation": "relu"}
    else:
        network = {"dataset": "moons", "n_samples": 4000, "hidden": [64, 64],
                   "activation": "relu"}
    return {"network": network, "steps": args.steps, "batch_size": 64, "seed": 0,
            "dtype": "float32", "device": args.device, "record_batches": True, **records,
            "runs": runs}


def plain_loops(cfg: dict[str, Any], batches: torch.Tensor) -> float:
    """Seconds for the runs trained one after another with plain torch.optim loops."""
    experiment = parse_network_experiment(cfg)
    data = experiment.dataset().to(torch.device(cfg["device"]), torch.float32)
    x, y = data.train_x, data.train_y
    batches = batches.to(cfg["device"])
    started = time.perf_counter()
    for spec in experiment.runs:
        model = experiment.model(data).reference().to(cfg["device"])
        hyper = {k: v for k, v in spec.hyperparameters.items() if k != "bias_correction"}
        optimizer = getattr(torch.optim, spec.optimizer)(model.parameters(), **hyper)
        for index in batches:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x[index]), y[index])
            loss.backward()
            optimizer.step()
    _sync(cfg["device"])
    return time.perf_counter() - started


def smallest_batched_step(cfg: dict[str, Any], batches: torch.Tensor) -> float:
    """Seconds for the least a batched step of this design can do: the same runs' batched
    forward and autograd backward on the same minibatches, then one Adam update over all
    ``(R, P)`` weights — no per-optimizer rules, clipping, divergence check or records.

    Not the lab's engine (its runs keep their own optimizers): the ceiling of any engine that
    steps the runs with eager torch ops on this machine, so the ratio the issue asks can be read
    against what is reachable at all."""
    experiment = parse_network_experiment(cfg)
    device = torch.device(cfg["device"])
    data = experiment.dataset().to(device, torch.float32)
    model = experiment.model(data)
    r = len(experiment.runs)
    params = model.initial_params(experiment.seed).to(device, torch.float32).expand(r, -1)
    params = params.clone()
    avg, avg_sq = torch.zeros_like(params), torch.zeros_like(params)
    x, y = data.train_x, data.train_y
    batches = batches.to(device)
    started = time.perf_counter()
    for t, index in enumerate(batches, start=1):
        w = params.detach().requires_grad_(True)
        loss = model.losses(model.forward(w, x[index]), y[index]).mean(-1)
        (grad,) = torch.autograd.grad(loss.sum(), w)
        avg.lerp_(grad, 0.1)
        avg_sq.mul_(0.999).addcmul_(grad, grad, value=0.001)
        denom = (avg_sq / (1 - 0.999**t)).sqrt_().add_(1e-8)
        params = params.addcdiv(avg, denom, value=-0.003 / (1 - 0.9**t))
    _sync(cfg["device"])
    return time.perf_counter() - started


def timed_run(cfg: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    result = run_experiment(cfg)
    _sync(cfg["device"])
    return time.perf_counter() - started, result


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--digits", action="store_true", help="64-256-256-10 on the digits")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    bare_cfg, full_cfg = config(args, NO_RECORDS), config(args, {})
    probe_cfg = config(args, LAYERS_AND_SHARPNESS)
    timed_run({**bare_cfg, "steps": 3})  # warm up
    batches = torch.as_tensor(timed_run(bare_cfg)[1]["network"]["batches"])
    plain, bare, probe, full, least = [], [], [], [], []
    for _ in range(args.repeat):
        plain.append(plain_loops(bare_cfg, batches))
        least.append(smallest_batched_step(bare_cfg, batches))
        bare.append(timed_run(bare_cfg)[0])
        probe.append(timed_run(probe_cfg)[0])
        full.append(timed_run(full_cfg)[0])
    p, b, q, f, c = min(plain), min(bare), min(probe), min(full), min(least)
    model = "digits 64-256-256-10" if args.digits else "moons 2-64-64-2"
    print(f"{args.runs} runs × {args.steps} steps, {model} MLP, batch 64, float32, "
          f"{args.device}, best of {args.repeat}")
    print(f"  plain torch.optim loops, one after another: {p:7.3f} s")
    print(f"  run_experiment, loss only:                  {b:7.3f} s  → {p / b:5.1f}× faster")
    print(f"  run_experiment, records at defaults:        {f:7.3f} s  → {p / f:5.1f}× faster"
          f"  (target ≥ 4×)")
    print(f"  ceiling: the smallest batched step (one Adam for all runs, no records) "
          f"{c:7.3f} s  → {p / c:5.1f}× faster")
    print(f"  per-layer records every 10 steps and sharpness every 50 add "
          f"{100 * (q / b - 1):.0f} % to the step time (target ≤ 25 %)")
    print(f"  all records at their defaults (validation every 25, noise scale every 50 too) add "
          f"{100 * (f / b - 1):.0f} %")


if __name__ == "__main__":
    main()
