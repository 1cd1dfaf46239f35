#!/usr/bin/env bash
# test_tcp_synflood.sh - SYN cookies under a SYN flood: the echo listener
# with tcp.syn_backlog 16 gets SYNs from the peer namespace (synflood.py:
# scapy frames on one L2 socket, from the peer's address and eight more,
# source ports 10000-29999) that are never completed, so the backlog stays
# full and the gateway answers with cookies. Meanwhile the kernel's own
# clients connect through that full backlog: an echo transfer (checked by
# SHA-256 both ways) and a run of short connections. syncookies_sent and
# syncookies_validated rise, no cookie fails, nothing overflows, and after
# the flood nothing is left (half-open SYN-ACKs give up after 2 retries of
# 200 ms) and no mbuf leaked.
#
# The peer kernel answers the flood's SYN-ACKs with RSTs (it never sent
# those SYNs): nftables in the peer namespace drops RSTs from the flood's
# port range, or the half-open connections would go at once and the backlog
# would never fill.
source "$(dirname "$0")/lib.sh"
need nft
[ -x "$PY" ] && "$PY" -c 'import scapy' 2>/dev/null || fail "scapy missing"

FLOOD=${MG_FLOOD:-30000}
RATE=${MG_FLOOD_RATE:-3000}
ECHO_BYTES=${MG_FLOOD_ECHO:-$((16 << 20))}
MANY=${MG_FLOOD_MANY:-60}

mg_topology
mg_peer_route congctl cubic
SRCS=$PEER_IP
for i in $(seq 3 10); do
	in_peer ip addr add "$NET.$i/24" dev "$PEERIF"
	SRCS+=",$NET.$i"
done
in_peer nft -f - <<-NFT
	table ip flood {
		chain out {
			type filter hook output priority 0; policy accept;
			ip daddr $GW_IP tcp sport 10000-29999 tcp flags & rst == rst drop
		}
	}
NFT
TCP_EXTRA='syn_backlog = 16; syncookies = true; rto_initial = "200ms"; syn_retries = 2;' \
	mg_tcp_config
mg_start
mg_warm
GW_MAC=$(ctl_json status | jq -r '.ports[0].mac')

ip netns exec "$PEER" "$PY" "$(dirname "$0")/synflood.py" "$PEERIF" "$GW_MAC" "$GW_IP" \
	"$SRCS" 7 "$FLOOD" "$RATE" >"$TMP/flood.json" 2>&1 &
FLOOD_PID=$!
t0=$SECONDS
until [ "$(tcp_stat syncookies_sent)" -ge 100 ]; do
	[ $((SECONDS - t0)) -lt 15 ] || fail "no cookies after 15s of flood: $(ctl_json stats | jq -c .totals.tcp)"
	kill -0 $FLOOD_PID 2>/dev/null || fail "flood ended early: $(cat "$TMP/flood.json")"
	sleep 0.2
done
half=$(conns_count syn_received)
[ "$half" -le 16 ] || fail "$half half-open connections on a backlog of 16"
say "backlog full ($half half-open), $(tcp_stat syncookies_sent) cookies sent"

# the kernel's clients through the full backlog, while the flood goes on
v0=$(tcp_stat syncookies_validated)
tcpc_ok echo echo "$GW_IP" 7 "$ECHO_BYTES" --conns 2
tcpc_ok many many "$GW_IP" 7 "$MANY" --parallel 8 --bytes 300
kill -0 $FLOOD_PID 2>/dev/null || say "warning: the flood ended before the clients did"
v1=$(tcp_stat syncookies_validated)
say "echo: 2 x $ECHO_BYTES bytes in $(jq .total_seconds "$TMP/echo.json")s;" \
	"$MANY short connections in $(jq .seconds "$TMP/many.json")s; $((v1 - v0)) cookies validated"
wait $FLOOD_PID || fail "flood failed: $(cat "$TMP/flood.json")"
say "flood: $(cat "$TMP/flood.json")"

mg_tcp_end 15
ctl_json stats >"$TMP/stats"
jq -c '.totals.tcp | {syncookies_sent, syncookies_validated, syncookies_failed, listen_overflows, passive_opens}' \
	"$TMP/stats"
t() { jq ".totals.tcp.$1" "$TMP/stats"; }
[ "$(t syncookies_sent)" -ge $((FLOOD / 2)) ] || fail "only $(t syncookies_sent) cookies for $FLOOD SYNs"
# every kernel connection found the backlog full: nearly all of them
# completed with a cookie (a few may find a slot just freed)
[ $((v1 - v0)) -ge $((MANY / 2 + 1)) ] || fail "only $((v1 - v0)) handshakes completed by cookie"
[ "$(t syncookies_failed)" -eq 0 ] || fail "$(t syncookies_failed) cookies failed"
[ "$(jq '.totals.drops.tcp_syncookie_invalid' "$TMP/stats")" -eq 0 ] || fail "invalid cookies dropped"
[ "$(t listen_overflows)" -eq 0 ] || fail "$(t listen_overflows) SYNs dropped with cookies on"
n=$(jq .totals.diag.echo.connections "$TMP/stats")
[ "$n" -eq $((MANY + 2)) ] || fail "echo counted $n connections, expected $((MANY + 2))"
mg_stop
say "ok"
