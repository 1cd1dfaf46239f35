#!/usr/bin/env bash
# test_demo.sh - the README's run command in --oneshot mode brings the demo
# up on conf/meshgw.conf, pings it, gets a line back from its TCP echo
# service, balances six requests over three nginx backends (two each), prints
# status and tears down, exiting 0.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
out=$(MESHGW_BUILD=${MESHGW_BUILD:-$ROOT/build} "$ROOT/scripts/demo.sh" --oneshot 2>&1) || {
	echo "$out" | tail -30
	exit 1
}
grep -q "3 packets transmitted, 3 received" <<<"$out" || { echo "$out" | tail -20; exit 1; }
grep -qx "hello from the kernel's TCP" <<<"$out" || { echo "no echo over TCP:"; echo "$out" | tail -20; exit 1; }
grep -q '"\?running' <<<"$out" || { echo "$out" | tail -20; exit 1; }
# six requests through the VIP, round robin over three backends: two each
for b in 1 2 3; do
	n=$(grep -cx "backend $b" <<<"$out" || true)
	[ "$n" -eq 2 ] || { echo "backend $b answered $n of 6 requests, expected 2:"; echo "$out" | tail -30; exit 1; }
done
! ip netns list | grep -q '^mgw-demo' || { echo "demo namespaces left behind"; exit 1; }
echo "demo ok"
