#!/usr/bin/env bash
# l4_bench.sh - the L4 comparison: meshgw's L4 proxy beside HAProxy `mode
# tcp`, nginx `stream`, the raw DPDK wire (dpdk-testpmd io forwarding) and
# the direct path, all in one run on one namespace topology. Not a test: it
# writes perf/results/l4_bench.json and l4_bench.md and fails when any
# contender produced no result for any figure.
#
#   netns $PEER (client)        netns $GW (proxy, CPU 1)       netns $SRV (server)
#   wrk, h2load, iperf3 -c      haproxy | nginx | meshgw |     nginx :80, iperf3 -s
#   (CPU 0)                     dpdk-testpmd                   (CPU 0)
#   $PEERIF $NET.2/24 ── veth ── $GWIF        $GWSIF ── veth ── $SRVIF $SNET.2/24
#                               ($NET.1, VIP $NET.100;  $SNET.11..13)
#   $DIRC   $DNET.2/24 ─────────────── veth (direct) ─────────────── $DIRS $DNET.3/24
#
# - direct: the client to the server over their own veth pair, no proxy.
# - wire: testpmd io-forwards $GWIF <-> $GWSIF (net_af_packet, framecnt
#   4096); the server gets $NET.3 on $SRVIF so both share one subnet.
# - haproxy, nginx: kernel proxies listening on the VIP $NET.100 (:80 and
#   :5201 for iperf3), connecting to $SNET.2 from an address of their own
#   (src_ip).
# - meshgw: two af_packet ports, one worker on CPU 1 polling, services on
#   $NET.100:80 and :5201 with one-endpoint clusters.
# For the kernel proxies the proxy namespace's veths carry the addresses;
# for testpmd and meshgw they have none and an nftables netdev ingress chain
# drops everything (af_packet still sees every frame). Every veth end has
# the same offloads off (tx checksum, TSO, GSO, GRO), so every contender
# carries the same packets.
#
# Figures, each $SECS seconds (5; 2 with --quick), one after the other:
#   c1     wrk -t1 -c1 --latency: p50, p99 (and what each adds over direct)
#   open   h2load --h1 -c8 --rps: open-loop at half the direct path's c32
#          req/s; p50, p99 from h2load's per-request log
#   c32    wrk -t1 -c32: req/s, its ratio to the wire, and requests per busy
#          proxy-core second over that run
#   cps    wrk -t1 -c32 -H "Connection: close": a new connection per request
#   iperf  iperf3 -t $SECS up (client to server) and down (-R): Gb/s
#
#   perf/l4_bench.sh [--quick] [--only wire,haproxy,nginx,meshgw]
#   (root; MESHGW_BUILD = build dir, default build/; OUT = results dir;
#   L4_SECONDS = seconds per figure; L4_KEEP = a directory to copy every
#   tool's output and log into)
set -euo pipefail
source "$(dirname "$0")/../tests/netns/lib.sh"
for t in taskset wrk h2load haproxy nginx iperf3 dpdk-testpmd nft ethtool curl; do need $t; done

SECS=5
CONTENDERS=(wire haproxy nginx meshgw)
while [ $# -gt 0 ]; do
	case $1 in
	--quick) SECS=2 ;;
	--only) IFS=, read -r -a CONTENDERS <<<"$2" && shift ;;
	*) fail "usage: $0 [--quick] [--only wire,haproxy,nginx,meshgw]" ;;
	esac
	shift
done
SECS=${L4_SECONDS:-$SECS}
OUT=${OUT:-$ROOT/perf/results}
NGINX_STREAM_SO=/usr/lib/nginx/modules/ngx_stream_module.so

SRV=mg${ID}s
GWSIF=mg${ID}d
SRVIF=mg${ID}c
DIRC=mg${ID}e
DIRS=mg${ID}f
SNET=10.$(( 0x${ID:0:2} % 200 + 20 )).$(( (0x${ID:2:2} + 128) % 256 ))
DNET=10.$(( 0x${ID:0:2} % 200 + 20 )).$(( (0x${ID:2:2} + 64) % 256 ))
VIP=$NET.100
WIRE_PREFIX=$PREFIX-wire
RES=$TMP/results.tsv # contender, figure, value
BG_PIDS=()           # servers and proxies this script started
PROXY_PIDS=()        # the current kernel proxy's processes (CPU time)
BUSY_KIND=none       # how the current contender's busy core time is read

in_srv() { ip netns exec "$SRV" "$@"; }
# client: a load tool in the client namespace on CPU 0, bounded in time.
client() { in_peer taskset -c 0 timeout $((SECS + 30)) "$@"; }
put() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RES"; }
get() { awk -F'\t' -v c="$1" -v f="$2" '$1 == c && $2 == f { v = $3 } END { print v }' "$RES"; }

bench_cleanup() {
	set +e
	[ -n "${TP_FD:-}" ] && { echo quit >&7; sleep 0.5; }
	for p in "${BG_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for _ in $(seq 30); do
		kill -0 "${BG_PIDS[@]}" 2>/dev/null || break
		sleep 0.1
	done
	for p in "${BG_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	# whatever else is left in the namespaces is ours (nginx workers, a load
	# tool cut short); meshgw is mg_cleanup's
	for ns in "$SRV" "$PEER" "$GW"; do
		ip netns pids "$ns" 2>/dev/null | grep -vx "${MG_PID:-none}" | xargs -r kill -KILL 2>/dev/null
	done
	ip netns del "$SRV" 2>/dev/null
	rm -rf "/var/run/dpdk/$WIRE_PREFIX"
	[ -z "${L4_KEEP:-}" ] || cp -r "$TMP/." "$L4_KEEP/"
}
trap 'rc=$?; bench_cleanup; (exit $rc); mg_cleanup' EXIT

# ---- topology ----------------------------------------------------------------
# veth_pair NS_A IF_A NS_B IF_B: a veth between two namespaces, IPv6 off on
# both ends before they come up, the same offloads off on both.
veth_pair() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || true
	ip netns exec "$3" ethtool -K "$4" tx off tso off gso off gro off >/dev/null 2>&1 || true
}

topology() {
	for ns in "$PEER" "$GW" "$SRV"; do
		ip netns add "$ns"
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
		ip netns exec "$ns" ip link set lo up
		# connection-rate runs: wide port ranges, time-wait reuse outwards
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
	done
	veth_pair "$PEER" "$PEERIF" "$GW" "$GWIF"
	veth_pair "$GW" "$GWSIF" "$SRV" "$SRVIF"
	veth_pair "$PEER" "$DIRC" "$SRV" "$DIRS"
	in_peer ip addr add "$PEER_IP/24" dev "$PEERIF"
	in_peer ip addr add "$DNET.2/24" dev "$DIRC"
	in_srv ip addr add "$SNET.2/24" dev "$SRVIF"
	in_srv ip addr add "$DNET.3/24" dev "$DIRS"
	for d in "$PEERIF" "$DIRC"; do in_peer ip link set "$d" up; done
	for d in "$GWIF" "$GWSIF"; do in_gw ip link set "$d" up; done
	for d in "$SRVIF" "$DIRS"; do in_srv ip link set "$d" up; done
}

# proxy_kernel C: the proxy namespace's veths get addresses (kernel proxies),
# the server side the contender's own source address.
proxy_kernel() {
	in_gw nft delete table netdev guard 2>/dev/null || true
	in_gw ip addr add "$GW_IP/24" dev "$GWIF"
	in_gw ip addr add "$VIP/24" dev "$GWIF"
	in_gw ip addr add "$(src_ip "$1")/24" dev "$GWSIF"
}

# src_ip C: the address contender C's upstream connections come from. One
# per contender: the server keeps each closed connection in TIME-WAIT for
# 60 s, and a SYN that meets another stack's TIME-WAIT on the same 4-tuple
# is refused (its timestamps are not in sequence with the old ones), which
# costs the connection a SYN timeout.
src_ip() {
	case $1 in
	haproxy) echo "$SNET.11" ;;
	nginx) echo "$SNET.12" ;;
	meshgw) echo "$SNET.13" ;;
	esac
}

# proxy_dpdk: no addresses and a drop-everything ingress hook (DPDK proxies).
proxy_dpdk() {
	in_gw ip addr flush dev "$GWIF"
	in_gw ip addr flush dev "$GWSIF"
	in_gw nft -f - <<-NFT
		table netdev guard {
			chain ingress_c { type filter hook ingress device "$GWIF" priority 0; policy drop; }
			chain ingress_s { type filter hook ingress device "$GWSIF" priority 0; policy drop; }
		}
	NFT
}

# spawn NS CPU CMD...: a long-running process in NS pinned to CPU; pid in $BGPID.
spawn() {
	local ns=$1 cpu=$2
	shift 2
	ip netns exec "$ns" taskset -c "$cpu" "$@" &
	BGPID=$!
	BG_PIDS+=("$BGPID")
}

# stop_pid PID: TERM, then KILL after 5 s.
stop_pid() {
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null || true
}

# wait_http URL [TRIES]: until the client gets a 200 from URL (0.1 s apart).
wait_http() {
	for _ in $(seq "${2:-50}"); do
		in_peer curl -sf -m 1 -o /dev/null "$1" && return 0
		sleep 0.1
	done
	return 1
}

servers() {
	local d=$TMP/backend
	mkdir -p "$d"
	cat >"$d/nginx.conf" <<-NGINX
		worker_processes 1; daemon off; worker_rlimit_nofile 20000;
		pid $d/nginx.pid; error_log $d/error.log warn;
		events { worker_connections 16384; }
		http {
			access_log off; keepalive_requests 1000000; keepalive_timeout 60s;
			client_body_temp_path $d; proxy_temp_path $d; fastcgi_temp_path $d;
			uwsgi_temp_path $d; scgi_temp_path $d;
			server {
				listen 80 backlog=4096;
				location / { default_type text/plain; return 200 "meshgw l4 bench\n"; }
			}
		}
	NGINX
	spawn "$SRV" 0 nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/out.log" 2>&1
	spawn "$SRV" 0 iperf3 -s -p 5201 >"$TMP/iperf3-server.log" 2>&1
}

# ---- load and figures -----------------------------------------------------------
# us VALUE: wrk's "71.00us" / "1.64ms" / "2.00s" in microseconds.
us() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /ms$/) n *= 1000; else if (v ~ /us$/) ; else if (v ~ /s$/) n *= 1e6; print n }'; }

# wrk_parse FILE KEY: a figure from wrk's text output.
wrk_parse() {
	case $2 in
	rps) awk '/^Requests\/sec:/ { print $2 }' "$1" ;;
	requests) awk '/ requests in / { print $1 }' "$1" ;;
	errors) awk '/Socket errors:/ { gsub(",", ""); n += $4 + $6 + $8 + $10 } /Non-2xx/ { n += $NF } END { print n + 0 }' "$1" ;;
	p50 | p99) us "$(awk -v p="${2#p}%" '$1 == p { print $2 }' "$1")" ;;
	esac
}

# wrk_run C NAME ARGS: wrk against the contender's URL, output in $TMP/C.NAME.
wrk_run() {
	local c=$1 name=$2
	shift 2
	client wrk -t1 -d"${SECS}s" --timeout 2s "$@" "$URL" >"$TMP/$c.$name" 2>&1 &&
		[ -n "$(wrk_parse "$TMP/$c.$name" rps)" ]
}

# cpu_busy: both CPUs' non-idle time from /proc/stat (USER_HZ ticks), "cpu0 cpu1".
cpu_busy() { awk '$1 == "cpu0" || $1 == "cpu1" { printf "%d ", $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# busy_begin / busy_end C REQUESTS: the proxy core's busy seconds between
# the two, as the contender's own books give it.
busy_begin() {
	case $BUSY_KIND in
	proc) B_PROC=$(proc_ticks) ;;
	meshgw) ctl_json stats | jq '[.workers[] | .busy_cycles, .idle_cycles]' >"$TMP/busy0.json" ;;
	testpmd) tp_cmd stop && tp_cmd start ;;
	esac
	B_CPU=$(cpu_busy)
	B_T0=$(date +%s.%N)
}
busy_end() {
	local c=$1 req=$2 wall busy=""
	wall=$(awk -v a="$B_T0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
	local now i
	now=$(cpu_busy)
	for i in 0 1; do
		put "$c" "cpu${i}_busy_share" "$(awk -v a="$B_CPU" -v b="$now" -v i=$((i + 1)) -v w="$wall" -v hz="$(getconf CLK_TCK)" \
			'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.2f", (y[i] - x[i]) / hz / w }')"
	done
	case $BUSY_KIND in
	proc)
		busy=$(awk -v a="$B_PROC" -v b="$(proc_ticks)" -v hz="$(getconf CLK_TCK)" \
			'BEGIN { printf "%.3f", (b - a) / hz }') ;;
	meshgw)
		# busy share of the worker's cycles over the run times the wall time:
		# the worker polls, so busy + idle cycles cover the whole interval
		busy=$(ctl_json stats | jq --slurpfile a "$TMP/busy0.json" -r --arg w "$wall" \
			'[.workers[] | .busy_cycles, .idle_cycles] as $b |
			 (($b[0] - $a[0][0]) / (($b[0] - $a[0][0]) + ($b[1] - $a[0][1]))) * ($w | tonumber) |
			 . * 1000 | round / 1000') ;;
	testpmd)
		local from
		from=$(($(stat -c %s "$TMP/testpmd.log") + 1))
		tp_cmd stop
		busy=$(tail -c +"$from" "$TMP/testpmd.log" | awk '/CPU cycles\/packet/ { match($0, /total cycles=[0-9]+/); c = substr($0, RSTART + 13, RLENGTH - 13);
			match($0, /at [0-9]+ MHz/); m = substr($0, RSTART + 3, RLENGTH - 7) } END { if (c > 0) printf "%.3f", c / m / 1e6 }')
		tp_cmd start ;;
	esac
	[ -n "$busy" ] || return 0
	put "$c" busy_core_s "$busy"
	awk -v b="$busy" 'BEGIN { exit !(b > 0) }' &&
		put "$c" req_per_busy_core_s "$(awk -v r="$req" -v b="$busy" 'BEGIN { printf "%.0f", r / b }')"
}

# proc_ticks: utime + stime of the current kernel proxy's processes.
proc_ticks() {
	local p t=0
	for p in "${PROXY_PIDS[@]}"; do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo $t
}

# measure C: every figure for contender C against $URL (HTTP) and $IPERF_HOST.
measure() {
	local c=$1
	wrk_run "$c" warm -c8 -d1s || say "$c: warm-up failed: $(tail -3 "$TMP/$c.warm")"
	if [ "$c" = direct ]; then
		# first: half of its req/s is the open-loop rate for everyone
		c32 direct
		OPEN_RPS=$(awk -v r="$(get direct c32_rps)" 'BEGIN { if (r > 0) printf "%.0f", r / 2 }')
		put direct open_target_rps "${OPEN_RPS:-0}"
	fi
	if wrk_run "$c" c1 -c1 --latency; then
		put "$c" c1_p50_us "$(wrk_parse "$TMP/$c.c1" p50)"
		put "$c" c1_p99_us "$(wrk_parse "$TMP/$c.c1" p99)"
		put "$c" c1_rps "$(wrk_parse "$TMP/$c.c1" rps)"
		put "$c" c1_errors "$(wrk_parse "$TMP/$c.c1" errors)"
	else
		say "$c: c1 failed: $(tail -3 "$TMP/$c.c1")"
	fi
	open_loop "$c"
	if [ "$c" != direct ]; then c32 "$c"; fi
	if wrk_run "$c" cps -c32 -H "Connection: close"; then
		put "$c" cps "$(wrk_parse "$TMP/$c.cps" rps)"
		put "$c" cps_errors "$(wrk_parse "$TMP/$c.cps" errors)"
	else
		say "$c: cps failed: $(tail -3 "$TMP/$c.cps")"
	fi
	iperf "$c" up
	iperf "$c" down -R
	say "$c: $(awk -F'\t' -v c="$c" '$1 == c { printf "%s=%s ", $2, $3 }' "$RES")"
}

# c32 C: req/s at 32 connections, and the proxy core's busy time meanwhile.
c32() {
	local c=$1
	busy_begin
	if wrk_run "$c" c32 -c32; then
		busy_end "$c" "$(wrk_parse "$TMP/$c.c32" requests)"
		put "$c" c32_rps "$(wrk_parse "$TMP/$c.c32" rps)"
		put "$c" c32_errors "$(wrk_parse "$TMP/$c.c32" errors)"
	else
		say "$c: c32 failed: $(tail -3 "$TMP/$c.c32")"
		[ "$BUSY_KIND" != testpmd ] || tp_cmd start
	fi
}

# open_loop C: h2load at the fixed rate OPEN_RPS over 8 connections; h2load's
# per-request log gives the latency percentiles.
open_loop() {
	local c=$1 log=$TMP/$1.open.log
	[ -n "${OPEN_RPS:-}" ] || { say "$c: no open-loop rate (the direct c32 run failed)"; return 0; }
	if client h2load --h1 -t1 -c8 --rps "$(awk -v r="$OPEN_RPS" 'BEGIN { printf "%.1f", r / 8 }')" \
		-D "$SECS" --warm-up-time 1 --log-file "$log" "$URL" >"$TMP/$c.open" 2>&1 && [ -s "$log" ]; then
		sort -t$'\t' -k3,3n "$log" | awk -F'\t' -v c="$c" -v s="$SECS" '
			{ d[NR] = $3; if ($2 != 200) bad++ }
			END { printf "%s\topen_p50_us\t%d\n%s\topen_p99_us\t%d\n%s\topen_rps\t%.0f\n%s\topen_errors\t%d\n",
				c, d[int(NR * 0.50) + 1], c, d[int(NR * 0.99) + 1], c, NR / s, c, bad }' >>"$RES"
	else
		say "$c: open loop failed: $(tail -3 "$TMP/$c.open")"
	fi
}

# iperf C DIR [-R]: iperf3 Gb/s received, client on CPU 0.
iperf() {
	local c=$1 dir=$2 f=$TMP/$1.iperf-$2.json
	shift 2
	if client iperf3 -c "$IPERF_HOST" -p 5201 -t "$SECS" --connect-timeout 3000 -J "$@" >"$f" 2>&1 &&
		jq -e '.end.sum_received.bytes > 0' "$f" >/dev/null 2>&1; then
		put "$c" "iperf_${dir}_gbps" "$(jq '.end.sum_received.bits_per_second / 1e9 * 100 | round / 100' "$f")"
		put "$c" "iperf_${dir}_retrans" "$(jq '.end.sum_sent.retransmits // 0' "$f")"
	else
		say "$c: iperf3 $dir failed: $(jq -r '.error // empty' "$f" 2>/dev/null || tail -2 "$f")"
	fi
}

# ---- contenders ------------------------------------------------------------------
run_direct() {
	URL=http://$DNET.3/ IPERF_HOST=$DNET.3 BUSY_KIND=none
	wait_http "$URL" || { say "direct: the backend does not answer"; return 0; }
	measure direct
}

# tp_prompts: how many prompts testpmd has printed (several may share a line,
# as commands from a pipe are not echoed).
tp_prompts() { grep -o 'testpmd> ' "$TMP/testpmd.log" | wc -l; }

# tp_cmd CMD: one testpmd command through its stdin fifo; waits for the
# prompt that follows it.
tp_cmd() {
	local n
	n=$(tp_prompts)
	echo "$1" >&7
	for _ in $(seq 100); do
		[ "$(tp_prompts)" -gt "$n" ] && return 0
		kill -0 "$TP_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

run_wire() {
	proxy_dpdk
	in_srv ip addr add "$NET.3/24" dev "$SRVIF"
	mkfifo "$TMP/testpmd.in"
	exec 7<>"$TMP/testpmd.in"
	TP_FD=7
	# main lcore 0 only waits on the command line; lcore 1 forwards. Not
	# through spawn: a background command's stdin is /dev/null unless it is
	# redirected on the command itself. Unbuffered, so that tp_cmd sees each
	# command's output before the next.
	ip netns exec "$GW" stdbuf -o0 dpdk-testpmd -l 0,1 --main-lcore 0 --no-huge -m 512 --no-shconf --no-pci \
		--file-prefix "$WIRE_PREFIX" \
		--vdev "net_af_packet0,iface=$GWIF,framecnt=4096" \
		--vdev "net_af_packet1,iface=$GWSIF,framecnt=4096" \
		-- -i --forward-mode=io --nb-cores=1 --total-num-mbufs=32768 --record-core-cycles \
		<&7 >"$TMP/testpmd.log" 2>&1 &
	TP_PID=$!
	BG_PIDS+=("$TP_PID")
	for _ in $(seq 100); do grep -q 'testpmd> ' "$TMP/testpmd.log" && break; sleep 0.1; done
	URL=http://$NET.3/ IPERF_HOST=$NET.3 BUSY_KIND=testpmd
	if tp_cmd start && wait_http "$URL"; then
		measure wire
	else
		say "wire: testpmd does not forward: $(tail -5 "$TMP/testpmd.log")"
	fi
	tp_cmd stop || true
	echo quit >&7
	for _ in $(seq 50); do kill -0 "$TP_PID" 2>/dev/null || break; sleep 0.1; done
	stop_pid "$TP_PID"
	exec 7>&-
	TP_FD=""
	in_srv ip addr del "$NET.3/24" dev "$SRVIF"
	in_gw nft delete table netdev guard
}

run_haproxy() {
	proxy_kernel haproxy
	cat >"$TMP/haproxy.cfg" <<-HAP
		global
			nbthread 1
			maxconn 8000
		defaults
			mode tcp
			maxconn 8000
			timeout connect 5s
			timeout client 60s
			timeout server 60s
		listen http
			bind $VIP:80
			server b1 $SNET.2:80
		listen iperf
			bind $VIP:5201
			server b1 $SNET.2:5201
	HAP
	in_gw haproxy -c -q -f "$TMP/haproxy.cfg" || { say "haproxy: config refused"; proxy_flush; return 0; }
	spawn "$GW" 1 haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1
	PROXY_PIDS=("$BGPID")
	kernel_proxy_run haproxy
}

run_nginx() {
	local d=$TMP/stream
	proxy_kernel nginx
	mkdir -p "$d"
	cat >"$d/nginx.conf" <<-NGINX
		load_module $NGINX_STREAM_SO;
		worker_processes 1; daemon off; worker_rlimit_nofile 20000;
		pid $d/nginx.pid; error_log $d/error.log warn;
		events { worker_connections 8000; }
		stream {
			server { listen $VIP:80 backlog=4096; proxy_pass $SNET.2:80; }
			server { listen $VIP:5201; proxy_pass $SNET.2:5201; }
		}
	NGINX
	spawn "$GW" 1 nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/out.log" 2>&1
	local master=$BGPID
	sleep 0.5
	mapfile -t PROXY_PIDS < <(echo "$master"; pgrep -P "$master")
	kernel_proxy_run nginx
}

# kernel_proxy_run C: measure the kernel proxy just started, then stop it.
kernel_proxy_run() {
	URL=http://$VIP/ IPERF_HOST=$VIP BUSY_KIND=proc
	if wait_http "$URL"; then
		measure "$1"
	else
		say "$1: no answer through the proxy"
	fi
	stop_pid "${PROXY_PIDS[0]}"
	proxy_flush
}

proxy_flush() {
	in_gw ip addr flush dev "$GWIF"
	in_gw ip addr flush dev "$GWSIF"
}

meshgw_config() {
	cat >"$CONF" <<-CONF
		# generated by perf/l4_bench.sh
		eal = { file_prefix = "$PREFIX"; hugepages = "off"; memory_mb = 512; mbufs = 32767; };
		workers = { count = 1; cores = [ 1 ]; control_core = 0; idle = "poll"; };
		ports = (
			{ name = "client"; driver = "af_packet"; iface = "$GWIF"; framecnt = 4096;
			  address = [ "$GW_IP/24" ]; },
			{ name = "server"; driver = "af_packet"; iface = "$GWSIF"; framecnt = 4096;
			  address = [ "$(src_ip meshgw)/24" ]; }
		);
		tcp = { max_conns = 262144; congestion_control = "cubic"; ephemeral_ports = [ 1024, 65535 ]; };
		services = (
			{ name = "http"; vips = [ "$VIP:80" ]; cluster = "http"; protocol = "tcp"; },
			{ name = "iperf"; vips = [ "$VIP:5201" ]; cluster = "iperf"; protocol = "tcp"; }
		);
		clusters = (
			{ name = "http"; policy = "round_robin"; endpoints = ( { address = "$SNET.2"; port = 80; } ); },
			{ name = "iperf"; policy = "round_robin"; endpoints = ( { address = "$SNET.2"; port = 5201; } ); }
		);
		ctl = { socket = "$SOCK"; };
		admin = { enabled = false; };
		log = { level = "warn"; };
	CONF
}

run_meshgw() {
	meshgw_config
	if ! "$BUILD/meshgw" --check -c "$CONF" >"$TMP/meshgw.check" 2>&1; then
		say "meshgw: config refused: $(tail -3 "$TMP/meshgw.check")"
		return 0
	fi
	proxy_dpdk
	# not through spawn: mg_cleanup stops $MG_PID (SIGTERM, then SIGKILL)
	ip netns exec "$GW" "$BUILD/meshgw" -c "$CONF" >"$LOG" 2>&1 &
	MG_PID=$!
	URL=http://$VIP/ IPERF_HOST=$VIP BUSY_KIND=meshgw
	if ! ctl wait-ready --timeout 20s >/dev/null; then
		say "meshgw: not ready: $(tail -5 "$LOG")"
	elif ! wait_http "$URL"; then
		say "meshgw: no answer through the VIP: $(tail -5 "$LOG")"
	else
		measure meshgw
		ctl_json stats | jq -c '{drops: [.totals.drops | to_entries[] | select(.value > 0)] | from_entries,
			tcp: .totals.tcp | {retrans_segs, rto_expiries}, mbufs: .mbufs | {in_use, baseline}}' \
			>"$TMP/meshgw.stats" || true
		put meshgw stats "$(cat "$TMP/meshgw.stats")"
	fi
	stop_pid "$MG_PID"
	MG_PID=""
	in_gw nft delete table netdev guard
}

# ---- the run ------------------------------------------------------------------------
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
awk -v l="$LOAD0" 'BEGIN { exit !(l > 0.5) }' &&
	say "warning: load average $LOAD0 before the run: other work shares these CPUs"
: >"$RES"
topology
servers
T_START=$SECONDS
run_direct
for c in "${CONTENDERS[@]}"; do
	case $c in
	wire | haproxy | nginx | meshgw) "run_$c" ;;
	*) fail "unknown contender '$c'" ;;
	esac
done
say "measured in $((SECONDS - T_START)) s"

# ---- results ------------------------------------------------------------------------
FIGS=(c1_p50_us c1_p99_us open_p50_us open_p99_us c32_rps cps iperf_up_gbps iperf_down_gbps)
WIRE_RPS=$(get wire c32_rps)
for c in direct "${CONTENDERS[@]}"; do
	for p in 50 99; do
		v=$(get "$c" "c1_p${p}_us") d=$(get direct "c1_p${p}_us")
		if [ "$c" != direct ] && [ -n "$v" ] && [ -n "$d" ]; then
			put "$c" "added_p${p}_us" "$(awk -v a="$v" -v b="$d" 'BEGIN { print a - b }')"
		fi
	done
	v=$(get "$c" c32_rps)
	if [ -n "$v" ] && [ -n "$WIRE_RPS" ]; then
		put "$c" c32_ratio_to_wire "$(awk -v a="$v" -v b="$WIRE_RPS" 'BEGIN { printf "%.2f", a / b }')"
	fi
done
missing=()
for c in direct "${CONTENDERS[@]}"; do
	for f in "${FIGS[@]}"; do [ -n "$(get "$c" "$f")" ] || missing+=("$c:$f"); done
	[ "$c" = direct ] || [ -n "$(get "$c" req_per_busy_core_s)" ] || missing+=("$c:req_per_busy_core_s")
done

mkdir -p "$OUT"
jq -R -s --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
	--arg kernel "$(uname -r)" --argjson secs "$SECS" --arg load0 "$LOAD0" \
	--arg load1 "$(cut -d' ' -f1 /proc/loadavg)" --argjson missing "$(printf '%s\n' "${missing[@]}" | jq -R . | jq -s 'map(select(. != ""))')" \
	--arg order "direct ${CONTENDERS[*]}" '
	[split("\n")[] | select(. != "") | split("\t")] as $rows |
	{ date: $date, cpus: '"$(nproc)"', cpu: $cpu, kernel: $kernel, seconds_per_figure: $secs,
	  load_average_before: ($load0 | tonumber), load_average_after: ($load1 | tonumber),
	  contenders: ($order | split(" ")),
	  results: (reduce $rows[] as $r ({}; .[$r[0]][$r[1]] = ($r[2] | (tonumber? // fromjson? // .)))),
	  missing: $missing }' "$RES" >"$OUT/l4_bench.json"

# the table: one row per figure, one column per contender
{
	cols=(direct "${CONTENDERS[@]}")
	printf '| figure |'; printf ' %s |' "${cols[@]}"; echo
	printf '| --- |'; for _ in "${cols[@]}"; do printf ' ---: |'; done; echo
	row() {
		local label=$1 key=$2 v
		printf '| %s |' "$label"
		for c in "${cols[@]}"; do
			v=$(jq -r --arg c "$c" --arg k "$key" '.results[$c][$k] // "-"' "$OUT/l4_bench.json")
			printf ' %s |' "$v"
		done
		echo
	}
	row "1 connection: p50 (µs)" c1_p50_us
	row "1 connection: p99 (µs)" c1_p99_us
	row "p50 added over direct (µs)" added_p50_us
	row "p99 added over direct (µs)" added_p99_us
	row "open loop at $(get direct open_target_rps) req/s: p50 (µs)" open_p50_us
	row "open loop: p99 (µs)" open_p99_us
	row "32 connections: req/s" c32_rps
	row "32 connections: ratio to the wire" c32_ratio_to_wire
	row "new connections per second" cps
	row "requests per busy proxy-core second" req_per_busy_core_s
	row "32 connections: CPU 0 (load, servers) busy" cpu0_busy_share
	row "32 connections: CPU 1 (proxy) busy" cpu1_busy_share
	row "iperf3 up (Gb/s)" iperf_up_gbps
	row "iperf3 down (Gb/s)" iperf_down_gbps
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), kernel $(uname -r)," \
		"${SECS}s per figure, load average $LOAD0 before the run, $(cut -d' ' -f1 /proc/loadavg) after."
} >"$OUT/l4_bench.md"
cat "$OUT/l4_bench.md"
[ ${#missing[@]} -eq 0 ] || fail "no result for: ${missing[*]}"
say "results in $OUT/l4_bench.json and l4_bench.md"
