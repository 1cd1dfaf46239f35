#!/usr/bin/env bash
# tcp_bench.sh - TCP throughput and connection rate of meshgw's stack against
# the kernel's, on the same veth topology. Not a test: it prints (and writes
# to $OUT, default perf/results/tcp_bench.md) a table of measured figures.
#
#   gateway:  kernel client (netns peer, CPU 0) -> veth -> meshgw (netns gw,
#             one worker pinned to CPU 1, idle = "poll", af_packet) running
#             discard (9), source (19) and echo (7)
#   kernel:   kernel client (netns A, CPU 0) -> veth -> tcpbench serve
#             (netns B, pinned to CPU 1) running the same three services
#
# Both veths have the peer offloads the gateway topology needs (no TSO, GSO,
# GRO, tx checksum), so the kernel baseline carries the same packet count.
# Each figure runs $SECONDS_PER (default 5) seconds after a short warm-up;
# bulk uses 1 and 16 connections, connection rate 16 client threads each
# doing connect, 100 bytes, half-close, read the echo, close.
#
#   perf/tcp_bench.sh              (root; MESHGW_BUILD=build dir, default build/)
set -euo pipefail
source "$(dirname "$0")/../tests/netns/lib.sh"
need taskset

BENCH=$BUILD/perf/tcpbench
[ -x "$BENCH" ] || fail "no $BENCH (ninja -C $BUILD perf/tcpbench)"
SECONDS_PER=${SECONDS_PER:-5}
OUT=${OUT:-$ROOT/perf/results/tcp_bench.md}
KA=mg${ID}ka
KB=mg${ID}kb
KNET=10.$(( 0x${ID:0:2} % 200 + 20 )).$(( (0x${ID:2:2} + 128) % 256 ))
SERVER_PIDS=()

bench_cleanup() {
	for p in "${SERVER_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	ip netns del "$KA" 2>/dev/null || true
	ip netns del "$KB" 2>/dev/null || true
}
trap 'rc=$?; bench_cleanup; (exit $rc); mg_cleanup' EXIT

# client NS ARGS: tcpbench on CPU 0 in namespace NS, its JSON line on stdout.
client() {
	local ns=$1
	shift
	ip netns exec "$ns" taskset -c 0 timeout $((SECONDS_PER + 30)) "$BENCH" "$@" -t "$SECONDS_PER"
}

# Time-wait reuse and a wide port range for the connection-rate runs.
client_sysctls() {
	ip netns exec "$1" sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"
}

declare -A RES
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
awk -v l="$LOAD0" 'BEGIN { exit !(l > 0.5) }' &&
	say "warning: load average $LOAD0 before the run: other work shares these CPUs"

# measure LABEL NS HOST: the five figures against the services at HOST.
measure() {
	local label=$1 ns=$2 host=$3 j
	for c in 1 16; do
		j=$(client "$ns" send "$host" 9 -c $c)
		RES[$label,send$c]=$(jq -r .gbps <<<"$j")
		say "$label: discard, $c conn: $(jq -c . <<<"$j")"
		j=$(client "$ns" recv "$host" 19 -c $c)
		RES[$label,recv$c]=$(jq -r .gbps <<<"$j")
		say "$label: source, $c conn: $(jq -c . <<<"$j")"
	done
	j=$(client "$ns" cps "$host" 7 -c 16 -b 100)
	RES[$label,cps]=$(jq -r .per_second <<<"$j")
	say "$label: echo, connections: $(jq -c . <<<"$j")"
}

# ---- meshgw -------------------------------------------------------------------
mg_topology
mg_peer_route congctl cubic
client_sysctls "$PEER"
# the connection-rate run leaves its TIME-WAITs on the client side only (the
# client closes first), so the tests' table size suffices
WORKERS=1 CORES='cores = [ 1 ];' IDLE=poll mg_tcp_config
mg_start
mg_warm
measure meshgw "$PEER" "$GW_IP"
ctl_json stats | jq -c '{tcp: .totals.tcp | {retrans_segs, fast_retransmits, rto_expiries}, drops: [.totals.drops | to_entries[] | select(.value > 0)] | from_entries, busy: [.workers[] | .busy_cycles / (.busy_cycles + .idle_cycles)]}' >"$TMP/gwstats"
say "meshgw counters: $(cat "$TMP/gwstats")"
mg_stop

# ---- kernel to kernel --------------------------------------------------------
ip netns add "$KA"
ip netns add "$KB"
ip link add "${KA}x" type veth peer name "${KB}x"
ip link set "${KA}x" netns "$KA"
ip link set "${KB}x" netns "$KB"
for ns in "$KA" "$KB"; do
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" ethtool -K "${ns}x" tx off tso off gso off gro off >/dev/null 2>&1 || true
done
ip netns exec "$KA" ip addr add "$KNET.2/24" dev "${KA}x"
ip netns exec "$KB" ip addr add "$KNET.1/24" dev "${KB}x"
ip netns exec "$KA" ip link set "${KA}x" up
ip netns exec "$KB" ip link set "${KB}x" up
ip netns exec "$KA" ip route replace "$KNET.0/24" dev "${KA}x" proto kernel scope link src "$KNET.2" congctl cubic
ip netns exec "$KB" ip route replace "$KNET.0/24" dev "${KB}x" proto kernel scope link src "$KNET.1" congctl cubic
client_sysctls "$KA"
for svc in "9 discard" "19 source" "7 echo"; do
	set -- $svc
	ip netns exec "$KB" taskset -c 1 "$BENCH" serve "$1" "$2" &
	SERVER_PIDS+=($!)
done
sleep 0.5
ip netns exec "$KA" ping -c 1 -W 2 "$KNET.1" >/dev/null || fail "kernel pair not up"
measure kernel "$KA" "$KNET.1"

# ---- the table -----------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
mkdir -p "$(dirname "$OUT")"
{
	echo "| figure | meshgw (1 worker, poll) | kernel to kernel | meshgw / kernel |"
	echo "| --- | ---: | ---: | ---: |"
	for k in send1:"discard, 1 connection (Gbit/s)" send16:"discard, 16 connections (Gbit/s)" \
		recv1:"source, 1 connection (Gbit/s)" recv16:"source, 16 connections (Gbit/s)" \
		cps:"echo, connections per second"; do
		key=${k%%:*}
		echo "| ${k#*:} | ${RES[meshgw,$key]} | ${RES[kernel,$key]} | $(ratio "${RES[meshgw,$key]}" "${RES[kernel,$key]}") |"
	done
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), kernel $(uname -r)," \
		"${SECONDS_PER}s per figure, load average $LOAD0 before the run."
	echo "meshgw worker busy: $(jq -r '.busy | map(. * 100 | floor | tostring + "%") | join(", ")' "$TMP/gwstats");" \
		"its TCP: $(jq -c .tcp "$TMP/gwstats"), drops $(jq -c .drops "$TMP/gwstats")."
} >"$OUT"
cat "$OUT"
