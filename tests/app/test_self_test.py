"""``--self-test``: its window checks pass on the default window, and the checks of the engine
paths an installer must carry (digits, your own function, GIF/MP4, OpenGL modules) pass here and
report, not raise, when something is missing."""

from __future__ import annotations

import pytest
from app_helpers import SIZE_HINTS

from app import self_test_paths
from app.self_test import run_self_test


@pytest.mark.qt_log_ignore(SIZE_HINTS)  # offscreen: raising a dock
def test_self_test_passes_on_the_default_window(make_window, capsys):
    window = make_window()
    assert run_self_test(window) == []
    out = capsys.readouterr().out
    assert "self-test passed" in out and "digits network" in out


@pytest.mark.parametrize("check", self_test_paths.CHECKS, ids=lambda c: c.__name__)
def test_each_engine_path_check_passes_here(check):
    assert check() == []


@pytest.mark.parametrize(("name", "value", "check", "says"), [
    ("DIGITS", {**self_test_paths.DIGITS, "network": {"dataset": "nope"}},
     self_test_paths.check_digits_training, "the digits network did not run (ConfigError"),
    ("CUSTOM", {**self_test_paths.CUSTOM, "steps": 1},
     self_test_paths.check_custom_function, "not 3 or more finite numbers"),
    ("SIGNATURES", {".gif": (0, b"PNG!")},
     self_test_paths.check_animation_files, "the .gif animation written is not a .gif file"),
    ("OPENGL_MODULES", ("OpenGL.GL", "no_such_gl_module"),
     self_test_paths.check_opengl_modules, "no_such_gl_module could not be imported"),
])
def test_a_broken_path_is_a_failure_naming_it(monkeypatch, name, value, check, says):
    monkeypatch.setattr(self_test_paths, name, value)
    failures = check()
    assert len(failures) == 1 and says in failures[0], failures


def test_animation_check_writes_a_gif_and_an_mp4_where_told(tmp_path):
    assert self_test_paths.check_animation_files() == []
    assert self_test_paths.check_animation_files(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["self-test.gif", "self-test.mp4"]
