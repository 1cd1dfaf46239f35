#!/usr/bin/env bash
# test_tcp_hostile.sh - a hostile peer crafted with scapy (hostile.py) against
# the echo service: RSTs out of and in the window (ignored / challenge ACK),
# a SYN on an open connection, data beyond the window, overlapping
# retransmissions with other bytes, SACK blocks beyond snd_nxt, a zero window
# with probes, MSS 1, a PAWS-old segment, an exact RST. Each case is checked
# by what comes back on the wire and by the gateway's counters; the peer
# kernel, which knows none of these connections, has its RSTs dropped by
# nftables so it cannot interfere.
#
#   netns $GW: meshgw (echo on 7)  ── veth ──  netns $PEER: hostile.py on
#                                                $PEERIF (AF_PACKET), the
#                                                kernel's RSTs dropped
source "$(dirname "$0")/lib.sh"
need nft
/usr/bin/python3 -c 'import scapy' 2>/dev/null || fail "scapy missing"

mg_topology
in_peer nft -f - <<-NFT
	table inet hostile {
		chain out {
			type filter hook output priority 0; policy accept;
			tcp flags & rst == rst drop
		}
	}
NFT
mg_tcp_config
mg_start
mg_warm

GW_MAC=$(ctl_json status | jq -r '.ports[0].mac')
rc=0
in_peer timeout 60 /usr/bin/python3 "$(dirname "$0")/hostile.py" "$PEERIF" "$GW_MAC" "$GW_IP" \
	"$PEER_IP" "$BUILD/meshgwctl" "$SOCK" >"$TMP/cases" 2>"$TMP/err" || rc=$?
while read -r line; do
	say "$(jq -r '"\(.case): \(if .ok then "ok" else "FAILED" end) \(.detail | tostring)"' <<<"$line")"
done <"$TMP/cases"
[ $rc -ne 124 ] || fail "hostile.py timed out"
[ -s "$TMP/err" ] && cat "$TMP/err" >&2
failed=$(jq -r 'select(.ok == false) | .case' "$TMP/cases" | tr '\n' ' ')
[ -z "$failed" ] || fail "cases failed: $failed"
[ $rc -eq 0 ] || fail "hostile.py exited $rc"
n=$(grep -c . "$TMP/cases")
[ "$n" -eq 11 ] || fail "$n of 11 cases reported"
mg_tcp_end
mg_stop
say "ok"
