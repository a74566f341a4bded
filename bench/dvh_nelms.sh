#!/bin/sh
# DVH accuracy and speed (bench/README.md, section "DVH accuracy").
# Builds rert (release) in build-bench/ unless RERT is set, then runs
# bench/dvh_nelms.py: all 90 Nelms rows for rert, dicompyler-core and
# plastimatch, and the generated 25-ROI case for speed and peak memory.
#
# usage: bench/dvh_nelms.sh [WORK_DIR] [--skip-peers] [--skip-speed]
#   environment: RERT=path/to/rert, SHARED_DATA (default ../shared/data)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/rert-bench-dvh}
[ $# -gt 0 ] && shift
data=${SHARED_DATA:-$root/../shared/data}
if [ ! -d "$data/nelms-dvh" ]; then
    echo "dvh_nelms.sh: $data/nelms-dvh not found (set SHARED_DATA)" >&2
    exit 2
fi
if [ -z "${RERT:-}" ]; then
    if [ ! -d "$root/build-bench" ]; then
        meson setup "$root/build-bench" "$root" --buildtype=release \
            -Dtests=false >/dev/null
    fi
    ninja -C "$root/build-bench" src/cli/rert >/dev/null
    RERT=$root/build-bench/src/cli/rert
fi
mkdir -p "$work"
exec /usr/bin/python3 "$root/bench/dvh_nelms.py" "$RERT" "$data" "$work" "$@"
