#!/usr/bin/env bash
# tcp_loss.sh - soak tier: 1 GiB through echo at 5% loss each way, both ends
# with a 10 ms minimum RTO, hashes checked both ways; then the same between
# two kernels under the same loss, for comparison. Prints both times.
#
#   meshgw:  tests/netns/test_tcp_loss.sh case 1 (the kernel peer with every
#            option and cubic, meshgw with cubic; loss from meshgw's impair
#            drop on rx and tx)
#   kernel:  netns $KA (tcpclient.py echo) -- veth -- netns $KB (tcpbench
#            serve 7 echo), the veth offloads of the gateway topology (the
#            peer's on $KA, the gateway's on $KB), 5% of TCP dropped at each
#            namespace's input hook by nftables (this kernel has no netem),
#            cubic and rto_min 10ms on both routes
#
# MG_SOAK_LOSS_BYTES (default 1 GiB) and MG_SOAK_LOSS_TIMEOUT (seconds per
# transfer, default 3600) for quicker runs.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export MESHGW_BUILD=${MESHGW_BUILD:-$ROOT/build}
BYTES=${MG_SOAK_LOSS_BYTES:-$((1 << 30))}
LIMIT=${MG_SOAK_LOSS_TIMEOUT:-3600}

# ---- meshgw ------------------------------------------------------------------
GW_LOG=$(mktemp /tmp/meshgw-soak-loss.XXXXXX)
rc=0
MG_LOSS_BYTES=$BYTES MG_LOSS_TIMEOUT=$LIMIT MG_LOSS_FIRST_ONLY=1 MG_IO_TIMEOUT=120 \
	bash "$ROOT/tests/netns/test_tcp_loss.sh" 2>&1 | tee "$GW_LOG" || rc=$?
GW_SECS=$(sed -n 's/.* all: [0-9]* bytes each way in \([0-9.]*\)s;.*/\1/p' "$GW_LOG")
rm -f "$GW_LOG"
[ $rc -eq 0 ] || exit $rc
[ -n "$GW_SECS" ] || { echo "tcp_loss: no time from test_tcp_loss.sh" >&2; exit 1; }

# ---- kernel to kernel --------------------------------------------------------
source "$ROOT/tests/netns/lib.sh"
need nft
need ethtool
SERVER=$BUILD/perf/tcpbench
[ -x "$SERVER" ] || fail "no $SERVER (ninja -C $BUILD perf/tcpbench)"
KA=mg${ID}ka
KB=mg${ID}kb
KNET=10.$((0x${ID:0:2} % 200 + 20)).$(((0x${ID:2:2} + 128) % 256))
SERVER_PID=""

kernel_cleanup() {
	[ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null || true
	ip netns del "$KA" 2>/dev/null || true
	ip netns del "$KB" 2>/dev/null || true
}
trap 'rc=$?; kernel_cleanup; (exit $rc); mg_cleanup' EXIT

in_ka() { ip netns exec "$KA" "$@"; }
in_kb() { ip netns exec "$KB" "$@"; }

ip netns add "$KA"
ip netns add "$KB"
ip link add "${KA}x" type veth peer name "${KB}x"
ip link set "${KA}x" netns "$KA"
ip link set "${KB}x" netns "$KB"
for ns in "$KA" "$KB"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" ip link set lo up
	ip netns exec "$ns" nft -f - <<-NFT
		table inet loss {
			chain input {
				type filter hook input priority 0; policy accept;
				meta l4proto tcp numgen random mod 100 < 5 counter drop
			}
		}
	NFT
done
in_ka ethtool -K "${KA}x" tx off tso off gso off gro off >/dev/null 2>&1 || true
in_kb ethtool -K "${KB}x" tx off tso off gso off gro off rx off >/dev/null 2>&1 || true
in_ka ip addr add "$KNET.2/24" dev "${KA}x"
in_kb ip addr add "$KNET.1/24" dev "${KB}x"
in_ka ip link set "${KA}x" up
in_kb ip link set "${KB}x" up
in_ka ip route replace "$KNET.0/24" dev "${KA}x" proto kernel scope link src "$KNET.2" \
	congctl cubic rto_min 10ms
in_kb ip route replace "$KNET.0/24" dev "${KB}x" proto kernel scope link src "$KNET.1" \
	congctl cubic rto_min 10ms
# not through in_kb: a backgrounded function would be a subshell with its own pid
ip netns exec "$KB" "$SERVER" serve 7 echo &
SERVER_PID=$!
in_ka ping -c 3 -i 0.2 -W 2 "$KNET.1" >/dev/null || fail "kernel pair not up"
for _ in $(seq 50); do
	in_kb ss -Hltn 'sport = :7' | grep -q . && break
	sleep 0.1
done

rc=0
in_ka timeout "$LIMIT" env MG_IO_TIMEOUT=120 "$PY" "$TCPCLIENT" echo "$KNET.1" 7 "$BYTES" \
	>"$TMP/kernel.json" || rc=$?
[ $rc -eq 0 ] || fail "kernel: client failed ($rc): $(cat "$TMP/kernel.json")"
jq -e '.sha_sent == .sha_received and .received == .sent' "$TMP/kernel.json" >/dev/null ||
	fail "kernel: hash mismatch: $(cat "$TMP/kernel.json")"
KERNEL_SECS=$(jq .seconds "$TMP/kernel.json")
drops() { ip netns exec "$1" nft list chain inet loss input | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
say "kernel: $BYTES bytes each way in ${KERNEL_SECS}s;" \
	"dropped $(drops "$KB") to the server, $(drops "$KA") to the client;" \
	"client $(in_ka nstat -asz TcpRetransSegs TcpExtTCPSackRecovery | awk 'NR > 1 { printf "%s %s ", $1, $2 }')"
say "result: $BYTES bytes each way through echo, 5% loss each way, rto_min 10ms:" \
	"meshgw ${GW_SECS}s, kernel to kernel ${KERNEL_SECS}s"
