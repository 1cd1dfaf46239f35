#!/usr/bin/env bash
# test_tcp_impair.sh - echo under impairment, hashes checked both ways:
#   1. 256 MiB with 1% loss in each direction (the gateway's rx and tx):
#      fast retransmits repair it on both ends (fast_retransmits > 0 on the
#      gateway; the Linux peer recovers from the gateway's SACK blocks,
#      TcpExtTCPSackRecovery > 0 in its namespace);
#   2. 256 MiB with 25% reordering, 1% duplication and 10 ms delay on what
#      the gateway receives (the peer's data and ACKs): the out-of-order
#      queue and duplicate trimming under load;
#   3. the same impairment in both directions, 256 MiB: the gateway's sender
#      under reordering (dupacks and SACKed segments, undo of needless fast
#      retransmits by their timestamps, a dupack threshold that follows the
#      reordering seen).
# Both ends use a 10 ms minimum RTO (gateway: tcp.rto_min; peer: per route,
# with cubic). MG_IMPAIR_SACK=false runs it without SACK (the peer's
# recovery then rests on duplicate ACKs alone).
source "$(dirname "$0")/lib.sh"

BYTES=${MG_IMPAIR_BYTES:-$((256 << 20))}
BOTH_BYTES=${MG_IMPAIR_BOTH_BYTES:-$((256 << 20))}
TCPC_TIMEOUT=${MG_IMPAIR_TIMEOUT:-90}
DISORDER='reorder = 0.25; duplicate = 0.01; delay = "10ms";'

mg_topology
mg_peer_route congctl cubic rto_min 10ms
# a 1 MiB window for the 10 ms delay, and an out-of-order queue that holds
# all of it (724 segments)
TCP_EXTRA="rto_min = \"10ms\"; rcv_buf = 1048576; snd_buf = 1048576; ooo_max = 1024;
	sack = ${MG_IMPAIR_SACK:-true};"

# peer_nstat NAME: one of the peer namespace's kernel counters (0 if unset)
peer_nstat() {
	in_peer nstat -asz "$1" | awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print 0 }'
}

# run NAME BYTES IMPAIR: one daemon with that impair group, one echo transfer.
run() {
	local name=$1 bytes=$2
	PORT_EXTRA="impair = { $3 };"
	mg_tcp_config
	mg_start
	mg_warm
	tcpc_ok "$name" echo "$GW_IP" 7 "$bytes"
	ctl_json stats >"$TMP/$name.stats"
	say "$name: $bytes bytes each way in $(jq .seconds "$TMP/$name.json")s;" \
		"impair $(jq -c '.ports[0].impair | map_values({dropped, duplicated, reordered})' "$TMP/$name.stats");" \
		"tcp $(jq -c '.totals.tcp | {retrans_segs, fast_retransmits, sack_recoveries, spurious_recoveries, rto_expiries, ooo_segments, dup_segments}' "$TMP/$name.stats")"
	mg_tcp_end
	mg_stop
}

run loss "$BYTES" 'seed = 11; rx = { drop = 0.01; }; tx = { drop = 0.01; };'
sack_rec=$(peer_nstat TcpExtTCPSackRecovery)
say "loss: the peer's SACK recoveries: $sack_rec"
if [ "${MG_IMPAIR_SACK:-true}" = true ] && [ "$sack_rec" -eq 0 ]; then
	fail "loss: the peer never recovered with the gateway's SACK blocks"
fi
jq -e '.ports[0].impair.rx.dropped > 0 and .ports[0].impair.tx.dropped > 0' "$TMP/loss.stats" >/dev/null ||
	fail "loss: the impairment layer dropped nothing"
jq -e '.totals.tcp.fast_retransmits > 0' "$TMP/loss.stats" >/dev/null ||
	fail "loss: no fast retransmit on the gateway: $(jq -c .totals.tcp "$TMP/loss.stats")"

run reorder "$BYTES" "seed = 12; rx = { $DISORDER };"
jq -e '.ports[0].impair.rx.reordered > 0 and .ports[0].impair.rx.duplicated > 0' "$TMP/reorder.stats" >/dev/null ||
	fail "reorder: the impairment layer did not reorder or duplicate"
jq -e '.totals.tcp.ooo_segments > 0 and .totals.tcp.dup_segments > 0' "$TMP/reorder.stats" >/dev/null ||
	fail "reorder: the gateway saw no out-of-order or duplicate segment"

run reorder_both "$BOTH_BYTES" "seed = 13; rx = { $DISORDER }; tx = { $DISORDER };"
jq -e '.ports[0].impair.tx.reordered > 0 and .ports[0].impair.tx.duplicated > 0' "$TMP/reorder_both.stats" >/dev/null ||
	fail "reorder_both: nothing reordered on tx"
say "ok"
