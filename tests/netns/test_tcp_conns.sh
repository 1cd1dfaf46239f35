#!/usr/bin/env bash
# test_tcp_conns.sh - `meshgwctl conns` over two workers: the peer holds
# $N connections to echo open; the total counts every match whatever the
# limit, a limit below it truncates to exactly that many rows (the workers
# copy at most limit each), and the state and port filters run on the
# workers. Then the connections close and nothing is left.
#
#   netns $PEER: N kernel sockets ── veth ── netns $GW: meshgw, 2 workers, echo on 7
source "$(dirname "$0")/lib.sh"

N=${MG_CONNS:-64}

mg_topology
WORKERS=2 CORES='cores = [ 1, 1 ];' mg_tcp_config
mg_start
mg_warm

# N connections, held until $TMP/release appears (or 60 s pass)
in_peer "$PY" - "$GW_IP" "$N" "$TMP" <<'PY' &
import os, socket, sys, time
ip, n, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
socks = [socket.create_connection((ip, 7), timeout=10) for _ in range(n)]
open(os.path.join(tmp, "held"), "w").close()
t0 = time.time()
while not os.path.exists(os.path.join(tmp, "release")) and time.time() - t0 < 60:
    time.sleep(0.05)
for s in socks:
    s.close()
PY
holder=$!
t0=$SECONDS
until [ -f "$TMP/held" ]; do
	[ $((SECONDS - t0)) -lt 20 ] || fail "the peer did not open $N connections"
	sleep 0.1
done
t0=$SECONDS
until [ "$(conns_count established)" -eq "$N" ]; do
	[ $((SECONDS - t0)) -lt 5 ] || fail "$(conns_count established) of $N connections established"
	sleep 0.1
done

# conns_check ARGS -- JQ: `conns --json ARGS` must satisfy JQ.
conns_check() {
	local args=() j
	while [ "$1" != "--" ]; do
		args+=("$1")
		shift
	done
	shift
	j=$(ctl_json conns "${args[@]}") || fail "meshgwctl conns ${args[*]} failed"
	jq -e "$1" <<<"$j" >/dev/null ||
		fail "conns ${args[*]}: $(jq -c '{count, truncated, rows: (.connections | length)}' <<<"$j"), expected $1"
}
conns_check -- ".count == $N and (.truncated | not) and (.connections | length) == $N and
	([.connections[].worker] | unique) == [0, 1]"
conns_check --limit 1 -- ".count == $N and .truncated and (.connections | length) == 1"
conns_check --limit $((N - 1)) -- ".count == $N and .truncated and (.connections | length) == $((N - 1))"
conns_check --limit "$N" -- ".count == $N and (.truncated | not) and (.connections | length) == $N"
conns_check --state established --limit 3 -- ".count == $N and (.connections | length) == 3 and
	all(.connections[]; .state == \"established\")"
conns_check --state Time-Wait -- '.count == 0 and (.connections | length) == 0'
conns_check --port 7 --limit 2 -- ".count == $N and (.connections | length) == 2"
conns_check --port 9 -- '.count == 0'
rport=$(ctl_json conns --limit 1 | jq -r '.connections[0].remote | split(":")[1]')
conns_check --port "$rport" --state established -- ".count == 1 and
	.connections[0].remote == \"$PEER_IP:$rport\""
out=$(ctl conns --state bogus 2>&1) && fail "an unknown state was accepted: $out"
say "$N connections on two workers: totals, limits and filters check out"

touch "$TMP/release"
wait "$holder" || fail "the peer's connections failed"
mg_tcp_end
mg_stop
say "ok"
