"""How the window holds up while 8 runs step flat out, and how fast it starts.

G1: event-loop latency — a 5 ms QTimer in the GUI thread records how late each tick comes
    (p50, p99) while the engine thread steps 8 runs as fast as it can and the panels redraw.
    The peer is the same window with the engine paused. Target: p99 ≤ 30 ms.
G2: panel frame rate — redraws per second of the landscape panel (the race) during G1, with the
    loss and effective-learning-rate panels' rates beside it. Target: ≥ 30 fps.
G3: cold start to a usable window — ``main.py --startup-time``: seconds from the process's start
    to the window's first paint (menus, controls, Play; the panels say "loading the engine…"),
    and to the engine (torch, loaded in the engine thread behind the window) being ready; first
    run and best of three. Target: painted ≤ 3 s. Beside it, the scripted start: wall time of
    ``main.py --screenshot OUT --steps 0`` (the engine loaded first, the landscape drawn,
    grabbed, exit).

Usage: python bench/bench_gui.py [--seconds S] [--quick] [--start-only]
Offscreen by default (set QT_QPA_PLATFORM to use a display); nothing is written outside a
temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import MainWindow, SessionState, Settings  # noqa: E402
from app.scripted import wait_until  # noqa: E402
from bench.event_loop import percentiles, tick_lateness  # noqa: E402

EIGHT_RUNS = {
    "problem": "rosenbrock",
    "steps": 1_000_000,
    "runs": [
        {"optimizer": "SGD", "lr": 0.001},
        {"optimizer": "SGD", "lr": 0.001, "momentum": 0.9},
        {"optimizer": "SGD", "lr": 0.001, "momentum": 0.9, "nesterov": True},
        {"optimizer": "Adagrad", "lr": 0.5},
        {"optimizer": "RMSprop", "lr": 0.01},
        {"optimizer": "Adam", "lr": 0.05},
        {"optimizer": "AdamW", "lr": 0.05},
        {"optimizer": "Adam", "lr": 0.05, "clip_norm": 1.0},
    ],
}
TARGETS = {"p99 latency (ms)": ("≤", 30.0), "frame rate (fps)": ("≥", 30.0),
           "cold start (s)": ("≤", 3.0)}


def measure(window: MainWindow, seconds: float) -> dict[str, float]:
    """Tick lateness (ms), frames and steps per second over ``seconds`` of the event loop."""
    frames, step = dict(window.feed.frames), _step(window)
    late, elapsed = tick_lateness(seconds)
    fps = {name: (window.feed.frames[name] - frames.get(name, 0)) / elapsed
           for name in ("landscape", "loss", "adaptive")}
    return {**percentiles(late),
            "fps": fps["landscape"], "loss fps": fps["loss"], "adaptive fps": fps["adaptive"],
            "steps/s": (_step(window) - step) / elapsed}


def _step(window: MainWindow) -> int:
    progress = window.feed.progress
    return progress.snapshot.step if progress is not None else 0


def latency_and_frames(seconds: float) -> tuple[dict[str, float], dict[str, float]]:
    """(engine paused, engine flat out with 8 runs) in one window at 1280×800."""
    state = SessionState.from_dict(EIGHT_RUNS)
    state.speed = None
    window = MainWindow(state, Settings.ephemeral())
    window.show()
    wait_until(lambda: window.feed.progress is not None and "grid" in window.feed.points, 30)
    try:
        idle = measure(window, min(2.0, seconds))
        window.controls.playback.play_button.click()
        wait_until(lambda: _step(window) > 0, 10)
        busy = measure(window, seconds)
    finally:
        window.close()
    return idle, busy


def usable_start(repeats: int) -> list[dict[str, float]]:
    """``main.py --startup-time``'s report per run: seconds to the first paint, to the engine."""
    runs = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, str(ROOT / "main.py"), "--startup-time"],
                              check=True, cwd=ROOT, capture_output=True, encoding="utf-8")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return runs


def cold_start(repeats: int) -> list[float]:
    """Seconds from process start to a painted, grabbed window (and exit)."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            out = Path(tmp) / f"start{i}.png"
            started = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out),
                            "--steps", "0"], check=True, cwd=ROOT, capture_output=True)
            times.append(time.perf_counter() - started)
    return times


def verdict(name: str, value: float) -> str:
    sign, target = TARGETS[name]
    ok = value <= target if sign == "≤" else value >= target
    return f"{name:<20} {value:8.1f}   target {sign} {target:g}   {'OK' if ok else 'MISSED'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of G1/G2")
    parser.add_argument("--quick", action="store_true", help="2 s and one cold start")
    parser.add_argument("--start-only", action="store_true", help="G3 only")
    args = parser.parse_args()
    seconds = 2.0 if args.quick else args.seconds
    repeats = 1 if args.quick else 3
    if args.start_only:
        _print_starts(usable_start(repeats), cold_start(repeats))
        return
    app = QApplication.instance() or QApplication(sys.argv[:1])
    idle, busy = latency_and_frames(seconds)
    app.processEvents()
    usable, starts = usable_start(repeats), cold_start(repeats)
    print(f"G1/G2: 8 runs on Rosenbrock, flat out for {seconds:g} s "
          f"({busy['steps/s']:,.0f} steps/s in the engine thread)")
    for name, row in (("engine paused:  ", idle), ("engine flat out:", busy)):
        print(f"  timer lateness, {name} p50 {row['p50']:5.1f} ms   p99 {row['p99']:5.1f} ms   "
              f"frames/s: landscape {row['fps']:4.1f}, loss {row['loss fps']:4.1f}, "
              f"effective lr {row['adaptive fps']:4.1f}")
    _print_starts(usable, starts, verdicts=False)
    print()
    print(verdict("p99 latency (ms)", busy["p99"]))
    print(verdict("frame rate (fps)", busy["fps"]))
    print(verdict("cold start (s)", min(run["painted"] for run in usable)))


def _print_starts(usable: list[dict[str, float]], scripted: list[float],
                  verdicts: bool = True) -> None:
    painted = [run["painted"] for run in usable]
    ready = [run["engine_ready"] for run in usable]
    print(f"G3: cold start to a usable window {painted[0]:.2f} s first, {min(painted):.2f} s "
          f"best of {len(painted)} (engine ready behind it: {ready[0]:.2f} s first, "
          f"{min(ready):.2f} s best)")
    print(f"    scripted start (--screenshot, engine first): {scripted[0]:.2f} s first, "
          f"{min(scripted):.2f} s best of {len(scripted)}")
    if verdicts:
        print(verdict("cold start (s)", min(painted)))


if __name__ == "__main__":
    main()
