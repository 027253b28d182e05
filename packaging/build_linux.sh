#!/usr/bin/env bash
# Builds Optimizer Lab for Linux: a PyInstaller one-dir bundle, then a .deb that installs it.
#
#   bash packaging/build_linux.sh              # dist/optimizer-lab_<version>_amd64.deb (zstd, fast)
#   bash packaging/build_linux.sh --xz         # the same, xz-compressed (smaller; for a release)
#   bash packaging/build_linux.sh --if-changed # reuse the last .deb when none of its inputs changed
#
# The bundle is built in build/bundle/optimizer-lab, the package staged in build/deb; both are
# ignored by git. Needs the project's .venv (bash .ci/setup) and dpkg-deb (Debian, Ubuntu).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}

compression=zstd
if_changed=0
for arg in "$@"; do
    case $arg in
        --xz) compression=xz ;;
        --if-changed) if_changed=1 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "build_linux.sh: unknown option $arg (see --help)" >&2; exit 2 ;;
    esac
done

[ -x "$PY" ] || { echo "build_linux.sh: no $PY; run 'bash .ci/setup' first" >&2; exit 1; }
[ -f main.py ] || { echo "build_linux.sh: main.py is missing" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "build_linux.sh: dpkg-deb not found (not Debian?)" >&2; exit 1; }

NAME=optimizer-lab
VERSION=$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
ARCH=$(dpkg --print-architecture)
DEB=dist/${NAME}_${VERSION}_${ARCH}.deb
BUNDLE=build/bundle/$NAME
STAGE=build/deb/root
STAMP=dist/.${NAME}-deb.inputs

# What the package is made of: the app's sources, this recipe, and the exact library versions.
inputs_hash() {
    {
        find main.py app widgets optim_core -name '*.py' -not -path '*/__pycache__/*' | sort \
            | xargs sha256sum
        sha256sum pyproject.toml packaging/optimizer_lab.spec packaging/build_linux.sh \
            packaging/icon.svg
        echo "$compression"
        "$PY" -m pip freeze --exclude-editable 2>/dev/null
    } | sha256sum | cut -d' ' -f1
}
want=$(inputs_hash)
if [ "$if_changed" = 1 ] && [ -f "$DEB" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
    echo "build_linux.sh: $DEB is up to date with its inputs; not rebuilding"
    exit 0
fi

start=$(date +%s)

if ! "$PY" -c 'import PyInstaller' 2>/dev/null; then
    "$PY" -m pip install -q 'pyinstaller>=6.10'
fi

echo "== PyInstaller bundle ($BUNDLE)"
"$PY" -m PyInstaller --noconfirm --log-level WARN \
    --workpath build/pyinstaller --distpath build/bundle packaging/optimizer_lab.spec
bundled=$(date +%s)

# PyInstaller's strip=True breaks numpy's OpenBLAS; these four torch libraries strip safely.
for lib in libtorch_cpu.so libtorch_python.so libc10.so libshm.so; do
    strip --strip-unneeded "$BUNDLE/_internal/torch/lib/$lib"
done
find "$BUNDLE" -name __pycache__ -prune -exec rm -rf {} +
chmod -R u+rwX,go+rX,go-w "$BUNDLE"

echo "== Debian package ($DEB, $compression)"
rm -rf build/deb
mkdir -p "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
    "$STAGE/usr/share/icons/hicolor/scalable/apps" "$STAGE/usr/share/doc/$NAME" "$STAGE/DEBIAN"
cp -al "$BUNDLE" "$STAGE/opt/$NAME"  # hard links: no second copy of 600 MB

cat > "$STAGE/usr/bin/$NAME" <<EOF
#!/bin/sh
# Optimizer Lab launcher; the application lives in /opt/$NAME (user data: platformdirs).
exec /opt/$NAME/$NAME "\$@"
EOF
chmod 755 "$STAGE/usr/bin/$NAME"

cat > "$STAGE/usr/share/applications/$NAME.desktop" <<EOF
[Desktop Entry]
Type=Application
Name=Optimizer Lab
GenericName=Optimizer visualiser
Comment=Watch gradient-based optimizers work, and see why they behave as they do
Exec=$NAME
Icon=$NAME
Terminal=false
Categories=Education;Science;Math;
Keywords=optimizer;gradient;descent;SGD;Adam;machine learning;
StartupWMClass=$NAME
EOF

cp packaging/icon.svg "$STAGE/usr/share/icons/hicolor/scalable/apps/$NAME.svg"
# PNG sizes for menus that do not draw SVG, rendered with the bundled Qt (no new tools).
for size in 48 128 256; do
    mkdir -p "$STAGE/usr/share/icons/hicolor/${size}x${size}/apps"
done
QT_QPA_PLATFORM=offscreen "$PY" - "$STAGE/usr/share/icons/hicolor" "$NAME" <<'EOF'
import sys
from PySide6 import QtCore, QtGui, QtSvg
hicolor, name = sys.argv[1:]
app = QtGui.QGuiApplication([])
renderer = QtSvg.QSvgRenderer("packaging/icon.svg")
for size in (48, 128, 256):
    image = QtGui.QImage(size, size, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(image)
    renderer.render(painter)
    painter.end()
    assert image.save(f"{hicolor}/{size}x{size}/apps/{name}.png"), size
EOF

cat > "$STAGE/usr/share/doc/$NAME/copyright" <<EOF
Optimizer Lab $VERSION. License: MIT.
Bundled: CPython (PSF), PyTorch (BSD-3-Clause), Qt and PySide6 (LGPL-3.0), pyqtgraph (MIT),
NumPy (BSD-3-Clause), platformdirs (MIT), scikit-learn and SciPy (BSD-3-Clause), Pillow
(MIT-CMU), imageio and imageio-ffmpeg (BSD-2-Clause), PyOpenGL (BSD-style) and their
dependencies, under their own licenses. The ffmpeg program inside imageio_ffmpeg/binaries (used
to write MP4 animations) is FFmpeg built with libx264 under the GPL, version 3.
EOF

# System libraries the bundle links to and does not carry (measured with ldd over the bundle;
# the X11 ones are what Qt's xcb platform plugin needs to open a window).
cat > "$STAGE/DEBIAN/control" <<EOF
Package: $NAME
Version: $VERSION
Architecture: $ARCH
Maintainer: Optimizer Lab maintainers <optimizer-lab@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
Section: science
Priority: optional
Depends: libc6 (>= 2.28), libstdc++6, libgcc-s1, zlib1g, libegl1, libgl1, libopengl0, libfontconfig1, libfreetype6, libxkbcommon0, libglib2.0-0, libdbus-1-3, libx11-6, libx11-xcb1, libxcb1, libxcb-cursor0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1, libxcb-randr0, libxcb-render0, libxcb-render-util0, libxcb-shape0, libxcb-shm0, libxcb-sync1, libxcb-xfixes0, libxcb-xkb1, libxkbcommon-x11-0
Recommends: hicolor-icon-theme, desktop-file-utils
Description: desktop lab to watch gradient-based optimizers work
 Optimizer Lab runs SGD, momentum, Adam and friends on 2D landscapes and on
 small neural networks, and shows their paths, losses, effective learning
 rates, gradient noise and curvature side by side.
 This package carries its own Python, PyTorch (CPU) and Qt under /opt/$NAME;
 user settings and experiments are kept in the user's own directories.
EOF

cat > "$STAGE/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q /usr/share/applications || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
fi
exit 0
EOF
cat > "$STAGE/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ] || [ "$1" = purge ]; then
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q /usr/share/applications || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
fi
exit 0
EOF
chmod 755 "$STAGE/DEBIAN/postinst" "$STAGE/DEBIAN/postrm"

mkdir -p dist
rm -f "$DEB"
dpkg-deb --root-owner-group "-Z$compression" --build "$STAGE" "$DEB" >/dev/null
echo "$want" > "$STAMP"
end=$(date +%s)

echo "== Done"
printf '  bundle    %s  (%s)\n' "$(du -sh "$BUNDLE" | cut -f1)" "$BUNDLE"
printf '  installed %s MB\n' "$(( $(du -sk --exclude=DEBIAN "$STAGE" | cut -f1) / 1024 ))"
printf '  package   %s  (%s, %s)\n' "$(du -h "$DEB" | cut -f1)" "$DEB" "$compression"
printf '  time      %ss (PyInstaller %ss, strip + package %ss)\n' \
    "$((end - start))" "$((bundled - start))" "$((end - bundled))"
