#!/usr/bin/env bash
# The installer's smoke test: build the .deb (or reuse a fresh one), install it, run
# `optimizer-lab --self-test` from the installed location as root and as an unprivileged user,
# check user data stayed out of /opt, remove and purge the package, check nothing is left.
#
#   sudo bash packaging/smoke_test.sh [DEB]     # DEB: test this package instead of building one
#
# Needs root (dpkg -i) and Debian tools. tests/packaging/test_deb.py runs it under pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=optimizer-lab
USER_NAME=${OPTIMIZER_LAB_TEST_USER:-optlab-smoke}
PATHS=(/opt/$NAME /usr/bin/$NAME /usr/share/applications/$NAME.desktop
       /usr/share/icons/hicolor/scalable/apps/$NAME.svg
       /usr/share/icons/hicolor/256x256/apps/$NAME.png /usr/share/doc/$NAME)

say() { printf '== %s\n' "$*"; }
fail() { printf 'smoke test FAILED: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "must run as root (dpkg -i)"
start=$(date +%s)

if [ $# -ge 1 ]; then
    deb=$1
else
    say "build (reused when its inputs are unchanged)"
    bash packaging/build_linux.sh --if-changed
    version=$(.venv/bin/python -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
    deb=dist/${NAME}_${version}_$(dpkg --print-architecture).deb
fi
[ -f "$deb" ] || fail "no package at $deb"
built=$(date +%s)

if dpkg-query -W -f '${Status}' "$NAME" 2>/dev/null | grep -q installed; then
    say "removing a previously installed $NAME"
    dpkg -P "$NAME" >/dev/null
fi
for path in "${PATHS[@]}"; do [ ! -e "$path" ] || fail "$path exists before installing"; done

# Install the system libraries the package depends on when some are missing (bare images).
missing=()
for dep in $(dpkg-deb -f "$deb" Depends | sed 's/([^)]*)//g; s/,/ /g'); do
    dpkg-query -W -f '${Status}' "$dep" 2>/dev/null | grep -q 'ok installed' || missing+=("$dep")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing missing dependencies: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

say "dpkg -i $deb"
dpkg -i "$deb" >/dev/null
for path in "${PATHS[@]}"; do [ -e "$path" ] || fail "$path missing after installing"; done
[ "$(command -v $NAME)" = /usr/bin/$NAME ] || fail "$NAME is not on PATH at /usr/bin"
find /opt/$NAME -perm -o+w -not -type l | grep -q . && fail "world-writable files in /opt/$NAME"
installed=$(date +%s)

marker=$(mktemp)  # files under /opt newer than this were written by a run
sleep 1

say "self-test as root (offscreen)"
QT_QPA_PLATFORM=offscreen /usr/bin/$NAME --self-test || fail "self-test as root exited $?"

say "self-test as the unprivileged user $USER_NAME (offscreen, clean environment)"
id "$USER_NAME" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$USER_NAME"
home=$(getent passwd "$USER_NAME" | cut -d: -f6)
before=$(find "$home" -type f | wc -l)
runuser -u "$USER_NAME" -- env -i HOME="$home" USER="$USER_NAME" PATH=/usr/bin:/bin \
    QT_QPA_PLATFORM=offscreen $NAME --self-test || fail "self-test as $USER_NAME exited $?"
# A normal start writes settings; a crash-free start and close must land in the user's
# own directories (platformdirs), never next to the program.
runuser -u "$USER_NAME" -- env -i HOME="$home" USER="$USER_NAME" PATH=/usr/bin:/bin \
    QT_QPA_PLATFORM=offscreen timeout 60 $NAME --screenshot "$home/smoke.png" --steps 20 \
    || fail "--screenshot as $USER_NAME exited $?"
[ -s "$home/smoke.png" ] || fail "no screenshot written by $USER_NAME"
after=$(find "$home" -type f | wc -l)
say "files in $home: $before before, $after after"
written=$(find /opt/$NAME -newer "$marker" | head -5)
[ -z "$written" ] || fail "a run wrote into /opt/$NAME: $written"
rm -f "$marker"
ran=$(date +%s)

say "dpkg -r, then dpkg -P"
dpkg -r "$NAME" >/dev/null
for path in "${PATHS[@]}"; do [ ! -e "$path" ] || fail "$path left after dpkg -r"; done
dpkg -P "$NAME" >/dev/null
dpkg-query -W "$NAME" >/dev/null 2>&1 && fail "dpkg still knows $NAME after purge"
for path in "${PATHS[@]}"; do [ ! -e "$path" ] || fail "$path left after dpkg -P"; done
end=$(date +%s)

say "passed: build $((built - start))s, install $((installed - built))s, runs $((ran - installed))s," \
    "remove $((end - ran))s, total $((end - start))s"
