"""Window lifecycle: what opening and closing the lab windows (and the main window) leaves behind.

Each lab window is opened from one main window, its job started (an estimate, a sweep, the basin
maps, the network race), then closed, ``--cycles`` times; then ``--main-cycles`` main windows are
made, each opening every lab, and closed. After each phase it prints, from its start to its end:
OS threads, live QTimers, live Python wrappers of the app's own QObjects (a window or panel kept
alive), the bytes malloc has handed out and not got back (``mallinfo2``: the C/Qt heap; then
again without Qt's pixmap cache, where the styles keep drawings of widgets up to 10 MB), and the
resident size before and after ``malloc_trim(0)`` — what glibc returns to the system when asked
is memory already freed, kept in its arenas, not a leak. Linux (glibc) only, offscreen Qt.

Usage: python bench/soak_windows.py [--cycles 200] [--main-cycles 20] [--labs batch,lr,basins,net]
Exit status 1 when a phase leaves a thread, timer or window behind, or grows past ``--limit-mb``
after trimming.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtGui import QPixmapCache
from PySide6.QtWidgets import QApplication

from app import MainWindow, SessionState, Settings
from app.basins_window import BasinsWindow
from app.batch_lab import BatchLabWindow
from app.lr_sweep import LrSweepWindow
from app.main_window import LAB_WINDOWS
from app.network_workbench import NetworkWorkbench

MB = 2**20
EXPERIMENT = {"problem": "rosenbrock", "steps": 30,
              "runs": [{"optimizer": "SGD", "lr": 1e-3}, {"optimizer": "Adam", "lr": 0.05}]}
#: how each lab's job is started (its Run button or Play)
START: dict[type, Callable[[Any], None]] = {
    BatchLabWindow: lambda lab: lab.start_estimate(),
    LrSweepWindow: lambda lab: lab.start_sweep(),
    BasinsWindow: lambda lab: lab.start(),
    NetworkWorkbench: lambda lab: lab.controls.playback.play_button.click(),
}
SHORT = {"batch": BatchLabWindow, "lr": LrSweepWindow, "basins": BasinsWindow,
         "net": NetworkWorkbench}
RUN_SECONDS = 0.05  #: how long a lab's job runs before the window is closed
ALL_AT_ONCE = False  #: main windows left to the end of the phase to be deleted (--all-at-once)


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


_libc = ctypes.CDLL("libc.so.6")
_libc.mallinfo2.restype = _MallInfo2


def malloc_in_use() -> int:
    """Bytes malloc has handed out and not got back, all arenas and mmapped blocks."""
    info = _libc.mallinfo2()
    return info.uordblks + info.hblkhd


def rss() -> int:
    """Resident bytes of this process now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("VmRSS not in /proc/self/status")


def own_wrappers() -> int:
    """Live Python wrappers of the app's own QObjects (windows, panels, workers)."""
    return sum(issubclass(type(o), QObject) and type(o).__module__.startswith(("app.", "widgets."))
               for o in gc.get_objects())


def settle() -> None:
    """Deferred deletes done, events handled, garbage collected."""
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()
        gc.collect()


def counts() -> dict[str, int]:
    """The lifecycle figures now; ``rss`` before and ``rss_trimmed`` after malloc_trim(0)."""
    settle()
    figures = {"threads": len(os.listdir("/proc/self/task")),
               "timers": sum(issubclass(type(o), QTimer) for o in gc.get_objects()),
               "wrappers": own_wrappers(), "malloc": malloc_in_use(),
               "blocks": sys.getallocatedblocks()}
    # the styles' and cached items' drawings, kept up to the cache's limit (10 MB): emptied
    # before the RSS figures, as tests/app/test_lifecycle.py does
    QPixmapCache.clear()
    figures["malloc_uncached"] = malloc_in_use()
    figures["rss"] = rss()
    _libc.malloc_trim(0)
    figures["rss_trimmed"] = rss()
    return figures


def wait(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        QCoreApplication.processEvents()
        time.sleep(0.002)


def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise TimeoutError("the lab window was not deleted")
        QCoreApplication.processEvents()
        time.sleep(0.002)


def lab_cycle(window: MainWindow, kind: type) -> None:
    """Open the lab from ``window``, start its job, let it run a moment, close it."""
    window.open_lab(kind)
    lab = window.findChild(kind)
    START[kind](lab)
    wait(RUN_SECONDS)
    lab.close()
    until(lambda: window.findChild(kind) is None)  # deleted (deleteLater) before it reopens


def main_cycle(folder: Path) -> None:
    """A main window that opens every lab and closes (which closes them); it is deleted before
    the next opens, as the event loop would delete it (``processEvents`` alone leaves deferred
    deletes: with ``--all-at-once`` the 100 main windows stay until the phase ends)."""
    window = make_window(folder)
    for kind in LAB_WINDOWS:
        window.open_lab(kind)
    wait(RUN_SECONDS)
    window.close()
    window.engine.stop(2000)
    window.deleteLater()
    if not ALL_AT_ONCE:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def make_window(folder: Path) -> MainWindow:
    window = MainWindow(SessionState.from_dict(EXPERIMENT), Settings(folder / "c", folder / "d"))
    window.show()
    wait(0.2)
    return window


def phase(name: str, cycles: int, one: Callable[[], None], limit_mb: float) -> bool:
    """Run ``one`` 3 times (warm-up), then ``cycles`` times; print the figures; True if clean."""
    for _ in range(3):
        one()
    before = counts()
    started = time.perf_counter()
    for _ in range(cycles):
        one()
    seconds = time.perf_counter() - started
    after = counts()
    grown = (after["rss_trimmed"] - before["rss_trimmed"]) / MB
    print(f"{name:<18} {cycles:>5} cycles {seconds / cycles:5.2f} s each | threads "
          f"{before['threads']} → {after['threads']}, timers {before['timers']} → "
          f"{after['timers']}, windows/panels alive {before['wrappers']} → {after['wrappers']} | "
          f"Python blocks {(after['blocks'] - before['blocks']) / cycles:+.1f} per cycle, "
          f"malloc in use {(after['malloc'] - before['malloc']) / MB:+.1f} MB, "
          f"{(after['malloc_uncached'] - before['malloc_uncached']) / MB:+.1f} MB without "
          f"Qt's pixmap cache | RSS "
          f"{before['rss_trimmed'] / MB:.0f} → {after['rss'] / MB:.0f} MB, "
          f"{after['rss_trimmed'] / MB:.0f} after malloc_trim (returned "
          f"{(after['rss'] - after['rss_trimmed']) / MB:.0f} MB): {grown:+.1f} MB", flush=True)
    return (after["threads"] <= before["threads"] and after["timers"] <= before["timers"]
            and after["wrappers"] <= before["wrappers"] and grown <= limit_mb)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=200, help="open/start/close per lab")
    parser.add_argument("--main-cycles", type=int, default=20, help="main windows, every lab")
    parser.add_argument("--labs", default=",".join(SHORT), help="of " + ",".join(SHORT))
    parser.add_argument("--limit-mb", type=float, default=16.0,
                        help="most RSS growth per phase after malloc_trim")
    parser.add_argument("--all-at-once", action="store_true",
                        help="main windows deleted only at the end of their phase")
    args = parser.parse_args(argv)
    global ALL_AT_ONCE
    ALL_AT_ONCE = args.all_at_once
    app = QApplication.instance() or QApplication([])
    folder = Path(tempfile.mkdtemp(prefix="soak-windows-"))
    clean = True
    window = make_window(folder)
    for key in args.labs.split(",") if args.cycles else ():
        kind = SHORT[key.strip()]
        clean &= phase(kind.__name__, args.cycles,
                       lambda kind=kind, window=window: lab_cycle(window, kind), args.limit_mb)
    window.close()
    window.engine.stop(2000)
    window.deleteLater()
    del window
    if args.main_cycles:
        clean &= phase("MainWindow + labs", args.main_cycles, lambda: main_cycle(folder),
                       args.limit_mb)
    app.processEvents()
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
