"""Files the window and the engine both read and write, without torch: JSON in, atomic writes out.

:func:`read_json` turns every I/O or syntax error into a :class:`ConfigError` naming the file;
:func:`atomic_write` writes under a temporary name in the target's folder, syncs, and moves the
file into place only when complete.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from optim_core.errors import ConfigError

__all__ = ["atomic_write", "read_json"]


def read_json(path: str | Path) -> Any:
    """Read a JSON file, turning I/O and syntax errors into ConfigError naming the file."""
    try:
        # utf-8-sig: a byte-order mark (as Windows Notepad writes) is skipped
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError("file", str(path), f"a readable file ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError("file", str(path), f"UTF-8 text (byte {exc.start} is not)") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            "file", str(path), f"valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise ConfigError("file", str(path), "valid JSON (it is nested too deeply)") from None
    except ValueError:  # an integer of more digits than Python converts (4300)
        raise ConfigError("file", str(path), "valid JSON (a number has too many digits)") from None


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write`` on a temporary file next to ``path``, then move it into place.

    Any exception (from ``write`` or the file system) removes the temporary file and leaves
    ``path`` as it was; I/O errors become a :class:`ConfigError` on ``out``.
    """
    path = Path(path)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        # os.open with 0o666 lets the umask decide the permissions, as for a plain open().
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except OSError as exc:
        raise ConfigError("out", str(path), f"a writable file ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
        _sync_folder(path.parent)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise ConfigError("out", str(path), f"a writable file ({exc.strerror})") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; elsewhere the rename is all there is)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
