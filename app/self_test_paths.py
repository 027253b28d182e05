"""``--self-test``, part two: the engine paths that lean on data and programs inside libraries.

An installer carries Python's packages as files it chose; these checks prove, from wherever the
program runs (an installed bundle included), that what the newer features need came along:
scikit-learn's bundled 8×8 digits (a network trains on them a few steps through
``optim_core.run_experiment``), the whitelist parser of your own function (it races on
Rosenbrock's expression), Pillow's GIF writer and the ffmpeg binary inside imageio-ffmpeg (a
two-frame GIF and MP4 into a temporary folder, removed afterwards), and PyOpenGL with
``pyqtgraph.opengl`` for the 3D tab (imported only: the offscreen platform has no GL context).
Each check returns the failures it found, each one sentence; none writes user settings.
"""

from __future__ import annotations

import importlib
import math
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.animation_writer import AnimationWriter
from optim_core import run_experiment

TRAIN_STEPS = 3
DIGITS = {"network": {"dataset": "digits", "hidden": [8], "activation": "tanh"},
          "steps": TRAIN_STEPS, "batch_size": 16, "seed": 1,
          "layer_stats_every": 0, "noise_scale_every": 0, "sharpness_every": 0,
          "runs": [{"optimizer": "AdamW", "lr": 0.01, "clip_norm": 1.0}]}
CUSTOM = {"problem": {"name": "custom", "expression": "(1 - x)**2 + 100*(y - x**2)**2",
                      "view": [-2, 2, -1, 3]},
          "steps": TRAIN_STEPS, "runs": [{"optimizer": "SGD", "lr": 0.001}]}
#: the first bytes of a file of each kind (an MP4 names its "ftyp" box at byte 4)
SIGNATURES = {".gif": (0, b"GIF8"), ".mp4": (4, b"ftyp")}
#: modules the 3D tab imports (PyOpenGL is the package ``OpenGL``)
OPENGL_MODULES = ("OpenGL.GL", "pyqtgraph.opengl")


def check_engine_paths() -> list[str]:
    """Run every check below; returns the failures (empty: all good)."""
    failures: list[str] = []
    for check in CHECKS:
        failures += check()
    return failures


def check_digits_training() -> list[str]:
    """A small network trains on the digits data set a few steps, its losses finite."""
    return _check_losses("the digits network", DIGITS)


def check_custom_function() -> list[str]:
    """Your own function (Rosenbrock's expression) parses and an optimizer steps on it."""
    return _check_losses("the custom function", CUSTOM)


def check_animation_files(folder: Path | None = None) -> list[str]:
    """A two-frame GIF (Pillow) and MP4 (imageio-ffmpeg's ffmpeg) are written and look right."""
    with tempfile.TemporaryDirectory(prefix="optimizer-lab-self-test-") as temp:
        return _write_animations(Path(folder or temp))


def check_opengl_modules() -> list[str]:
    """PyOpenGL and pyqtgraph.opengl import (the 3D tab's code is there)."""
    failures = []
    for name in OPENGL_MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # an installer may break it any way at all
            failures.append(f"the 3D view's {name} could not be imported ({exc})")
    return failures


def _check_losses(what: str, config: dict) -> list[str]:
    try:
        run = run_experiment(config)["runs"][0]
    except Exception as exc:  # report, do not crash: this is a test
        return [f"{what} did not run ({type(exc).__name__}: {exc})"]
    losses = [float(v) for v in np.asarray(run["loss"]).ravel()]  # 2D runs add the start's
    if len(losses) < TRAIN_STEPS or not all(math.isfinite(v) for v in losses):
        return [f"{what} gave losses {losses}, not {TRAIN_STEPS} or more finite numbers"]
    return []


def _write_animations(folder: Path) -> list[str]:
    failures = []
    for suffix, (at, signature) in SIGNATURES.items():
        path = folder / f"self-test{suffix}"
        try:
            writer = AnimationWriter(path, fps=10, colors=("#1f77b4",))
            for k in range(2):
                frame = np.full((32, 48, 3), 255, dtype=np.uint8)
                frame[8:24, 8 + 16 * k:24 + 16 * k] = (31, 119, 180)  # a square that moves
                writer.add(frame)
            writer.close()
            head = path.read_bytes()[:at + len(signature)]
        except Exception as exc:
            failures.append(f"a {suffix} animation could not be written ({type(exc).__name__}: "
                            f"{exc})")
            continue
        if head[at:] != signature:
            failures.append(f"the {suffix} animation written is not a {suffix} file")
    return failures


CHECKS: tuple[Callable[[], list[str]], ...] = (
    check_digits_training, check_custom_function, check_animation_files, check_opengl_modules)


def timed_engine_paths() -> tuple[list[str], float]:
    """:func:`check_engine_paths` and the seconds it took."""
    started = time.perf_counter()
    failures = check_engine_paths()
    return failures, time.perf_counter() - started
