#!/usr/bin/env bash
# test_tcp_impair.sh - echo under impairment, hashes checked both ways:
#   1. 256 MiB with 1% loss in each direction (the gateway's rx and tx):
#      fast retransmits repair it on both ends (fast_retransmits > 0 on the
#      gateway);
#   2. 256 MiB with 25% reordering, 1% duplication and 10 ms delay on what
#      the gateway receives (the peer's data and ACKs): the out-of-order
#      queue and duplicate trimming under load;
#   3. the same impairment in both directions, 4 MiB: the gateway's sender
#      under reordering (NewReno has no reordering tolerance yet, so each
#      reorder deeper than three segments costs a fast retransmit and half
#      the window: about 0.7 MB/s here, hence the size).
# Both ends use a 10 ms minimum RTO (gateway: tcp.rto_min; peer: per route,
# with cubic). The gateway does not offer SACK here: it negotiates
# SACK-permitted but sends no SACK blocks until TCP part 2, and a Linux
# sender with SACK on ignores plain duplicate ACKs, so every loss would wait
# for its RTO (about 1 MB/s). MG_IMPAIR_SACK=true tries it anyway.
source "$(dirname "$0")/lib.sh"

BYTES=${MG_IMPAIR_BYTES:-$((256 << 20))}
BOTH_BYTES=${MG_IMPAIR_BOTH_BYTES:-$((4 << 20))}
TCPC_TIMEOUT=${MG_IMPAIR_TIMEOUT:-90}
DISORDER='reorder = 0.25; duplicate = 0.01; delay = "10ms";'

mg_topology
mg_peer_route congctl cubic rto_min 10ms
TCP_EXTRA="rto_min = \"10ms\"; rcv_buf = 1048576; snd_buf = 1048576; sack = ${MG_IMPAIR_SACK:-false};"

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
		"tcp $(jq -c '.totals.tcp | {retrans_segs, fast_retransmits, rto_expiries, ooo_segments, dup_segments}' "$TMP/$name.stats")"
	mg_tcp_end
	mg_stop
}

run loss "$BYTES" 'seed = 11; rx = { drop = 0.01; }; tx = { drop = 0.01; };'
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
