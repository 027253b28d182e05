"""The speed a user asks for against the speed the window gives, measured in one run.

S1: the AdaGrad lesson (three runs on a mean of quadratics, minibatches of one) played at the
    100 steps/s it asks for, in the real window (offscreen, 1280×800).
S2: four chaotic runs on Rastrigin (large learning rates, paths all over the view) at 100/s.

For each: steps per second over ``--seconds`` of playing (the step counter's rise over the wall
time), the engine's own time per step (stalls included), how the engine thread's ticks were
spent (steps per tick, ticks per second) and the steps the pacer gave up (a backlog longer than
:data:`app.pacer.CATCH_UP_SECONDS`). Target: the asked speed, nothing dropped (on a machine this
loaded a stall past the catch-up can still drop steps; the pace never runs ahead of the clock).

Usage: python bench/bench_speed_felt.py [--seconds S] [--speed N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import MainWindow, SessionState, Settings  # noqa: E402
from app.scripted import wait_until  # noqa: E402
from app.worker import Worker  # noqa: E402

CHAOTIC = {
    "problem": "rastrigin", "start": [2.2, -1.3], "steps": 1_000_000,
    "runs": [
        {"optimizer": "SGD", "lr": 0.02, "momentum": 0.9},
        {"optimizer": "Adam", "lr": 0.5},
        {"optimizer": "RMSprop", "lr": 0.1},
        {"optimizer": "SGD", "lr": 0.05, "momentum": 0.95, "nesterov": True},
    ],
}


def _count_ticks() -> list[tuple[float, int]]:
    """(time, steps) of every tick of the engine thread that stepped (patched onto Worker)."""
    ticks: list[tuple[float, int]] = []
    advance = Worker._advance

    def counted(self: Worker, n: int) -> None:
        started = time.perf_counter()
        advance(self, n)
        ticks.append((time.perf_counter() - started, n))

    Worker._advance = counted
    return ticks


def play(window: MainWindow, seconds: float) -> dict[str, float]:
    """Steps per second over ``seconds`` of playing, and the engine's share of them."""
    ticks = _count_ticks()
    window.controls.playback.play_button.click()
    wait_until(lambda: window.feed.progress is not None and window.feed.progress.playing, 10)
    _wait(1.0)  # settle: the first second fills buffers and caches
    pacer = window.engine._worker._pacer
    first, ticks_before, dropped = window.feed.progress.snapshot.step, len(ticks), pacer.dropped
    started = time.perf_counter()
    _wait(seconds)
    elapsed = time.perf_counter() - started
    last, dropped = window.feed.progress.snapshot.step, pacer.dropped - dropped
    window.controls.playback.play_button.click()
    spent = ticks[ticks_before:]
    steps = sum(n for _, n in spent)
    return {"steps/s": (last - first) / elapsed,
            "ms/step": 1000 * sum(t for t, _ in spent) / max(1, steps),
            "ticks/s": len(spent) / elapsed,
            "steps/tick": steps / max(1, len(spent)), "dropped": dropped}


def _wait(seconds: float) -> None:
    end = time.perf_counter() + seconds
    app = QApplication.instance()
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.002)


def measure(name: str, window: MainWindow, speed: float, seconds: float) -> None:
    window.set_steps(1_000_000)  # the lesson's 1000 steps would end the measurement
    window.reset_runs()
    window._speed_changed(speed)  # as the Speed field does
    row = play(window, seconds)
    print(f"{name:<34} asked {speed:5.0f}/s   got {row['steps/s']:6.1f}/s "
          f"({100 * row['steps/s'] / speed:5.1f} %)   engine {row['ms/step']:.2f} ms/step   "
          f"{row['ticks/s']:5.1f} stepping ticks/s, {row['steps/tick']:.2f} steps each, "
          f"{row['dropped']} dropped")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="time played per case")
    parser.add_argument("--speed", type=float, default=100.0, help="steps per second asked")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(SessionState.default(), Settings.ephemeral())
    window.show()
    try:
        window.open_lesson("adagrad-decay")
        wait_until(lambda: window.feed.progress is not None and "grid" in window.feed.points, 30)
        measure("S1 AdaGrad lesson", window, args.speed, args.seconds)
        window._apply(SessionState.from_dict(CHAOTIC), "four chaotic runs")
        wait_until(lambda: window.feed.progress is not None
                   and window.feed.progress.snapshot.step == 0, 30)
        measure("S2 four chaotic runs on Rastrigin", window, args.speed, args.seconds)
    finally:
        window.close()
        app.processEvents()


if __name__ == "__main__":
    main()
