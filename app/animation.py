"""Making an animation of a run for slides: File → Export → Animation… and ``--animate``.

Three threads share the work. A :class:`~app.animation_frames.FrameSource` computes the run's
frames (the engine), the GUI thread draws each one on an offscreen
:class:`~app.animation_stage.AnimationStage` (Qt widgets draw only there) from a zero-interval
timer, one frame per turn of the event loop, so the window and its progress dialog stay
responsive; an encoder thread quantizes and writes them (:class:`AnimationWriter`). Cancel stops
all three and leaves no file.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from app.animation_frames import DEFAULT_PANELS, AnimationSpec, FrameSource
from app.animation_stage import AnimationStage
from app.animation_writer import AnimationWriter
from app.gui_collector import collect_in_gui_thread

if TYPE_CHECKING:
    from app.main_window import MainWindow

CANCELLED = "cancelled"


class Animator(QObject):
    """Films ``spec`` into ``path``. Emits ``progress(done, total)`` per frame and
    ``finished(error)`` once: "" when the file is written, :data:`CANCELLED`, or what went
    wrong. Raises ConfigError at once for a bad path or fps."""

    progress = Signal(int, int)
    finished = Signal(str)

    def __init__(self, spec: AnimationSpec, path: str | Path,
                 parent: QObject | None = None) -> None:
        writer = AnimationWriter(path, spec.fps, spec.roster.colors)  # refuses a bad path first
        super().__init__(parent)
        self.spec = spec
        self.total = len(spec.frames)
        self.done = 0
        self.error: str | None = None  # set when finished
        self._writer = writer
        self.path = self._writer.path
        collect_in_gui_thread()  # no garbage collection in the frame and encoder threads
        self._source = FrameSource(spec)
        self._encoded: queue.Queue[object] = queue.Queue(maxsize=8)
        self._encoder = threading.Thread(target=self._encode, name="optimizer-lab encoder",
                                         daemon=True)
        self._encoder_error = ""
        self._stage: AnimationStage | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._stage = AnimationStage(self.spec)
        self._source.start()
        self._encoder.start()
        self._timer.start()

    def cancel(self) -> None:
        """Stop; nothing is written."""
        self._finish(CANCELLED)

    # ------------------------------------------------------------------ GUI thread
    def _tick(self) -> None:
        if self._encoder_error:
            self._finish(self._encoder_error)
            return
        try:
            item = self._source.items.get(timeout=0.01)
        except queue.Empty:
            return
        kind = item[0]
        if kind == "grid":
            self._stage.set_landscape(item[1])
        elif kind == "frame":
            _, index, snapshot, draws = item
            pixels = self._stage.frame(snapshot, draws)
            if not self._hand_over(pixels):
                return
            self.done = index + 1
            self.progress.emit(self.done, self.total)
        elif kind == "error":
            self._finish(item[1])
        else:  # done: the encoder writes the file, the timer waits for it
            self._hand_over(None)
            self._timer.timeout.disconnect(self._tick)
            self._timer.timeout.connect(self._wait_for_file)

    def _hand_over(self, pixels: object) -> bool:
        while self.error is None:
            try:
                self._encoded.put(pixels, timeout=0.05)
                return True
            except queue.Full:
                if self._encoder_error:
                    self._finish(self._encoder_error)
        return False

    def _wait_for_file(self) -> None:
        self._encoder.join(timeout=0.02)
        if not self._encoder.is_alive():
            self._finish(self._encoder_error)

    def _finish(self, error: str) -> None:
        if self.error is not None:
            return
        self.error = error
        self._timer.stop()
        self._source.cancel()
        if error:
            self._encoded_cancel()
        if self._stage is not None:
            self._stage.deleteLater()
            self._stage = None
        self.finished.emit(error)

    def _encoded_cancel(self) -> None:
        """Tell the encoder to give up and wait for it (it removes its temporary file)."""
        while True:
            try:
                self._encoded.put_nowait(CANCELLED)
                break
            except queue.Full:
                with contextlib.suppress(queue.Empty):
                    self._encoded.get_nowait()
        if self._encoder.is_alive():
            self._encoder.join()
        else:
            self._writer.abort()

    # ------------------------------------------------------------------ encoder thread
    def _encode(self) -> None:
        writer = self._writer
        try:
            while True:
                pixels = self._encoded.get()
                if pixels is None:
                    writer.close()
                    return
                if isinstance(pixels, str):  # cancelled
                    writer.abort()
                    return
                writer.add(pixels)
        except (OSError, ValueError) as exc:  # ConfigError is a ValueError
            writer.abort()
            self._encoder_error = f"Could not write {self.path.name}: {exc}"


def animate(spec: AnimationSpec, path: str | Path) -> str:
    """Film ``spec`` into ``path`` and wait for it (the command line's ``--animate``); returns
    "" or what went wrong."""
    animator = Animator(spec, path)
    loop = QEventLoop()
    animator.finished.connect(lambda _error: loop.quit())
    animator.start()
    if animator.error is None:
        loop.exec()
    return animator.error or ""


def animate_with_progress(spec: AnimationSpec, path: str | Path, window: QWidget) -> Animator:
    """Film ``spec`` into ``path`` behind a progress dialog with Cancel (File → Export →
    Animation…); the returned animator's ``finished`` says how it ended."""
    animator = Animator(spec, path, window)
    dialog = QProgressDialog(f"Drawing {Path(path).name}…", "Cancel", 0, animator.total, window)
    dialog.setWindowTitle("Export animation")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(0)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.canceled.connect(animator.cancel)
    animator.progress.connect(lambda done, _total: dialog.setValue(done))
    animator.progress.connect(
        lambda done, total: done == total and dialog.setLabelText("Writing the file…"))
    animator.finished.connect(lambda _error: dialog.close())
    animator.finished.connect(lambda _error: dialog.deleteLater())
    animator.finished.connect(lambda _error: animator.deleteLater())
    dialog.show()
    animator.start()
    return animator


def window_animation(window: MainWindow) -> AnimationSpec:
    """The animation of what the window shows: its experiment, the panels in front (the
    landscape and loss when none is), its arrows, loss axes and noise run. ConfigError when
    there is nothing to film."""
    panels = tuple(name for name in ("landscape", "loss", "adaptive", "noise")
                   if window.feed.is_shown(name)) or DEFAULT_PANELS
    arrows = tuple(kind for kind, action in window.actions.arrows.items() if action.isChecked())
    run = max(0, window.noise.current_run())
    return AnimationSpec.of_state(window.state, panels=panels, arrows=arrows,
                                  log_loss=window.loss.log_y(),
                                  loss_x=window.loss.x_axis() or "steps", noise_run=run)


__all__ = ["CANCELLED", "AnimationSpec", "Animator", "animate", "animate_with_progress",
           "window_animation"]
