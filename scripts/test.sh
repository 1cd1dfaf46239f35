#!/usr/bin/env bash
# test.sh - the README's test command: set up the machine, build (gcc and
# clang, --werror), run the unit tests and fuzz-corpus replays, the same unit
# tests under ASan/UBSan plus an integration smoke, the style check, and the
# netns integration tests one at a time. Ends with "N passed, N failed" and
# exits non-zero unless nothing failed. A test that cannot run is a failure.
#
#   scripts/test.sh            quick tier (CI)
#   MESHGW_SOAK=1 scripts/test.sh   adds the soak tier
#   scripts/test.sh NAME...    only the netns tests named (after the unit tiers)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PASS=0
FAIL=0
FAILED=()
RESULTS=$(mktemp -d /tmp/meshgw-results.XXXXXX)

ok() { PASS=$((PASS + 1)); printf 'PASS %s\n' "$1"; }
ko() { FAIL=$((FAIL + 1)); FAILED+=("$1"); printf 'FAIL %s\n' "$1"; }

# Runs a command as one named test, its output kept in $RESULTS/NAME.log.
run() {
	local name=$1
	shift
	local t0=$SECONDS log=$RESULTS/${name//\//_}.log
	if "$@" >"$log" 2>&1; then
		ok "$name ($((SECONDS - t0))s)"
	else
		ko "$name ($((SECONDS - t0))s)"
		tail -30 "$log" | sed 's/^/    | /'
	fi
}

# Counts every meson test of a finished `meson test` run as its own result.
meson_suite() {
	local label=$1 build=$2
	shift 2
	meson test -C "$build" --no-rebuild --print-errorlogs "$@" >"$RESULTS/$label.log" 2>&1
	local log=$build/meson-logs/testlog.json
	if [ ! -s "$log" ]; then
		ko "$label: no test ran"
		tail -20 "$RESULTS/$label.log" | sed 's/^/    | /'
		return
	fi
	while IFS=$'\t' read -r name result; do
		if [ "$result" = "OK" ]; then ok "$label/$name"; else ko "$label/$name ($result)"; fi
	done < <(jq -r '[.name, .result] | @tsv' "$log")
	# the failing tests' own output
	jq -r 'select(.result != "OK") | .name + ":\n" + (.stdout // "")' "$log" | tail -40 | sed 's/^/    | /'
	return 0
}

echo "== setup"
"$ROOT/scripts/setup.sh" || { ko setup; }

echo "== build (gcc, --werror)"
run build_gcc "$ROOT/scripts/build.sh" "$ROOT/build"
echo "== build (clang, --werror)"
run build_clang env CC=clang "$ROOT/scripts/build.sh" "$ROOT/build-clang"
echo "== build (ASan/UBSan)"
run build_asan env CC=clang "$ROOT/scripts/build.sh" "$ROOT/build-asan" \
	-Db_sanitize=address,undefined -Db_lundef=false \
	-Dc_args=-fno-sanitize-recover=all -Dbuildtype=debug

echo "== unit tests and fuzz corpus replays"
meson_suite unit "$ROOT/build" --suite unit --suite fuzz
echo "== unit tests under ASan/UBSan"
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
meson_suite asan "$ROOT/build-asan" --suite unit --suite fuzz

echo "== style"
run clang_format "$ROOT/scripts/check-format.sh"
run config_check "$ROOT/scripts/check-configs.sh" "$ROOT/build/meshgw"

echo "== integration (netns, one at a time)"
TESTS=("$@")
if [ ${#TESTS[@]} -eq 0 ]; then
	for t in "$ROOT"/tests/netns/test_*.sh; do TESTS+=("$(basename "$t" .sh)"); done
fi
for t in "${TESTS[@]}"; do
	run "netns/$t" timeout 300 bash "$ROOT/tests/netns/$t.sh"
done
echo "== integration smoke under ASan/UBSan"
run "asan/netns/test_ping" env MESHGW_BUILD="$ROOT/build-asan" MESHGW_SMOKE=1 \
	timeout 300 bash "$ROOT/tests/netns/test_ping.sh"

if [ "${MESHGW_SOAK:-0}" = 1 ]; then
	echo "== soak tier"
	for t in "$ROOT"/tests/soak/*.sh; do
		[ -e "$t" ] || continue
		run "soak/$(basename "$t" .sh)" bash "$t"
	done
fi

rm -rf "$RESULTS"
echo
if [ $FAIL -gt 0 ]; then
	printf 'failed: %s\n' "${FAILED[@]}"
fi
echo "$PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
