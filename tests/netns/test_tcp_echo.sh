#!/usr/bin/env bash
# test_tcp_echo.sh - bulk data through the diagnostic services with the
# kernel's TCP as the peer (cubic on the peer's route): 1 GiB through echo,
# checked byte for byte and by SHA-256 in both directions; 256 MiB each into
# discard and out of source (source's pattern checked); the TCP and service
# counters agree with what moved; no connection left, no mbuf leaked.
source "$(dirname "$0")/lib.sh"

ECHO_BYTES=${MG_ECHO_BYTES:-$((1 << 30))}
ONEWAY_BYTES=${MG_ONEWAY_BYTES:-$((256 << 20))}

mg_topology
mg_peer_route congctl cubic
mg_tcp_config
mg_start
mg_warm

tcpc_ok echo echo "$GW_IP" 7 "$ECHO_BYTES"
say "echo: $ECHO_BYTES bytes each way in $(jq .seconds "$TMP/echo.json")s, sha256 $(jq -r .sha_received "$TMP/echo.json" | cut -c1-16)..."

tcpc_ok discard discard "$GW_IP" 9 "$ONEWAY_BYTES"
say "discard: $ONEWAY_BYTES bytes in $(jq .seconds "$TMP/discard.json")s"

tcpc_ok source source "$GW_IP" 19 "$ONEWAY_BYTES"
jq -e '.sha_received == .sha_expected' "$TMP/source.json" >/dev/null ||
	fail "source: sha256 of what arrived differs from the pattern's"
say "source: $ONEWAY_BYTES bytes in $(jq .seconds "$TMP/source.json")s, pattern checked"

mg_tcp_end
ctl_json stats >"$TMP/stats"
d() { jq ".totals.diag.$1" "$TMP/stats"; }
[ "$(d echo.bytes_in)" -eq "$ECHO_BYTES" ] || fail "echo counted $(d echo.bytes_in) bytes in"
[ "$(d echo.bytes_out)" -eq "$ECHO_BYTES" ] || fail "echo counted $(d echo.bytes_out) bytes out"
[ "$(d discard.bytes_in)" -eq "$ONEWAY_BYTES" ] || fail "discard counted $(d discard.bytes_in) bytes"
[ "$(d source.bytes_out)" -ge "$ONEWAY_BYTES" ] || fail "source counted $(d source.bytes_out) bytes"
for a in echo discard source; do
	[ "$(d $a.connections)" -eq 1 ] || fail "$a counted $(d $a.connections) connections"
	[ "$(d $a.active)" -eq 0 ] || fail "$a still counts $(d $a.active) active"
done
jq -e '.totals.tcp.passive_opens >= 3 and .totals.tcp.segs_in > 0 and .totals.tcp.curr_estab == 0' \
	"$TMP/stats" >/dev/null || fail "tcp counters: $(jq -c .totals.tcp "$TMP/stats")"
in_gw curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" >"$TMP/metrics" || fail "/metrics not served"
grep -q '^meshgw_tcp_passive_opens_total{worker="0"} ' "$TMP/metrics" || fail "no tcp family in /metrics"
grep -q '^meshgw_diag_bytes_in_total{worker="0",service="echo"} ' "$TMP/metrics" || fail "no diag family in /metrics"
mg_stop
say "ok"
