#!/usr/bin/env bash
# demo.sh - the README's run command: set up the machine, build, bring up the
# demo topology (two network namespaces joined by a veth pair), start meshgw
# on conf/meshgw.conf and show it answering (ping, and a line through its
# TCP echo service), then balance requests to the service "web" (VIP
# 10.77.0.100:80) over three nginx backends and show which one answered.
# Stays up until Ctrl-C, or with --oneshot: bring up, ping, echo, balance,
# print status, tear down, exit 0.
#
#   netns mgw-demo (meshgw)            netns mgw-client (kernel)
#   mgw-demo0 (af_packet) ──── veth ──── mgw-client0 10.77.0.2/24, and the
#   meshgw owns 10.77.0.1/24,                backends 10.77.0.11-13 (nginx :8080)
#   answers ARP for the VIP 10.77.0.100
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${MESHGW_BUILD:-$ROOT/build}
ONESHOT=0
[ "${1:-}" = "--oneshot" ] && ONESHOT=1
NS_GW=mgw-demo
NS_CL=mgw-client
CONF=$ROOT/conf/meshgw.conf
SOCK=/run/meshgw/meshgw.sock
PID=""
NGINX_DIR=""

say() { printf 'demo: %s\n' "$*"; }

teardown() {
	set +e
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID"
		wait "$PID"
	fi
	if [ -n "$NGINX_DIR" ] && [ -f "$NGINX_DIR/nginx.pid" ]; then
		kill "$(cat "$NGINX_DIR/nginx.pid")" 2>/dev/null
	fi
	[ -z "$NGINX_DIR" ] || rm -rf "$NGINX_DIR"
	ip netns del "$NS_GW" 2>/dev/null
	ip netns del "$NS_CL" 2>/dev/null
}

"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" "$BUILD"

teardown
trap teardown EXIT
ip netns add "$NS_GW"
ip netns add "$NS_CL"
for ns in "$NS_GW" "$NS_CL"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$ns" ip link set lo up
done
ip link add mgw-demo0 type veth peer name mgw-client0
ip link set mgw-demo0 netns "$NS_GW"
ip link set mgw-client0 netns "$NS_CL"
ip netns exec "$NS_CL" ethtool -K mgw-client0 tx off tso off gso off >/dev/null 2>&1 || true
ip netns exec "$NS_GW" ethtool -K mgw-demo0 tx off tso off gso off rx off >/dev/null 2>&1 || true
ip netns exec "$NS_GW" nft -f - <<'NFT'
table netdev guard {
	chain ingress {
		type filter hook ingress device "mgw-demo0" priority 0; policy drop;
	}
}
NFT
ip netns exec "$NS_GW" ip link set mgw-demo0 up
ip netns exec "$NS_CL" ip addr add 10.77.0.2/24 dev mgw-client0
ip netns exec "$NS_CL" ip link set mgw-client0 up
# the service's backends: three nginx servers in the client namespace
NGINX_DIR=$(mktemp -d /tmp/meshgw-demo-nginx.XXXXXX)
servers=""
for b in 1 2 3; do
	ip netns exec "$NS_CL" ip addr add "10.77.0.1$b/24" dev mgw-client0
	servers="$servers server { listen 10.77.0.1$b:8080; location / { return 200 \"backend $b\\n\"; } }"
done
cat >"$NGINX_DIR/nginx.conf" <<NGINX
worker_processes 1;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $NGINX_DIR; proxy_temp_path $NGINX_DIR; fastcgi_temp_path $NGINX_DIR;
	uwsgi_temp_path $NGINX_DIR; scgi_temp_path $NGINX_DIR;
	$servers
}
NGINX
ip netns exec "$NS_CL" nginx -c "$NGINX_DIR/nginx.conf"

say "starting meshgw on $CONF"
ip netns exec "$NS_GW" "$BUILD/meshgw" -c "$CONF" &
PID=$!
"$BUILD/meshgwctl" -s "$SOCK" wait-ready --timeout 30s
say "meshgw is ready; pinging it from $NS_CL"
ip netns exec "$NS_CL" ping -c 3 -i 0.2 10.77.0.1
say "a line through the echo service (TCP port 7) from $NS_CL:"
echo "hello from the kernel's TCP" | ip netns exec "$NS_CL" socat -t 2 - TCP:10.77.0.1:7
say "six requests to the service web (VIP 10.77.0.100:80, round robin, weights 1/1/1):"
for _ in 1 2 3 4 5 6; do
	ip netns exec "$NS_CL" curl -s -m 3 http://10.77.0.100/ || echo "request failed"
done
"$BUILD/meshgwctl" -s "$SOCK" status
"$BUILD/meshgwctl" -s "$SOCK" arp
"$BUILD/meshgwctl" -s "$SOCK" endpoints
if [ $ONESHOT -eq 1 ]; then
	say "oneshot: tearing down"
	exit 0
fi
say "up. Try: ip netns exec $NS_CL ping 10.77.0.1 | $BUILD/meshgwctl stats"
say "TCP: ip netns exec $NS_CL socat - TCP:10.77.0.1:7 (echo; 9 discard, 19 source) | $BUILD/meshgwctl conns"
say "service: ip netns exec $NS_CL curl http://10.77.0.100/ | $BUILD/meshgwctl services | clusters | endpoints"
say "metrics: ip netns exec $NS_GW curl -s 127.0.0.1:9901/metrics. Ctrl-C stops."
wait "$PID"
