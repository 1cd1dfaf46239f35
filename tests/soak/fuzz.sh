#!/usr/bin/env bash
# fuzz.sh - soak tier: builds the libFuzzer harnesses (clang, -Dfuzz=true,
# ASan/UBSan) and runs each for MESHGW_FUZZ_SECONDS (default 600) on a copy
# of its corpus with its dictionary (MESHGW_FUZZ_HARNESSES picks some). Any
# crash, leak or timeout fails.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$ROOT/build-fuzz
SECS=${MESHGW_FUZZ_SECONDS:-600}
CC=clang "$ROOT/scripts/build.sh" "$BUILD" -Dfuzz=true -Db_sanitize=address,undefined \
	-Db_lundef=false
for h in ${MESHGW_FUZZ_HARNESSES:-fuzz_frame fuzz_tcp fuzz_config fuzz_ctl_proto fuzz_h1_request fuzz_h1_response}; do
	work=$(mktemp -d /tmp/meshgw-$h.XXXXXX)
	cp -r "$ROOT/tests/fuzz/$h/corpus/." "$work/"
	dict=$(ls "$ROOT/tests/fuzz/$h/"*.dict | head -1)
	echo "fuzzing $h for ${SECS}s"
	(cd "$work" && "$BUILD/tests/fuzz/$h" -max_total_time="$SECS" -dict="$dict" \
		-print_final_stats=1 "$work") 2>&1 | tail -5
	rm -rf "$work"
done
