#!/usr/bin/env bash
# test_l4_halfclose.sh - half-close carried both ways through the proxy:
#   1. the client sends 1 MiB and shuts its write side; the backend reads to
#      EOF (the FIN came through) and only then answers 4 MiB: the client
#      receives all of it, intact, then EOF;
#   2. the backend sends 4 MiB and shuts its write side first; the client
#      reads to EOF, then sends 1 MiB and shuts: the backend receives all of
#      it, intact.
#
#   $PEER (client) ── bridge ── meshgw  VIPs $NET.100:7010, :7011
#                        └── backend 1  $NET.11:7010 (after-eof), :7011 (then-read)
source "$(dirname "$0")/lib.sh"
need nginx

export MG_IO_TIMEOUT=10 # a lost FIN fails in 10 s, not 30
SEND=$((1 << 20))
ANSWER=$((4 << 20))

mg_topology
mg_backends 1
for port in 7010 7011; do
	l4_service "s$port" "$NET.100:$port" "c$port"
	l4_cluster "c$port" "" "$(be_ip 1):$port"
done
mg_l4_config
mg_start
mg_warm

# check NAME CLIENT.json SERVER.json: each end got the other's bytes intact
check() {
	local name=$1 c=$2 s=$3
	say "$name: client got $(jq .received <<<"$c") bytes (error: $(jq -c '.error // "none"' <<<"$c")), backend got $(jq .received <<<"$s") (intact: $(jq .intact <<<"$s"))"
	jq -e '.error == null and .sha_received == .sha_expected' <<<"$c" >/dev/null || fail "$name: client: $c"
	jq -e ".error == null and .received == $SEND and .intact" <<<"$s" >/dev/null || fail "$name: backend: $s"
}

be_serve after 1 7010 after-eof --bytes "$ANSWER"
c=$(l4c halfclose "$NET.100" 7010 --send "$SEND" --expect "$ANSWER") || true
be_served after || true
s=$SRV
check "client shuts first" "$c" "$s"

be_serve late 1 7011 then-read --bytes "$ANSWER"
c=$(l4c late-send "$NET.100" 7011 --send "$SEND" --expect "$ANSWER") || true
be_served late || true
s=$SRV
check "backend shuts first" "$c" "$s"

[ "$(proxy_stat client_resets)" -eq 0 ] && [ "$(proxy_stat upstream_resets)" -eq 0 ] ||
	fail "resets: $(stat_q '.totals.proxy | {client_resets, upstream_resets}' | jq -c .)"
mg_l4_end
mg_stop
say "ok"
