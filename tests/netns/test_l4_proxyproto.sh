#!/usr/bin/env bash
# test_l4_proxyproto.sh - a cluster with proxy_protocol = true: the backend
# reads a PROXY protocol v2 header first that names the client's own address
# and port and the VIP it connected to, then the client's bytes; a cluster
# without it sends the client's bytes alone (the backend would refuse a
# header it does not expect: its first line is echoed as it came).
#
#   $PEER (client) ── bridge ── meshgw  VIPs $NET.100:7020 (pp2), :7021 (plain)
#                        └── backend 1  $NET.11:7020, :7021
source "$(dirname "$0")/lib.sh"
need nginx
export MG_IO_TIMEOUT=5

mg_topology
mg_backends 1
l4_service s7020 "$NET.100:7020" c7020
l4_cluster c7020 "proxy_protocol = true;" "$(be_ip 1):7020"
l4_service s7021 "$NET.100:7021" c7021
l4_cluster c7021 "" "$(be_ip 1):7021"
mg_l4_config
mg_start
mg_warm

be_serve pp2 1 7020 pp2
c=$(l4c echo "$NET.100" 7020) || fail "client: $c"
be_served pp2 || fail "backend: $SRV"
say "PROXY v2: client $(jq -r .local <<<"$c"), backend read $(jq -c .pp2 <<<"$SRV")"
jq -e --arg src "$(jq -r .local <<<"$c")" --arg dst "$NET.100:7020" \
	'.pp2.source == $src and .pp2.destination == $dst and .outcome == "eof"' <<<"$SRV" >/dev/null ||
	fail "header does not name the client and the VIP: client $c, backend $SRV"

be_serve plain 1 7021 watch
c=$(l4c echo "$NET.100" 7021) || fail "client without PROXY protocol: $c"
be_served plain || fail "backend: $SRV"
jq -e '.echo == "hello pp2\n"' <<<"$c" >/dev/null || fail "plain cluster: $c"
mg_l4_end
mg_stop
say "ok"
