"""``python main.py --animate OUT.gif|.mp4``: an animation of an experiment or a lesson, no window.

The options are checked before anything is drawn; a bad one is one line naming it and exit
status 2, as for the engine's command line.
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.animation_frames import DEFAULT_FPS, DEFAULT_PANELS, AnimationSpec, parse_panels
from app.animation_writer import check_animation_path
from app.lessons import LESSONS, lesson
from app.session_state import SessionState
from optim_core.errors import ConfigError
from optim_core.experiment import read_json


def lesson_key(key: str) -> str:
    """``key`` when it names a lesson; else a ConfigError listing the lessons."""
    keys = [item.key for item in LESSONS]
    if key not in keys:
        raise ConfigError("lesson", key, f"one of {', '.join(keys)}")
    return key


def animation_spec(experiment: str | None = None, lesson_name: str | None = None,
                   steps: int | None = None, fps: float | None = None,
                   panels: str | None = None) -> AnimationSpec:
    """The animation the command line asks for (ConfigError naming a bad option)."""
    look: dict[str, object] = {}
    chosen = DEFAULT_PANELS
    if lesson_name is not None:
        item = lesson(lesson_key(lesson_name))
        state = SessionState.from_dict(item.experiment)
        look = {"arrows": item.arrows, "log_loss": item.log_loss, "loss_x": item.loss_x}
        chosen = (*DEFAULT_PANELS, item.panel)
    elif experiment is not None:
        state = SessionState.from_dict(read_json(experiment))
    else:
        state = SessionState.default()
    if panels is not None:
        chosen = parse_panels(panels)
    return AnimationSpec.of_state(state, steps=steps, fps=DEFAULT_FPS if fps is None else fps,
                                  panels=chosen, **look)


def run_animate(out: str, experiment: str | None = None, lesson_name: str | None = None,
                steps: int | None = None, fps: float | None = None,
                panels: str | None = None) -> int:
    """Write the animation to ``out``; the exit status (0, 1 when drawing failed, 2 bad input).
    Call with a QApplication made (offscreen will do)."""
    from app.animation import animate

    try:
        path = check_animation_path(out)
        spec = animation_spec(experiment, lesson_name, steps, fps, panels)
    except ConfigError as exc:
        print(f"optimizer-lab: {exc}", file=sys.stderr)
        return 2
    error = animate(spec, path)
    if error:
        print(f"optimizer-lab: {error}", file=sys.stderr)
        return 1
    print(f"{Path(path)}: {len(spec.frames)} frames at {spec.fps:g} fps")
    return 0
