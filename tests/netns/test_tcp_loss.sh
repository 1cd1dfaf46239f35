#!/usr/bin/env bash
# test_tcp_loss.sh - echo through 5% loss in each direction (the gateway's
# rx and tx), hashes checked both ways, both ends with a 10 ms minimum RTO:
#   1. the peer with every option and cubic; the gateway with cubic, shown
#      as cc "cubic" in `conns` during the transfer: the gateway recovers
#      with its SACK scoreboard (sack_recoveries > 0) and the peer with the
#      gateway's SACK blocks (TcpExtTCPSackRecovery > 0 in its namespace);
#   2. the peer with SACK, then timestamps, then window scaling switched off
#      (its sysctls: the option is absent from its SYN), the gateway on its
#      defaults: recovery without the missing option;
#   3. the peer with reno and with bbr.
# MG_LOSS_BYTES sets the size (default 16 MiB); MG_LOSS_FIRST_ONLY=1 runs
# case 1 alone (the soak tier).
source "$(dirname "$0")/lib.sh"

BYTES=${MG_LOSS_BYTES:-$((16 << 20))}
TCPC_TIMEOUT=${MG_LOSS_TIMEOUT:-60}
LOSS=0.05

mg_topology

peer_nstat() {
	in_peer nstat -asz "$1" | awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print 0 }'
}

# run NAME CC PEER_CC [SYSCTL=VALUE]: one daemon, one echo transfer.
run() {
	local name=$1 cc=$2 peer_cc=$3 sysctl=${4:-}
	mg_peer_route congctl "$peer_cc" rto_min 10ms
	[ -z "$sysctl" ] || in_peer sysctl -qw "$sysctl"
	PORT_EXTRA="impair = { seed = 21; rx = { drop = $LOSS; }; tx = { drop = $LOSS; }; };"
	TCP_EXTRA="rto_min = \"10ms\"; congestion_control = \"$cc\";"
	mg_tcp_config
	mg_start
	mg_warm
	tcpc echo "$GW_IP" 7 "$BYTES" >"$TMP/$name.json" &
	local client=$!
	# the connection as the gateway sees it, mid-transfer
	for _ in $(seq 50); do
		ctl_json conns --port 7 >"$TMP/$name.conns" 2>/dev/null || true
		[ "$(jq '.connections | length' "$TMP/$name.conns" 2>/dev/null || echo 0)" -gt 0 ] && break
		sleep 0.1
	done
	local rc=0
	wait "$client" || rc=$?
	[ $rc -eq 0 ] || fail "$name: client failed ($rc): $(cat "$TMP/$name.json")"
	jq -e '.sha_sent == .sha_received and .received == .sent' "$TMP/$name.json" >/dev/null ||
		fail "$name: hash mismatch: $(cat "$TMP/$name.json")"
	ctl_json stats >"$TMP/$name.stats"
	say "$name: $BYTES bytes each way in $(jq .seconds "$TMP/$name.json")s;" \
		"cc $(jq -r '.connections[0].cc' "$TMP/$name.conns");" \
		"tcp $(jq -c '.totals.tcp | {retrans_segs, fast_retransmits, sack_recoveries, lost_retransmits, tlp_probes, rto_expiries, spurious_recoveries}' "$TMP/$name.stats")"
	jq -e ".connections[0].cc == \"$cc\"" "$TMP/$name.conns" >/dev/null ||
		fail "$name: conns shows cc $(jq -c '.connections[0].cc' "$TMP/$name.conns"), configured $cc"
	mg_tcp_end
	mg_stop
	[ -z "$sysctl" ] || in_peer sysctl -qw "${sysctl%=*}=1"
}

run all "${MG_LOSS_CC:-cubic}" cubic
jq -e '.totals.tcp.sack_recoveries > 0' "$TMP/all.stats" >/dev/null ||
	fail "all: no SACK recovery on the gateway"
jq -e '.connections[0].options.sack == true and .connections[0].options.timestamps == true' "$TMP/all.conns" >/dev/null ||
	fail "all: options not negotiated: $(jq -c '.connections[0]' "$TMP/all.conns")"
[ "$(peer_nstat TcpExtTCPSackRecovery)" -gt 0 ] || fail "all: the peer never recovered by SACK"
[ "${MG_LOSS_FIRST_ONLY:-0}" = 1 ] && { say "ok (case 1 only)"; exit 0; }

run nosack newreno cubic net.ipv4.tcp_sack=0
jq -e '.connections[0].options.sack == false' "$TMP/nosack.conns" >/dev/null || fail "nosack: SACK negotiated"
jq -e '.totals.tcp.sack_recoveries == 0 and .totals.tcp.fast_retransmits > 0' "$TMP/nosack.stats" >/dev/null ||
	fail "nosack: expected NewReno recoveries only: $(jq -c .totals.tcp "$TMP/nosack.stats")"

run nots newreno cubic net.ipv4.tcp_timestamps=0
jq -e '.connections[0].options.timestamps == false' "$TMP/nots.conns" >/dev/null || fail "nots: timestamps negotiated"

run nows newreno cubic net.ipv4.tcp_window_scaling=0
jq -e '.connections[0].options.wscale == false' "$TMP/nows.conns" >/dev/null || fail "nows: window scaling negotiated"

run reno newreno reno
run bbr newreno bbr
say "ok"
