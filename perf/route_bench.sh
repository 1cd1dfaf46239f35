#!/usr/bin/env bash
# route_bench.sh - the route matcher beside a sequential PCRE2-JIT first-match
# loop, at 10, 1,000 and 10,000 routes of perf/route_set.h's generated REST
# API table (method in perf/route_bench.c), pinned to one core. Not root.
# Writes perf/results/route_bench.json and route_bench.md. About a minute.
# Usage: perf/route_bench.sh [BUILDDIR]   (default build; ROUTE_CPU=1,
#        ROUTE_SIZES=10,1000,10000, ROUTE_SECONDS=0.2 per timed pass)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${MESHGW_BUILD:-$ROOT/build}}
OUT=${OUT:-$ROOT/perf/results}
CPU=${ROUTE_CPU:-1}
BIN=$BUILD/perf/route_bench
[ -x "$BIN" ] || { echo "route_bench.sh: no $BIN (needs libpcre2-dev at meson setup)" >&2; exit 1; }
mkdir -p "$OUT"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
load0=$(cut -d' ' -f1 /proc/loadavg)
taskset -c "$CPU" "$BIN" --sizes "${ROUTE_SIZES:-10,1000,10000}" --seconds "${ROUTE_SECONDS:-0.2}" >"$tmp"
jq --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
	--arg kernel "$(uname -r)" --arg load0 "$load0" --arg load1 "$(cut -d' ' -f1 /proc/loadavg)" \
	--argjson pin "$CPU" '{date: $date, cpu: $cpu, kernel: $kernel, pinned_cpu: $pin,
	  load_average_before: ($load0 | tonumber), load_average_after: ($load1 | tonumber)} + .' \
	"$tmp" >"$OUT/route_bench.json"
jq -r '
	def r(x): (x * 10 | round) / 10;
	"| routes | compile (s) | gw_route_match (ns/req) | start / middle / end / miss (ns) | PCRE2 JIT sequential (ns/req) | start / middle / end / miss (ns) | sequential / ours | ours / ours at \(.sizes[0].routes) |",
	"| ---: | ---: | ---: | --- | ---: | --- | ---: | ---: |",
	(.sizes[] | "| \(.routes) | \(.build_s) | \(r(.ns.mix)) | \(r(.ns.start)) / \(r(.ns.middle)) / \(r(.ns.end)) / \(r(.ns.miss)) | \(r(.sequential_ns.mix)) | \(r(.sequential_ns.start)) / \(r(.sequential_ns.middle)) / \(r(.sequential_ns.end)) / \(r(.sequential_ns.miss)) | \(.sequential_over_ours) | \(.ours_over_smallest) |"),
	"",
	"\(.date[0:10]), \(.cpu), kernel \(.kernel), pinned to CPU \(.pinned_cpu), load average \(.load_average_before) before, \(.load_average_after) after. Compile is gw_route_build (Hyperscan); the sequential loop compiles its regexes with pcre2_jit_compile in well under a second at every size."
' "$OUT/route_bench.json" >"$OUT/route_bench.md"
cat "$OUT/route_bench.md"
