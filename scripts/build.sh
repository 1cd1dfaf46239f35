#!/usr/bin/env bash
# build.sh [BUILDDIR] [MESON OPTIONS...] - configure (once) and build with --werror.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
shift || true
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$ROOT" --werror "$@" >/dev/null
fi
if ! ninja -C "$BUILD" >"$BUILD/ninja.log" 2>&1; then
	grep -E 'error|warning|FAILED' "$BUILD/ninja.log" | head -40 >&2
	echo "build failed in $BUILD (full log: $BUILD/ninja.log)" >&2
	exit 1
fi
