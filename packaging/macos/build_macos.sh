#!/usr/bin/env bash
# Builds Optimizer Lab for macOS: "Optimizer Lab.app" (PyInstaller, --windowed style BUNDLE in
# packaging/optimizer_lab.spec) and a drag-to-Applications .dmg. Untested on this project's
# machines (they run Linux); packaging/ci/build-installers.yml runs it on a macOS runner.
#
#   bash packaging/macos/build_macos.sh      # dist/optimizer-lab-<version>-macos-<arch>.dmg
#
# The .app is not signed or notarized: on a lab Mac, right-click > Open the first time, or sign
# it with `codesign --deep --sign "Developer ID Application: …"` before building the .dmg.
# User data lives in ~/Library/Application Support/optimizer-lab (platformdirs), never in the .app.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
start=$(date +%s)

"$PY" -c 'import PyInstaller' 2>/dev/null || "$PY" -m pip install -q 'pyinstaller>=6.10'
VERSION=$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
export OPTIMIZER_LAB_VERSION=$VERSION

"$PY" packaging/render_icon.py packaging/macos/optimizer-lab.icns
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --workpath build/pyinstaller --distpath build/bundle packaging/optimizer_lab.spec
APP="build/bundle/Optimizer Lab.app"

# The same check as on Linux, from inside the .app.
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/optimizer-lab" --self-test

mkdir -p dist build/dmg
rm -rf build/dmg/*
cp -R "$APP" build/dmg/
ln -s /Applications build/dmg/Applications
DMG=dist/optimizer-lab-$VERSION-macos-$(uname -m).dmg
rm -f "$DMG"
hdiutil create -volname "Optimizer Lab" -srcfolder build/dmg -fs HFS+ -format UDZO -ov "$DMG"
echo "app $(du -sh "$APP" | cut -f1), dmg $(du -h "$DMG" | cut -f1), $(( $(date +%s) - start ))s"
