"""What an animation shows, and the thread that computes its frames (no drawing here).

:class:`AnimationSpec` says what to animate: the experiment, how many steps, frames per second,
which panels, and the lesson's look (arrows, loss axes). :class:`FrameSource` runs the experiment
in a thread of its own — the landscape grid first, then a snapshot (and, for the noise panel, the
minibatch gradients) at every frame's step — and hands them over through a bounded queue; the GUI
thread only draws them. :func:`frame_steps` spreads at most ``max_frames`` frames over the run.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from app.landscape_grid import GridCancelled, landscape_grid
from app.noise_draws import noise_draws
from app.panel_feed import Roster
from app.session_state import SessionState
from app.worker import HISTORY_BUDGET
from optim_core.errors import ConfigError
from optim_core.experiment import Experiment
from optim_core.session import Session

#: the panels an animation can show, in the order they are laid out
PANEL_NAMES = ("landscape", "loss", "adaptive", "noise")
DEFAULT_PANELS = ("landscape", "loss")
MAX_FRAMES = 200  #: frames of an animation at most (a slide's 10–20 s)
DEFAULT_FPS = 15.0
MAX_STEPS = 100_000
QUEUE_FRAMES = 4  #: frames computed ahead of the drawing


def parse_panels(text: str) -> tuple[str, ...]:
    """``"landscape,loss"`` as a tuple of panel names; a ConfigError names anything else."""
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    bad = [name for name in names if name not in PANEL_NAMES]
    if bad or not names or len(set(names)) != len(names):
        raise ConfigError("panels", text, "a comma-separated list of distinct panels from "
                          + ", ".join(PANEL_NAMES))
    return tuple(name for name in PANEL_NAMES if name in names)


def frame_steps(steps: int, max_frames: int = MAX_FRAMES) -> list[int]:
    """The step each frame shows: every step from 0 when they fit, else ``max_frames`` evenly
    spread ones, always with the start and the last step."""
    if steps + 1 <= max_frames:
        return list(range(steps + 1))
    return [int(s) for s in np.unique(np.linspace(0, steps, max_frames).round().astype(int))]


def roster_of(state: SessionState) -> Roster:
    """The runs as the window labels and colours them (a run from several starts says which)."""
    rows = state.session_rows()
    runs = [state.runs[r] for r in rows]
    labels = [run.display_label for run in runs]
    if state.starts and len(state.starts) > 1:
        starts = state.starts * (len(rows) // len(state.starts))
        labels = [f"{label} from ({x:g}, {y:g})" for label, (x, y) in zip(labels, starts,
                                                                          strict=True)]
    return Roster(labels=tuple(labels), colors=tuple(run.color for run in runs))


@dataclass(frozen=True)
class AnimationSpec:
    """Everything an animation is made from; :meth:`of_state` checks the numbers."""

    experiment: Experiment
    roster: Roster
    steps: int
    fps: float = DEFAULT_FPS
    panels: tuple[str, ...] = DEFAULT_PANELS
    arrows: tuple[str, ...] = ("gradient", "velocity")
    log_loss: bool | None = None  #: None: as the problem suggests
    loss_x: str = "steps"
    noise_run: int = 0
    max_frames: int = MAX_FRAMES

    @property
    def frames(self) -> list[int]:
        """The step each frame shows."""
        return frame_steps(self.steps, self.max_frames)

    @classmethod
    def of_state(cls, state: SessionState, *, steps: int | None = None, fps: float = DEFAULT_FPS,
                 panels: Sequence[str] = DEFAULT_PANELS, **look: object) -> AnimationSpec:
        """The animation of ``state`` (its own steps unless ``steps``); ConfigError on bad
        numbers, naming the option."""
        steps = state.steps if steps is None else steps
        if not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
            raise ConfigError("steps", steps, f"a whole number from 1 to {MAX_STEPS:,}")
        if not (0 < fps <= 60):
            raise ConfigError("fps", fps, "a number > 0 and ≤ 60")
        if not state.session_rows():
            raise ConfigError("runs", [], "at least one run that is on")
        return cls(state.experiment(), roster_of(state), steps, float(fps),
                   tuple(p for p in PANEL_NAMES if p in panels), **look)


class FrameSource(threading.Thread):
    """Computes the animation's grid and frames off the GUI thread; read them from ``items``.

    Items: ``("grid", LandscapeGrid)``, then ``("frame", index, Snapshot, NoiseDraws | None)``
    for each frame, then ``("done",)`` — or ``("error", text)`` when the engine refuses.
    """

    def __init__(self, spec: AnimationSpec) -> None:
        super().__init__(name="optimizer-lab animation", daemon=True)
        self.spec = spec
        self.items: queue.Queue[tuple] = queue.Queue(maxsize=QUEUE_FRAMES)
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    def run(self) -> None:
        try:
            self._compute()
        except GridCancelled:
            return
        except (ConfigError, RuntimeError, ValueError, MemoryError) as exc:
            self._put(("error", f"The engine stopped: {exc}"))

    def _compute(self) -> None:
        spec = self.spec
        session = Session.from_experiment(spec.experiment, history_budget=HISTORY_BUDGET)
        if "landscape" in spec.panels or "loss" in spec.panels:  # the loss panel's f_min
            grid = landscape_grid(session.problem, cancelled=self._cancelled.is_set)
            if not self._put(("grid", grid)):
                return
        generator = torch.Generator().manual_seed(spec.experiment.seed)
        for index, step in enumerate(spec.frames):
            if step > session.step_count:
                session.step(step - session.step_count)
            if not self._put(("frame", index, session.snapshot(), self._noise(session,
                                                                               generator))):
                return
        self._put(("done",))

    def _noise(self, session: Session, generator: torch.Generator) -> object | None:
        run = self.spec.noise_run
        if "noise" not in self.spec.panels or not session.is_finite_sum or run >= session.n_runs:
            return None
        point = session.current_points()[run]
        if not np.isfinite(point).all():
            return None
        w = torch.as_tensor(point, dtype=session.dtype, device=session.device)
        return noise_draws(session.problem, w, session.batch_sizes()[run], run=run,
                           step=session.step_count, generator=generator)

    def _put(self, item: tuple) -> bool:
        """Queue ``item``, waiting for room; False when cancelled meanwhile."""
        while not self._cancelled.is_set():
            try:
                self.items.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False
