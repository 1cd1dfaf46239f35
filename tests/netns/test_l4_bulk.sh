#!/usr/bin/env bash
# test_l4_bulk.sh - bulk data through the proxy (a one-endpoint cluster, as
# iperf3's two connections must meet the same server):
#   1. iperf3 for MG_IPERF_SECONDS (10) each way (upload, then -R);
#   2. MG_BULK_BYTES (256 MiB) echoed by a kernel echo server behind the VIP,
#      SHA-256 checked both ways (client sent = server received = echoed);
#   3. the same with 1% loss injected on the gateway's port (rx and tx, so
#      each leg loses about 1% in each direction).
#
#   $PEER (client) ── bridge ── meshgw  VIP $NET.100:5201 (iperf3), :7 (echo)
#                        └── backend 1  $NET.11: iperf3 -s :5201, echo :7007
source "$(dirname "$0")/lib.sh"
need nginx
need iperf3

SECS=${MG_IPERF_SECONDS:-10}
BYTES=${MG_BULK_BYTES:-$((256 << 20))}
LOSS=0.01

mg_topology
mg_backends 1
B1=$(be_ip 1)
ip netns exec "$(be_ns 1)" iperf3 -s -B "$B1" -p 5201 >/dev/null 2>&1 &
disown
l4_service iperf "$NET.100:5201" iperf
l4_cluster iperf "" "$B1:5201"
l4_service echo "$NET.100:7" echo
l4_cluster echo "" "$B1:7007"
TCP_EXTRA='rto_min = "10ms";'

# echo NAME: BYTES through the VIP to a fresh echo server, hashes compared.
echo_run() {
	local name=$1 srv
	ip netns exec "$(be_ns 1)" timeout 120 "$PY" "$TCPCLIENT" server 7007 >"$TMP/$name.server" &
	srv=$!
	for _ in $(seq 100); do grep -q listening "$TMP/$name.server" && break; sleep 0.05; done
	tcpc_ok "$name" echo "$NET.100" 7 "$BYTES"
	wait "$srv" || fail "$name: echo server: $(tail -1 "$TMP/$name.server")"
	jq -e '.sha_sent == .sha_received and .received == .sent' "$TMP/$name.json" >/dev/null ||
		fail "$name: echo differs: $(cat "$TMP/$name.json")"
	[ "$(tail -1 "$TMP/$name.server" | jq -r .sha_received)" = "$(jq -r .sha_sent "$TMP/$name.json")" ] ||
		fail "$name: the backend received other bytes than the client sent"
	say "$name: $BYTES bytes each way in $(jq .seconds "$TMP/$name.json")s, hashes match at both ends;" \
		"tcp $(stat_q '.totals.tcp | {retrans_segs, sack_recoveries, rto_expiries}' | jq -c .)"
}

mg_l4_config
mg_start
mg_warm
for dir in up down; do
	rev=()
	[ $dir = down ] && rev=(-R)
	in_peer timeout $((SECS + 20)) iperf3 -c "$NET.100" -p 5201 -t "$SECS" -J "${rev[@]}" \
		>"$TMP/iperf-$dir.json" ||
		fail "iperf3 $dir: $(jq -r '.error // "failed"' "$TMP/iperf-$dir.json" 2>/dev/null)"
	say "iperf3 $dir: $(jq -r '.end.sum_received.bits_per_second / 1e9 * 100 | round / 100' "$TMP/iperf-$dir.json") Gb/s received," \
		"$(jq -r '.end.sum_sent.retransmits' "$TMP/iperf-$dir.json") retransmits by the sender"
	jq -e '.end.sum_received.bytes > 0' "$TMP/iperf-$dir.json" >/dev/null || fail "iperf3 $dir: nothing received"
done
echo_run clean
mg_l4_end
mg_stop

PORT_EXTRA="impair = { seed = 5; rx = { drop = $LOSS; }; tx = { drop = $LOSS; }; };"
mg_l4_config
mg_start
mg_warm
echo_run loss
dropped=$(ctl_json stats | jq '.ports[0].impair.rx.dropped + .ports[0].impair.tx.dropped')
say "loss: the impairment dropped $dropped frames"
[ "$dropped" -gt 0 ] || fail "no frame dropped by the impairment"
mg_l4_end
mg_stop
say "ok"
