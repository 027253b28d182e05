"""Optimizer Lab: start the window (``optimizer-lab``), or run it scripted.

    python main.py [--experiment FILE] [--steps N]
    python main.py --screenshot OUT.png [--experiment FILE] [--steps N]
    python main.py --self-test
    python main.py --startup-time
    python main.py --animate OUT.gif|OUT.mp4 [--experiment FILE | --lesson KEY] [--steps N]
                   [--fps F] [--panels landscape,loss,adaptive,noise]
"""

from __future__ import annotations

import argparse
import os
import sys


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="optimizer-lab", description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", metavar="FILE", help="experiment JSON to open")
    parser.add_argument("--steps", type=int, metavar="N", help="steps to run (default: all)")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="run the steps, save a grab of the whole window, exit")
    parser.add_argument("--self-test", action="store_true",
                        help="run a short experiment offscreen, check every panel, exit")
    parser.add_argument("--lesson", metavar="KEY", help="open a lesson (see the Lessons menu)")
    parser.add_argument("--presentation", type=float, choices=(1.0, 1.5, 2.0), metavar="SCALE",
                        help="presentation mode for this run: 1 (off), 1.5 or 2")
    parser.add_argument("--animate", metavar="OUT.gif|OUT.mp4",
                        help="draw the run frame by frame offscreen into a GIF or MP4, exit")
    parser.add_argument("--startup-time", action="store_true",
                        help="open the window, print the seconds to its first paint and to the "
                             "engine ready, exit")
    parser.add_argument("--fps", type=float, metavar="F", help="frames per second (--animate)")
    parser.add_argument("--panels", metavar="LIST",
                        help="panels to animate: landscape,loss,adaptive,noise")
    args = parser.parse_args(argv)
    if args.steps is not None and args.steps < 0:
        parser.error("--steps must be 0 or more")
    if args.experiment and args.lesson:
        parser.error("--experiment and --lesson: choose one")
    if (args.fps is not None or args.panels is not None) and not args.animate:
        parser.error("--fps and --panels go with --animate")
    return args


def main(argv: list[str] | None = None) -> int:
    """The ``optimizer-lab`` entry point; returns the exit status."""
    args = parse_args(argv)
    if args.animate:
        return _animate(args)
    scripted = bool(args.screenshot or args.self_test)
    if args.self_test or ((scripted or args.startup_time) and not os.environ.get("DISPLAY")
                          and not os.environ.get("WAYLAND_DISPLAY")):
        from app.offscreen import use_offscreen

        use_offscreen()  # a grab offscreen is the same picture
    import shiboken6
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    app.setApplicationName("Optimizer Lab")
    app.setDesktopFileName("optimizer-lab")  # matches the installed .desktop entry and its icon
    app.setWindowIcon(QIcon.fromTheme("optimizer-lab"))  # the installed hicolor icon, if any
    # No splash screen: the window itself paints in about a second, the engine (torch) loading
    # behind it in the engine thread. (A splash, shown first, cost a second more on X11: the
    # window came at 2.1–2.7 s with it, 1.2–1.3 s without.)

    from app import MainWindow, Settings
    from app.interrupt import close_on_interrupt
    from app.presentation import apply_presentation_scale
    from optim_core.errors import ConfigError
    from optim_core.files import read_json

    state = None  # the window restores the last experiment once the engine has loaded
    if scripted or args.experiment or args.lesson:  # these need the engine now (loaded here)
        from app import SessionState

        if scripted:
            state = SessionState.default()
    if args.lesson:
        from app.animation_cli import lesson_key

        try:
            lesson_key(args.lesson)
        except ConfigError as exc:
            print(f"optimizer-lab: {exc}", file=sys.stderr)
            return 2
    ask_device = False  # a file for a device this PC lacks: the window offers the CPU
    if args.experiment:
        try:
            state = SessionState.from_dict(read_json(args.experiment))
        except ConfigError as exc:
            if exc.field != "device" or scripted:
                print(f"optimizer-lab: {args.experiment}: {exc}", file=sys.stderr)
                return 2
            ask_device = True
    settings = Settings.ephemeral() if scripted or args.startup_time else Settings()
    apply_presentation_scale(app, args.presentation or settings.presentation_scale())
    window = MainWindow(state, settings, path=None if ask_device else args.experiment)
    if args.lesson:
        window.open_lesson(args.lesson)
    try:
        if args.startup_time:
            from app.startup_time import report_startup

            return report_startup(app, window)
        if args.self_test:
            from app.self_test import run_self_test

            failures = run_self_test(window)
            for failure in failures:
                print(f"self-test failed: {failure}", file=sys.stderr)
            return 1 if failures else 0
        if args.screenshot:
            from app.scripted import screenshot

            error = screenshot(window, args.screenshot, args.steps)
            if error:
                print(f"optimizer-lab: {error}", file=sys.stderr)
            return 1 if error else 0
        if args.steps is not None:
            window.set_steps(args.steps)
        close_on_interrupt(window)
        window.show()
        if ask_device:
            window.open_experiment(args.experiment)  # run it on the CPU instead, or cancel
        status = app.exec()
        while window.rebuild_requested:  # presentation mode switched: same experiment, redrawn
            window = _rebuilt(app, window)
            close_on_interrupt(window)
            window.show()
            status = app.exec()
        return status
    finally:
        window.shutdown()
        # Destroy the window's C++ tree now, while Python is whole: left to interpreter exit,
        # PySide deletes it from an atexit hook in which pyqtgraph's Python overrides of
        # QGraphicsWidget events can no longer run, and the process crashes (seen ~1 in 3 exits).
        shiboken6.delete(window)


def _rebuilt(app: object, old: object) -> object:
    """A new window on ``old``'s experiment and file, drawn at the scale now in the settings."""
    import shiboken6

    from app import MainWindow
    from app.presentation import apply_presentation_scale

    old.shutdown()
    old.feed.stop()
    app.processEvents()  # the feed's last frame ends (it would touch its deleted timer)
    state, settings, path, lesson = old.state, old.settings, old.path, old.lesson_on_show
    shiboken6.delete(old)
    apply_presentation_scale(app, settings.presentation_scale())
    window = MainWindow(state, settings, path=path)
    if lesson is not None:  # mid-lesson: its title and text stay
        window.resume_lesson(lesson)
    return window


def _animate(args: argparse.Namespace) -> int:
    from app.offscreen import use_offscreen

    use_offscreen()  # frames are drawn offscreen: no window opens
    from PySide6.QtWidgets import QApplication

    from app.animation_cli import run_animate

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Optimizer Lab")
    if args.presentation:
        from app.presentation import apply_presentation_scale

        apply_presentation_scale(app, args.presentation)
    return run_animate(args.animate, args.experiment, args.lesson, args.steps, args.fps,
                       args.panels)


if __name__ == "__main__":
    sys.exit(main())
