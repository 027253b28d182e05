"""Memory under a long run: RSS growth of run_experiment and of each result writer.

The soak of issue 11: 8 runs × 2,000,000 Adam steps on Rosenbrock (float64) through
``run_experiment``, then the result written as .npz, .json and .csv. Before this budget the run
peaked at 3.1 GB resident; the target is RSS growth ≤ 600 MB for the run and for each write.
The peak is read from ``VmHWM`` after resetting it (``/proc/self/clear_refs``), so each phase's
own peak is measured. Linux only.

Usage: python bench/soak_memory.py [--steps N] [--runs R] [--out-dir DIR] [--limit-mb 600]
Exit status 1 when a phase grows past the limit.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from optim_core.results import RECORD_BUDGET_BYTES, run_experiment, write_result

MB = 2**20


def rss_now() -> int:
    """Resident bytes of this process now."""
    return _status_kb("VmRSS") * 1024


def reset_peak() -> None:
    """Start a fresh peak (``VmHWM``) from the current resident size."""
    Path("/proc/self/clear_refs").write_text("5")


def peak() -> int:
    """The most resident bytes since :func:`reset_peak`."""
    return _status_kb("VmHWM") * 1024


def _status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{key} not in /proc/self/status")


def measure(phase: Callable[[], Any]) -> tuple[Any, float, int]:
    """Run ``phase``; return its value, the seconds it took and its peak RSS growth (bytes)."""
    reset_peak()
    before = rss_now()
    started = time.perf_counter()
    value = phase()
    return value, time.perf_counter() - started, peak() - before


def soak_experiment(steps: int, runs: int) -> dict[str, Any]:
    """The soak's experiment: ``runs`` Adam runs (lrs 1e-4 … 1e-1) from Rosenbrock's start."""
    lrs = [10 ** (-4 + 3 * i / max(runs - 1, 1)) for i in range(runs)]
    return {"problem": "rosenbrock", "steps": steps, "dtype": "float64",
            "runs": [{"optimizer": "Adam", "lr": lr} for lr in lrs]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--limit-mb", type=float, default=600.0)
    parser.add_argument("--out-dir", help="where to write the results (default: a temp folder)")
    parser.add_argument("--formats", default=".npz,.json,.csv")
    args = parser.parse_args(argv)
    limit = args.limit_mb * MB
    print(f"soak: {args.runs} runs × {args.steps:,} Adam steps, Rosenbrock, float64; record "
          f"budget {RECORD_BUDGET_BYTES / MB:g} MiB; limit {args.limit_mb:g} MB RSS growth")
    import torch  # noqa: F401  (imported before the first measurement, as the engine needs it)

    print(f"  resident before: {rss_now() / MB:.0f} MB")
    result, seconds, grown = measure(lambda: run_experiment(soak_experiment(args.steps,
                                                                            args.runs)))
    thinning = result["thinning"]
    kept = (f"{thinning['rows']:,} of {thinning['steps']:,} rows (1 step in {thinning['every']} "
            f"+ the last)" if thinning else "every step")
    print(f"  run_experiment: {seconds:.1f} s, peak RSS growth {grown / MB:.0f} MB, kept {kept}")
    failed = grown > limit
    with tempfile.TemporaryDirectory(dir=args.out_dir) as folder:
        for suffix in args.formats.split(","):
            path = Path(folder) / f"soak{suffix}"
            _, seconds, grown = measure(lambda path=path: write_result(result, path))
            size = path.stat().st_size
            print(f"  write {suffix:5}: {seconds:.1f} s, peak RSS growth {grown / MB:.0f} MB, "
                  f"file {size / MB:.0f} MB")
            failed |= grown > limit
            path.unlink()
    print("  within the limit" if not failed else "  PAST THE LIMIT")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
