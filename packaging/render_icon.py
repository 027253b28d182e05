"""Render packaging/icon.svg to the raster icons installers need, with Qt (no other tools).

    python packaging/render_icon.py OUT.png [--size 256]   # Linux hicolor PNGs
    python packaging/render_icon.py OUT.ico                 # Windows (16…256 in one file)
    python packaging/render_icon.py OUT.icns                # macOS (Qt's icns writer)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

SVG = Path(__file__).resolve().with_name("icon.svg")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", type=int, default=256, help="pixels (PNG; ICO/ICNS use 256)")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtCore, QtGui, QtSvg

    app = QtGui.QGuiApplication(sys.argv[:1])  # noqa: F841  (QImage writers need an app)
    renderer = QtSvg.QSvgRenderer(str(SVG))
    size = args.size if args.out.suffix.lower() == ".png" else 256
    image = QtGui.QImage(size, size, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(image)
    renderer.render(painter)
    painter.end()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(args.out)):
        print(f"render_icon: Qt cannot write {args.out.suffix} here", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
