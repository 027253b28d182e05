"""Animations for slides: ``--animate`` and File → Export → Animation… write GIFs and MP4s of the
size and frame count asked, whose frames show the trajectories growing; bad options are refused
with one line naming them, and a cancelled export leaves no file."""

from __future__ import annotations

import itertools
import re
import subprocess

import imageio_ffmpeg
import numpy as np
import pytest
from app_helpers import SIZE_HINTS
from PIL import Image

from app.animation import CANCELLED, Animator
from app.animation_cli import run_animate
from app.animation_frames import AnimationSpec, frame_steps, parse_panels
from app.animation_stage import stage_size
from app.lessons import LESSONS, lesson
from app.session_state import SessionState
from optim_core.errors import ConfigError

pytestmark = pytest.mark.qt_log_ignore(SIZE_HINTS)  # offscreen: showing the progress dialog


def gif_frames(path) -> list[np.ndarray]:
    with Image.open(path) as image:
        frames = []
        for k in range(image.n_frames):
            image.seek(k)
            frames.append(np.asarray(image.convert("RGB")))
    return frames


def mp4_frames(path) -> tuple[tuple[int, int], list[np.ndarray]]:
    """The MP4's frame size and frames, decoded by the ffmpeg the imageio-ffmpeg wheel carries."""
    decoded = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(path), "-f", "rawvideo",
                              "-pix_fmt", "rgb24", "-"], capture_output=True, check=True)
    w, h = map(int, re.search(rb"Video: .*?, (\d+)x(\d+)", decoded.stderr).groups())
    pixels = np.frombuffer(decoded.stdout, np.uint8).reshape(-1, h, w, 3)
    return (w, h), list(pixels)


def changed(a: np.ndarray, b: np.ndarray) -> int:
    """Pixels that differ clearly (an MP4's compression noise aside)."""
    return int((np.abs(a.astype(int) - b.astype(int)).max(axis=-1) > 40).sum())


@pytest.mark.parametrize("steps, max_frames, expected", [
    (3, 200, [0, 1, 2, 3]),
    (199, 200, list(range(200))),
    (1000, 5, [0, 250, 500, 750, 1000]),
    (7, 3, [0, 4, 7]),
])
def test_frame_steps(steps, max_frames, expected):
    assert frame_steps(steps, max_frames) == expected


@pytest.mark.parametrize("text, expected", [
    ("landscape", ("landscape",)),
    ("loss, landscape", ("landscape", "loss")),
    ("noise,adaptive,loss,landscape", ("landscape", "loss", "adaptive", "noise")),
])
def test_panels_are_parsed(text, expected):
    assert parse_panels(text) == expected


@pytest.mark.parametrize("text", ["", "landscape,bogus", "loss,loss", ","])
def test_bad_panels_are_refused(text):
    with pytest.raises(ConfigError, match="panels"):
        parse_panels(text)


@pytest.mark.parametrize("args, field", [
    ({"out": "film.avi"}, "animation: "),
    ({"out": "film.gif", "panels": "landscape,contour"}, "panels: "),
    ({"out": "film.gif", "lesson_name": "no-such-lesson"}, "lesson: "),
    ({"out": "film.gif", "steps": 0}, "steps: "),
    ({"out": "film.mp4", "fps": 0.0}, "fps: "),
    ({"out": "missing/film.gif"}, "animation: "),
])
def test_bad_options_get_one_line_and_no_file(qapp, tmp_path, capsys, args, field):
    args = {**args, "out": str(tmp_path / args["out"])}
    assert run_animate(**args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"optimizer-lab: {field}") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_lesson_as_gif(qapp, tmp_path, capsys):
    out = tmp_path / "momentum.gif"
    assert run_animate(str(out), lesson_name="momentum", steps=12, fps=10) == 0
    assert "13 frames" in capsys.readouterr().out
    frames = gif_frames(out)
    assert len(frames) == 13
    assert frames[0].shape == (720, 1280, 3)  # landscape, loss and the lesson's panel
    with Image.open(out) as image:
        assert image.info["duration"] == 100 and image.info["loop"] == 0
    # the trajectories grow: every frame differs from the one before
    assert all(changed(a, b) > 50 for a, b in itertools.pairwise(frames))
    assert [p.name for p in tmp_path.iterdir()] == ["momentum.gif"]  # no temporary left


def test_an_experiment_as_mp4(qapp, tmp_path):
    experiment = tmp_path / "exp.json"
    experiment.write_text('{"problem": {"name": "rosenbrock"}, "start": [-1.5, 2], '
                          '"steps": 300, "runs": [{"optimizer": "Adam", "lr": 0.05}]}')
    out = tmp_path / "rosenbrock.mp4"
    assert run_animate(str(out), experiment=str(experiment), steps=20, fps=12,
                       panels="landscape") == 0
    size, frames = mp4_frames(out)
    assert size == stage_size(("landscape",)) == (720, 720)
    assert len(frames) == 21
    assert changed(frames[0], frames[-1]) > 200
    assert changed(frames[10], frames[11]) > 10


def test_long_runs_are_spread_over_at_most_200_frames():
    state = SessionState.from_dict(lesson("adagrad-decay").experiment)
    spec = AnimationSpec.of_state(state, steps=5000)
    assert len(spec.frames) == 200 and spec.frames[0] == 0 and spec.frames[-1] == 5000


@pytest.mark.parametrize("key", [item.key for item in LESSONS])
def test_every_lesson_can_be_animated(qapp, tmp_path, key):
    out = tmp_path / f"{key}.gif"
    assert run_animate(str(out), lesson_name=key, steps=2) == 0
    frames = gif_frames(out)
    assert len(frames) == 3 and frames[0].shape[1] <= 1280


def test_export_from_the_window(make_window, qtbot, tmp_path):
    window = make_window()
    window.open_lesson("nesterov")
    window.set_steps(8)
    out = tmp_path / "nesterov.mp4"
    animator = window.export_animation(out)
    assert isinstance(animator, Animator)
    with qtbot.waitSignal(animator.finished, timeout=60_000) as finished:
        pass
    assert finished.args == [""]
    assert len(mp4_frames(out)[1]) == 9
    # the panels in front: not the noise panel behind the adaptive one's tab
    assert animator.spec.panels == ("landscape", "loss", "adaptive")
    assert "Exported nesterov.mp4" in window.statusBar().currentMessage()


def test_cancel_leaves_no_file(make_window, qtbot, tmp_path):
    window = make_window()
    out = tmp_path / "cancelled.gif"
    animator = window.export_animation(out)
    with qtbot.waitSignal(animator.progress, timeout=30_000):
        pass
    with qtbot.waitSignal(animator.finished, timeout=10_000) as finished:
        animator.cancel()
    assert finished.args == [CANCELLED]
    assert list(tmp_path.glob("*.gif")) == [] and list(tmp_path.glob(".animation-*")) == []
    assert "cancelled" in window.statusBar().currentMessage()


def test_a_refused_export_warns(make_window, tmp_path):
    window = make_window()
    assert window.export_animation(tmp_path / "film.webm") is None
    assert "gif or .mp4" in window.statusBar().currentMessage()
