#!/usr/bin/env bash
# bench_lib.sh - what the proxy comparisons (l4_bench.sh, http_bench.sh)
# share, sourced after tests/netns/lib.sh: the three-namespace topology, the
# direct path, the wire (dpdk-testpmd), starting and stopping kernel proxies
# and meshgw, the load tools and their figures, busy proxy-core time, and
# the JSON and Markdown results. Not run on its own.
#
#   netns $PEER (client)        netns $GW (proxy, CPU 1)       netns $SRV (server)
#   load tools (CPU 0)          haproxy | nginx | meshgw |     nginx :80 (CPU 0)
#                               dpdk-testpmd
#   $PEERIF $NET.2/24 ── veth ── $GWIF        $GWSIF ── veth ── $SRVIF $SNET.2/24
#                               ($NET.1, VIP $NET.100;  $SNET.11..13)
#   $DIRC   $DNET.2/24 ─────────────── veth (direct) ─────────────── $DIRS $DNET.3/24
#
# The script that sources it sets SECS (seconds per figure), CONTENDERS
# (wire, haproxy, nginx, meshgw in any order), KEEP (a directory to copy
# every tool's output into, or empty) and FIGS (the figures every contender
# must have), and defines servers, measure C, run_haproxy, run_nginx,
# meshgw_config, meshgw_after (while meshgw still runs) and table_rows (row
# LABEL KEY for each line of the table). Contenders reach the server at
# http://$HOST/.

OUT=${OUT:-$ROOT/perf/results}
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
EXTRA_JSON='{}'      # top-level fields the script adds to the JSON

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
	[ -z "${KEEP:-}" ] || cp -r "$TMP/." "$KEEP/"
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

# backend_nginx BODY: the server namespace's nginx on :80 (one worker, CPU
# 0), answering every request with 200 and BODY (nginx escapes: \n) over
# keep-alive connections of up to 1,000,000 requests, no access log.
backend_nginx() {
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
				location / { default_type text/plain; return 200 "$1"; }
			}
		}
	NGINX
	spawn "$SRV" 0 nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/out.log" 2>&1
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

# warm C: 1 s at 8 connections first (pools, caches, ARP).
warm() { wrk_run "$1" warm -c8 -d1s || say "$1: warm-up failed: $(tail -3 "$TMP/$1.warm")"; }

# direct_first: the direct path's c32 run comes first: half of its req/s is
# the open-loop rate for everyone.
direct_first() {
	c32 direct
	OPEN_RPS=$(awk -v r="$(get direct c32_rps)" 'BEGIN { if (r > 0) printf "%.0f", r / 2 }')
	put direct open_target_rps "${OPEN_RPS:-0}"
}

# c1 C: latency and req/s at one connection.
c1() {
	local c=$1
	if wrk_run "$c" c1 -c1 --latency; then
		put "$c" c1_p50_us "$(wrk_parse "$TMP/$c.c1" p50)"
		put "$c" c1_p99_us "$(wrk_parse "$TMP/$c.c1" p99)"
		put "$c" c1_rps "$(wrk_parse "$TMP/$c.c1" rps)"
		put "$c" c1_errors "$(wrk_parse "$TMP/$c.c1" errors)"
	else
		say "$c: c1 failed: $(tail -3 "$TMP/$c.c1")"
	fi
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

# say_figures C: every figure C has so far, on one line.
say_figures() { say "$1: $(awk -F'\t' -v c="$1" '$1 == c { printf "%s=%s ", $2, $3 }' "$RES")"; }

# ---- contenders ------------------------------------------------------------------
run_direct() {
	HOST=$DNET.3 BUSY_KIND=none
	URL=http://$HOST/
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
	HOST=$NET.3 BUSY_KIND=testpmd
	URL=http://$HOST/
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

# kernel_proxy_run C: measure the kernel proxy just started, then stop it.
kernel_proxy_run() {
	HOST=$VIP BUSY_KIND=proc
	URL=http://$HOST/
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

# nginx_proxy DIR: nginx with DIR/nginx.conf in the proxy namespace, master
# and worker on CPU 1 (both in PROXY_PIDS), then measured.
nginx_proxy() {
	local d=$1
	spawn "$GW" 1 nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/out.log" 2>&1
	local master=$BGPID
	sleep 0.5
	mapfile -t PROXY_PIDS < <(echo "$master"; pgrep -P "$master")
	kernel_proxy_run nginx
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
	HOST=$VIP BUSY_KIND=meshgw
	URL=http://$HOST/
	if ! ctl wait-ready --timeout 20s >/dev/null; then
		say "meshgw: not ready: $(tail -5 "$LOG")"
	elif ! wait_http "$URL"; then
		say "meshgw: no answer through the VIP: $(tail -5 "$LOG")"
	else
		measure meshgw
		meshgw_after
	fi
	stop_pid "$MG_PID"
	MG_PID=""
	in_gw nft delete table netdev guard
}

# ---- the run ------------------------------------------------------------------------
# bench_run: the topology, the servers, the direct path, then each contender.
bench_run() {
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
}

# ---- results ------------------------------------------------------------------------
# bench_results NAME: what each contender adds over direct and its ratio to
# the wire, then $OUT/NAME.json and NAME.md (table_rows); fails when a
# contender lacks one of FIGS or (but direct) req_per_busy_core_s.
bench_results() {
	local name=$1 c p v d f
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
	bench_json "$OUT/$name.json"
	bench_table "$OUT/$name.json" >"$OUT/$name.md"
	cat "$OUT/$name.md"
	[ ${#missing[@]} -eq 0 ] || fail "no result for: ${missing[*]}"
}

bench_json() {
	jq -R -s --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
		--arg kernel "$(uname -r)" --argjson secs "$SECS" --arg load0 "$LOAD0" \
		--arg load1 "$(cut -d' ' -f1 /proc/loadavg)" --argjson missing "$(printf '%s\n' "${missing[@]}" | jq -R . | jq -s 'map(select(. != ""))')" \
		--arg order "direct ${CONTENDERS[*]}" --argjson extra "$EXTRA_JSON" '
		[split("\n")[] | select(. != "") | split("\t")] as $rows |
		{ date: $date, cpus: '"$(nproc)"', cpu: $cpu, kernel: $kernel, seconds_per_figure: $secs,
		  load_average_before: ($load0 | tonumber), load_average_after: ($load1 | tonumber),
		  contenders: ($order | split(" ")),
		  results: (reduce $rows[] as $r ({}; .[$r[0]][$r[1]] = ($r[2] | (tonumber? // fromjson? // .)))),
		  missing: $missing } + $extra' "$RES" >"$1"
}

# bench_table JSON: one row per figure (table_rows), one column per contender.
bench_table() {
	local json=$1
	cols=(direct "${CONTENDERS[@]}")
	printf '| figure |'; printf ' %s |' "${cols[@]}"; echo
	printf '| --- |'; for _ in "${cols[@]}"; do printf ' ---: |'; done; echo
	row() {
		local label=$1 key=$2 v
		printf '| %s |' "$label"
		for c in "${cols[@]}"; do
			v=$(jq -r --arg c "$c" --arg k "$key" '.results[$c][$k] // "-"' "$json")
			printf ' %s |' "$v"
		done
		echo
	}
	table_rows
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), kernel $(uname -r)," \
		"${SECS}s per figure, load average $LOAD0 before the run, $(cut -d' ' -f1 /proc/loadavg) after."
}
