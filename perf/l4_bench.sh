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
#   tool's output and log into). The topology, the wire, the load tools and
#   the results are bench_lib.sh's, shared with http_bench.sh.
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
KEEP=${L4_KEEP:-}
FIGS=(c1_p50_us c1_p99_us open_p50_us open_p99_us c32_rps cps iperf_up_gbps iperf_down_gbps)
NGINX_STREAM_SO=/usr/lib/nginx/modules/ngx_stream_module.so
source "$(dirname "$0")/bench_lib.sh"

servers() {
	backend_nginx 'meshgw l4 bench\n'
	spawn "$SRV" 0 iperf3 -s -p 5201 >"$TMP/iperf3-server.log" 2>&1
}

# ---- load and figures -----------------------------------------------------------
# measure C: every figure for contender C against $URL (HTTP) and $HOST (iperf3).
measure() {
	local c=$1
	warm "$c"
	[ "$c" != direct ] || direct_first
	c1 "$c"
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
	say_figures "$c"
}

# iperf C DIR [-R]: iperf3 Gb/s received, client on CPU 0.
iperf() {
	local c=$1 dir=$2 f=$TMP/$1.iperf-$2.json
	shift 2
	if client iperf3 -c "$HOST" -p 5201 -t "$SECS" --connect-timeout 3000 -J "$@" >"$f" 2>&1 &&
		jq -e '.end.sum_received.bytes > 0' "$f" >/dev/null 2>&1; then
		put "$c" "iperf_${dir}_gbps" "$(jq '.end.sum_received.bits_per_second / 1e9 * 100 | round / 100' "$f")"
		put "$c" "iperf_${dir}_retrans" "$(jq '.end.sum_sent.retransmits // 0' "$f")"
	else
		say "$c: iperf3 $dir failed: $(jq -r '.error // empty' "$f" 2>/dev/null || tail -2 "$f")"
	fi
}

# ---- contenders ------------------------------------------------------------------
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
	nginx_proxy "$d"
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

# meshgw_after: its nonzero drops, retransmissions and mbufs after the run.
meshgw_after() {
	ctl_json stats | jq -c '{drops: [.totals.drops | to_entries[] | select(.value > 0)] | from_entries,
		tcp: .totals.tcp | {retrans_segs, rto_expiries}, mbufs: .mbufs | {in_use, baseline}}' \
		>"$TMP/meshgw.stats" || true
	put meshgw stats "$(cat "$TMP/meshgw.stats")"
}

table_rows() {
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
}

bench_run
bench_results l4_bench
say "results in $OUT/l4_bench.json and l4_bench.md"
