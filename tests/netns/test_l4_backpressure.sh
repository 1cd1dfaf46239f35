#!/usr/bin/env bash
# test_l4_backpressure.sh - a slow reader closes the window towards the other
# side: the backend sends MG_BP_BYTES (32 MiB) as fast as it can; the client
# (64 KiB socket buffer) reads 1 MiB, stops reading for 10 s, then reads the
# rest. During the stall the gateway's mbufs in use (stats .mbufs, over the
# ready baseline) stay within this connection's bound, and then the transfer
# completes intact.
#
# The bound: the upstream leg holds at most rcv_buf of payload not yet passed
# on (its window closes there); the client leg's send queue holds at most
# snd_buf of mbuf truesize, or one chain of at most rcv_buf that it always
# takes into an empty queue. Counting every mbuf as one full segment of
# payload: (rcv_buf + max(rcv_buf, snd_buf)) / MSS mbufs, plus 32 for the rx
# ring's and ARP's.
#
#   $PEER (client) ── bridge ── meshgw  VIP $NET.100:7012
#                        └── backend 1  $NET.11:7012 (sends MG_BP_BYTES)
source "$(dirname "$0")/lib.sh"
need nginx

BYTES=${MG_BP_BYTES:-$((32 << 20))}
STALL=10
RCV_BUF=262144
SND_BUF=262144
MSS=1448 # the backend's, with timestamps
BOUND=$(((RCV_BUF + (RCV_BUF > SND_BUF ? RCV_BUF : SND_BUF)) / MSS + 32))

mg_topology
mg_backends 1
l4_service bulk "$NET.100:7012" bulk
l4_cluster bulk "" "$(be_ip 1):7012"
TCP_EXTRA="rcv_buf = $RCV_BUF; snd_buf = $SND_BUF;"
mg_l4_config
mg_start
mg_warm

be_serve bulk 1 7012 bulk --bytes "$BYTES"
tcpc source "$NET.100" 7012 "$BYTES" --stall-after $((1 << 20)) --stall "$STALL" --rcvbuf 65536 \
	>"$TMP/client.json" &
client=$!
max=0
samples=0
sleep 1 # the client has read its first MiB and stalls
for _ in $(seq $(((STALL - 2) * 4))); do
	st=$(ctl_json stats)
	used=$(jq '.mbufs.in_use - .mbufs.baseline' <<<"$st")
	[ "$used" -gt "$max" ] && max=$used && owners=$(jq -c .mbufs.by_owner <<<"$st")
	samples=$((samples + 1))
	# the two legs, mid-stall: both windows closed
	if [ $samples -eq 8 ]; then
		conns=$(ctl_json conns)
		table=$(ctl conns)
		legs=$(jq -c '[.connections[] | {remote, snd_wnd, rcv_wnd, snd_queued, proxy}]' <<<"$conns")
	fi
	sleep 0.25
done
say "during the ${STALL}s stall: at most $max mbufs in use over $samples samples (bound $BOUND), then held by $owners"
say "the legs during the stall: $legs"
# conns shows both legs of the proxied connection, each naming the other
jq -e --arg be "$(be_ip 1):7012" --arg vip "$NET.100:7012" '
	[.connections[] | select(.proxy != null)] as $p
	| ($p | length) == 2
	and ($p | map(.proxy.id) | unique | length) == 1
	and ($p | map(.proxy.service) | unique) == ["bulk"]
	and ([$p[] | select(.proxy.leg == "client")][0]) as $c
	| ([$p[] | select(.proxy.leg == "upstream")][0]) as $u
	| $c.local == $vip and $u.remote == $be and $c.proxy.endpoint == $be
	and $c.proxy.peer.remote == $u.remote and $c.proxy.peer.local == $u.local
	and $u.proxy.peer.remote == $c.remote and $u.proxy.peer.local == $c.local' \
	<<<"$conns" >/dev/null || fail "conns does not show both legs of the proxied connection: $legs"
grep -q "client bulk -> $(be_ip 1):7012" <<<"$table" || fail "conns table has no PROXY column: $table"
rc=0
wait "$client" || rc=$?
be_served bulk || true
s=$SRV
[ $rc -eq 0 ] || fail "client: $(cat "$TMP/client.json")"
jq -e '.sha_received == .sha_expected' "$TMP/client.json" >/dev/null || fail "transfer not intact: $(cat "$TMP/client.json")"
jq -e ".error == null and .sent == $BYTES" <<<"$s" >/dev/null || fail "backend: $s"
say "then $BYTES bytes intact in $(jq .seconds "$TMP/client.json")s in all"
[ "$max" -gt 0 ] || fail "no mbuf held during the stall: the measurement is wrong"
[ "$max" -le "$BOUND" ] || fail "$max mbufs in use during the stall, over the bound of $BOUND"
mg_l4_end
mg_stop
say "ok"
