#!/usr/bin/env bash
# test_tcp_client.sh - the stack as a client (`meshgwctl call tcp-probe`):
# worker 0 connects to a kernel echo server in the peer namespace, sends
# 64 MiB of the diagnostic pattern, half-closes and reads the echo; both the
# server and the gateway check the SHA-256 of what they received. Then a
# refused connection and a timeout give clear errors, the gateway's
# TIME-WAIT (it closed first) clears, and no mbuf leaked.
source "$(dirname "$0")/lib.sh"

BYTES=${MG_PROBE_BYTES:-$((64 << 20))}

mg_topology
mg_peer_route congctl cubic
mg_tcp_config
mg_start
mg_warm

expect=$("$PY" "$TCPCLIENT" pattern-sha "$BYTES" | jq -r .sha256)
ip netns exec "$PEER" timeout 60 "$PY" "$TCPCLIENT" server 5001 >"$TMP/server.json" 2>&1 &
spid=$!
t0=$SECONDS
until grep -q listening "$TMP/server.json" 2>/dev/null; do
	[ $((SECONDS - t0)) -lt 10 ] || fail "echo server did not start: $(cat "$TMP/server.json")"
	sleep 0.1
done
ctl_json --timeout 70s call tcp-probe \
	"{\"address\":\"$PEER_IP\",\"port\":5001,\"bytes\":$BYTES,\"timeout_ms\":60000}" >"$TMP/probe.json" ||
	fail "tcp-probe failed"
# the gateway closed first: its side goes through TIME-WAIT (2 MSL: 2 s)
tw=$(conns_count time_wait)
wait $spid || fail "server: $(cat "$TMP/server.json")"
srv=$(tail -1 "$TMP/server.json")
say "probe: $(jq -c . "$TMP/probe.json"); server received $(jq .received <<<"$srv")"
jq -e --argjson n "$BYTES" --arg h "$expect" \
	'.connected and .sent == $n and .received == $n and .received_sha256 == $h' "$TMP/probe.json" >/dev/null ||
	fail "probe result: $(cat "$TMP/probe.json"), expected $BYTES bytes with sha256 $expect"
jq -e --argjson n "$BYTES" --arg h "$expect" '.received == $n and .sha_received == $h' <<<"$srv" >/dev/null ||
	fail "the server received the wrong data: $srv"
say "gateway connections in TIME-WAIT after the probe: $tw"
[ "$tw" -ge 1 ] || fail "the probe's connection is not in TIME-WAIT"

# nothing listens on 5002: refused
out=$(ctl --timeout 10s call tcp-probe \
	"{\"address\":\"$PEER_IP\",\"port\":5002,\"bytes\":10,\"timeout_ms\":5000}" 2>&1) &&
	fail "probe to a closed port succeeded: $out"
grep -q ECONNREFUSED <<<"$out" || fail "closed port: unclear error: $out"
say "closed port: $out"
# the peer drops everything to 5003 (no RST): the probe times out
in_peer nft -f - <<-NFT
	table inet mgdrop {
		chain input {
			type filter hook input priority 0; policy accept;
			tcp dport 5003 drop
		}
	}
NFT
out=$(ctl --timeout 10s call tcp-probe \
	"{\"address\":\"$PEER_IP\",\"port\":5003,\"bytes\":10,\"timeout_ms\":1500}" 2>&1) &&
	fail "probe to a silent port succeeded: $out"
grep -q 'ETIMEDOUT: tcp-probe' <<<"$out" || fail "silent port: unclear error: $out"
say "silent port: $out"
t0=$SECONDS # the worker gives up on its own clock, a moment after the reply
until stat_q '.totals.diag.probe' | jq -e '.connections == 3 and .active == 0' >/dev/null; do
	[ $((SECONDS - t0)) -lt 5 ] || fail "probe counters: $(stat_q '.totals.diag.probe')"
	sleep 0.2
done
mg_tcp_end
mg_stop
say "ok"
