#!/usr/bin/env bash
# test_tcp_zero_window.sh - a reader that stops for 10 s while source pushes:
# the peer's window closes, the gateway's send queue (unacked + queued)
# stays within tcp.snd_buf, zero-window probes are sent and counted, and
# when the reader resumes the transfer completes with source's pattern intact.
source "$(dirname "$0")/lib.sh"

BYTES=${MG_ZW_BYTES:-$((64 << 20))}
STALL_AFTER=$((4 << 20))
STALL_S=${MG_ZW_STALL:-10}
SND_BUF=262144

mg_topology
mg_peer_route congctl cubic
TCP_EXTRA="snd_buf = $SND_BUF;"
mg_tcp_config
mg_start
mg_warm

probes0=$(tcp_stat zero_window_probes)
# a small receive buffer so the window closes soon after the reader stops
ip netns exec "$PEER" timeout $((STALL_S + 60)) "$PY" "$TCPCLIENT" source "$GW_IP" 19 "$BYTES" \
	--rcvbuf 65536 --stall-after "$STALL_AFTER" --stall "$STALL_S" >"$TMP/source.json" 2>&1 &
pid=$!
max_q=0
zero_seen=0
samples=0
while kill -0 $pid 2>/dev/null; do
	c=$(ctl_json conns --port 19 | jq -c '.connections[0] // empty')
	if [ -n "$c" ]; then
		q=$(jq '.unacked + .snd_queued' <<<"$c")
		[ "$q" -gt "$max_q" ] && max_q=$q
		[ "$(jq .snd_wnd <<<"$c")" -eq 0 ] && zero_seen=$((zero_seen + 1))
		samples=$((samples + 1))
		[ "$q" -le "$SND_BUF" ] || fail "send queue $q bytes is over snd_buf ($SND_BUF): $c"
	fi
	sleep 0.25
done
rc=0
wait $pid || rc=$?
[ $rc -eq 0 ] || fail "reader: $(jq -r '.error // empty' "$TMP/source.json" 2>/dev/null || cat "$TMP/source.json")"
jq -e '.sha_received == .sha_expected' "$TMP/source.json" >/dev/null || fail "pattern hash differs"
probes=$(( $(tcp_stat zero_window_probes) - probes0 ))
say "$BYTES bytes in $(jq .seconds "$TMP/source.json")s with a ${STALL_S}s stall; send queue at most $max_q bytes" \
	"(snd_buf $SND_BUF) over $samples samples, zero window in $zero_seen, $probes zero-window probes"
[ "$samples" -gt 10 ] || fail "only $samples samples of the connection"
[ "$zero_seen" -gt 0 ] || fail "the gateway never saw the peer's window closed"
[ "$probes" -gt 0 ] || fail "no zero-window probe counted"
mg_tcp_end
mg_stop
say "ok"
