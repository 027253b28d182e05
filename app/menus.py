"""The menus and keyboard shortcuts of the main window: File, Run, Lessons, View, Lab and Help.

File dialogs live here; what a dialog's answer does is the window's business (``open_experiment``,
``save_to``, ``export_panel``…), so tests drive the window without any dialog.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from app.arrows import ARROW_KINDS
from app.lessons import LESSONS
from app.presentation import SCALES
from app.slots import calling
from widgets.style import presentation_scale

if TYPE_CHECKING:
    from app.main_window import MainWindow

IMAGE_FILTER = "PNG image (*.png);;SVG image (*.svg)"
EXPERIMENT_FILTER = "Experiment (*.json);;All files (*)"
ANIMATION_FILTER = "GIF animation (*.gif);;MP4 video (*.mp4)"
#: the Lab menu: (link, title, shortcut, module, class); a lab's module (and the engine it
#: uses) is imported when the lab is first opened, not with the window
LABS = (
    ("lab:batch", "Batch-size lab…", "Ctrl+B", "app.batch_lab", "BatchLabWindow"),
    ("lab:sweep", "Learning-rate sweep…", "Ctrl+L", "app.lr_sweep", "LrSweepWindow"),
    ("lab:network", "Network workbench…", "Ctrl+Shift+N", "app.network_workbench",
     "NetworkWorkbench"),
    ("lab:basins", "Basins of attraction…", None, "app.basins_window", "BasinsWindow"),
)


def lab_class(module: str, name: str) -> type[QWidget]:
    """The class of a lab window (importing it loads the engine)."""
    return getattr(importlib.import_module(module), name)


@dataclass
class Actions:
    """The window's actions, by what they do."""

    play: QAction
    step: QAction
    reset: QAction
    reset_view: QAction
    arrows: dict[str, QAction] = field(default_factory=dict)
    recent: QMenu | None = None
    #: what a lesson's links open: ``lab:batch``, ``lab:sweep``, ``export:script``
    links: dict[str, QAction] = field(default_factory=dict)


def build(window: MainWindow) -> Actions:
    """Create the menu bar and the shortcuts Space (play/pause), → (step) and R (reset)."""
    bar = window.menuBar()
    recent, export_script = _file_menu(window, bar.addMenu("&File"))
    run = bar.addMenu("&Run")
    playback = window.controls.playback
    actions = Actions(
        play=add_action(window, run, "Play / Pause", "Space", playback.play_button.click),
        step=add_action(window, run, "Step", "Right", playback.step_button.click),
        reset=add_action(window, run, "Reset to the start", "R", window.reset_runs),
        reset_view=QAction("Reset view", window),
        recent=recent,
    )
    actions.links["export:script"] = export_script
    _lessons_menu(window, bar.addMenu("L&essons"))
    view = bar.addMenu("&View")
    actions.reset_view.setShortcut(QKeySequence("Ctrl+0"))
    actions.reset_view.triggered.connect(window.landscape.reset_view)
    view.addAction(actions.reset_view)
    _presentation_menu(window, view.addMenu("Presentation mode"))
    arrows = view.addMenu("Arrows at the current points")
    for kind in ARROW_KINDS:
        action = arrows.addAction(kind)
        action.setCheckable(True)
        action.toggled.connect(lambda on, kind=kind: window.feed.set_arrow_visible(kind, on))
        actions.arrows[kind] = action
    view.addSeparator()
    for dock in window.docks:
        view.addAction(dock.toggleViewAction())
    lab = bar.addMenu("&Lab")
    for link, title, shortcut, module, name in LABS:
        actions.links[link] = add_action(
            window, lab, title, shortcut,
            lambda _=False, m=module, n=name: window.open_lab(lab_class(m, n)))
    help_menu = bar.addMenu("&Help")
    add_action(window, help_menu, "What am I looking at?", "F1", window.explain)
    add_action(window, help_menu, "About Optimizer Lab", None, window.about)
    return actions


def add_action(window: QWidget, menu: QMenu, text: str,
               shortcut: str | QKeySequence.StandardKey | None, slot: object) -> QAction:
    """An action of ``window`` in ``menu`` calling ``slot``; its shortcut works anywhere in the
    window."""
    action = QAction(text, window)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(calling(slot))
    menu.addAction(action)
    window.addAction(action)  # shortcuts work while the menu bar is hidden or elsewhere focused
    return action


def _presentation_menu(window: MainWindow, menu: QMenu) -> None:
    """Off, 1.5× and 2× (the window is built anew at the chosen scale); F5 or Ctrl+Shift+P
    switches between off and 1.5× (or back from 2×)."""
    current = presentation_scale()
    group = QActionGroup(menu)
    for scale in SCALES:
        action = menu.addAction("Off" if scale == 1 else f"{scale:g}× — fonts, lines, markers")
        action.setCheckable(True)
        action.setChecked(scale == current)
        group.addAction(action)
        action.triggered.connect(lambda _=False, s=scale: window.set_presentation_scale(s))
    menu.addSeparator()
    switch = add_action(window, menu, "Switch presentation mode on/off", "F5",
                        lambda: window.set_presentation_scale(1.5 if current == 1 else 1.0))
    switch.setShortcuts([QKeySequence("F5"), QKeySequence("Ctrl+Shift+P")])


def _lessons_menu(window: MainWindow, menu: QMenu) -> None:
    """One submenu per lecture section, one entry per lesson; then the list in its tab."""
    sections: dict[str, QMenu] = {}
    for item in LESSONS:
        if item.section not in sections:
            sections[item.section] = menu.addMenu(item.section)
        sections[item.section].addAction(item.title).triggered.connect(
            lambda _=False, key=item.key: window.open_lesson(key))
    menu.addSeparator()
    menu.addAction("All lessons").triggered.connect(window.show_lessons)


def _file_menu(window: MainWindow, menu: QMenu) -> tuple[QMenu, QAction]:
    """Fill the File menu; returns its Open Recent submenu and the script export."""
    add_action(window, menu, "&New", QKeySequence.StandardKey.New, window.new_experiment)
    add_action(window, menu, "&Open…", QKeySequence.StandardKey.Open, lambda: _open(window))
    recent = menu.addMenu("Open &Recent")
    recent.aboutToShow.connect(lambda: _fill_recent(window, recent))
    add_action(window, menu, "&Save", QKeySequence.StandardKey.Save, lambda: _save(window))
    add_action(window, menu, "Save &As…", QKeySequence.StandardKey.SaveAs,
               lambda: _save_as(window))
    menu.addSeparator()
    export = menu.addMenu("&Export")
    for title, panel in (("Landscape", window.landscape), ("Training loss", window.loss),
                         ("Effective learning rate", window.adaptive),
                         ("Gradient noise", window.noise)):
        export.addAction(f"{title} image…").triggered.connect(
            lambda _=False, t=title, p=panel: _export_image(window, t, p))
    export.addSeparator()
    export.addAction("Trajectories (CSV)…").triggered.connect(lambda: _export_csv(window))
    script = export.addAction("PyTorch training script…")
    script.triggered.connect(lambda: _export_script(window))
    export.addAction("Animation (GIF or MP4)…").triggered.connect(
        lambda: _export_animation(window))
    menu.addSeparator()
    add_action(window, menu, "&Quit", QKeySequence.StandardKey.Quit, window.close)
    return recent, script


def _fill_recent(window: MainWindow, menu: QMenu) -> None:
    menu.clear()
    paths = window.settings.recent_files()
    for path in paths:
        menu.addAction(Path(path).name).triggered.connect(
            lambda _=False, p=path: window.open_experiment(p))
        menu.actions()[-1].setToolTip(path)
    if not paths:
        menu.addAction("No recent experiments").setEnabled(False)
        return
    menu.addSeparator()
    menu.addAction("Clear the list").triggered.connect(window.settings.clear_recent)


def _start_dir(window: MainWindow) -> str:
    return str(window.path.parent if window.path else window.settings.experiments_dir)


def _open(window: MainWindow) -> None:
    path, _ = QFileDialog.getOpenFileName(window, "Open experiment", _start_dir(window),
                                          EXPERIMENT_FILTER)
    if path:
        window.open_experiment(path)


def _save(window: MainWindow) -> None:
    if window.path is None:
        _save_as(window)
    else:
        window.save_to(window.path)


def _save_as(window: MainWindow) -> None:
    name = window.path.name if window.path else "experiment.json"
    path, _ = QFileDialog.getSaveFileName(window, "Save experiment",
                                          str(Path(_start_dir(window)) / name), EXPERIMENT_FILTER)
    if path:
        window.save_to(_with_suffix(path, ".json"))


def _export_image(window: MainWindow, title: str, panel: QWidget) -> None:
    stem = title.lower().replace(" ", "-")
    path, chosen = QFileDialog.getSaveFileName(window, f"Export {title.lower()}",
                                               str(Path(_start_dir(window)) / f"{stem}.png"),
                                               IMAGE_FILTER)
    if path:
        window.export_panel(panel, _with_suffix(path, ".svg" if "svg" in chosen else ".png",
                                                allowed=(".png", ".svg")))


def _export_csv(window: MainWindow) -> None:
    path, _ = QFileDialog.getSaveFileName(window, "Export trajectories",
                                          str(Path(_start_dir(window)) / "trajectories.csv"),
                                          "CSV (*.csv)")
    if path:
        window.export_trajectories(_with_suffix(path, ".csv"))


def _export_script(window: MainWindow) -> None:
    path, _ = QFileDialog.getSaveFileName(window, "Export training script",
                                          str(Path(_start_dir(window)) / "train.py"),
                                          "Python (*.py)")
    if path:
        window.export_script(_with_suffix(path, ".py"))


def _export_animation(window: MainWindow) -> None:
    path, chosen = QFileDialog.getSaveFileName(window, "Export animation",
                                               str(Path(_start_dir(window)) / "animation.gif"),
                                               ANIMATION_FILTER)
    if path:
        window.export_animation(_with_suffix(path, ".mp4" if "mp4" in chosen else ".gif",
                                             allowed=(".gif", ".mp4")))


def _with_suffix(path: str, suffix: str, allowed: tuple[str, ...] = ()) -> str:
    """``path`` with ``suffix`` added when it has none of the ``allowed`` ones (or ``suffix``)."""
    if Path(path).suffix.lower() in (allowed or (suffix,)):
        return path
    return path + suffix
