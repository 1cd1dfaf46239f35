#!/usr/bin/env bash
# test_reload.sh - `meshgwctl reload` and SIGHUP under load:
#   0. an L4-only start, then a reload brings the first HTTP service (the
#      workers allocate its state then) and it answers;
#   1. wrk (16 keep-alive connections) and a 256 MiB echo transfer run
#      while six reloads add an endpoint, change weights, change a route,
#      remove an endpoint, remove the transfer's own service, and change a
#      restart-only setting (reported, not applied): wrk sees no error and
#      no non-2xx, the transfer's hashes match, no proxied connection was
#      reset, every reload's generation is acknowledged by every worker;
#   2. a drained endpoint stays drained across reloads that keep it;
#   3. a broken file is refused naming its line, the generation and the
#      traffic stay; SIGHUP reloads like the command does;
#   4. the removed service's VIP no longer accepts; old generations are
#      freed once their last connection ended;
#   5. a reload while the previous generation is still pending is refused
#      with a clear message.
#
#   $PEER ── bridge ── meshgw  VIP $NET.100:80 (http, route table r), :5007 (tcp echo)
#                 ├── backends 1, 2  h1peer.py serve-echo
#                 └── backend 3      tcpclient.py echo server :7007 (tbf 300 Mbit/s)
source "$(dirname "$0")/lib.sh"
need wrk

VIP=$NET.100
BYTES=${MG_BULK_BYTES:-$((256 << 20))}

mg_topology
mg_backends 3
h1_backend 1
h1_backend 2
B1=$(be_ip 1):$H1_PORT
B2=$(be_ip 2):$H1_PORT
# slow enough that every reload happens during the transfer
in_be 3 tc qdisc add dev "mg${ID}c3" root tbf rate 300mbit burst 64kb latency 100ms

# gen_conf STEP: the config of each step, written to $CONF
gen_conf() {
	local app="{ address = \"$(be_ip 1)\"; port = $H1_PORT; weight = 1; }" bulk=1 route=app idle=1ms
	case $1 in
	2) app+=", { address = \"$(be_ip 2)\"; port = $H1_PORT; weight = 1; }" ;;
	3 | 4) app+=", { address = \"$(be_ip 2)\"; port = $H1_PORT; weight = 3; }" ;;
	5) app="{ address = \"$(be_ip 2)\"; port = $H1_PORT; weight = 3; }" ;;
	6 | 7) app="{ address = \"$(be_ip 2)\"; port = $H1_PORT; weight = 3; }" bulk=0 ;;
	esac
	[ "$1" -ge 4 ] && route=app2
	[ "$1" -ge 7 ] && idle=2ms
	local svc_bulk='' cl_bulk='' web="{ name = \"web\"; vips = [ \"$VIP:80\" ]; route_table = \"r\"; protocol = \"http\"; }"
	[ "$1" = 0 ] && web=''
	if [ $bulk = 1 ]; then
		svc_bulk="{ name = \"bulk\"; vips = [ \"$VIP:5007\" ]; cluster = \"echo\"; }"
		cl_bulk=", { name = \"echo\"; endpoints = ( { address = \"$(be_ip 3)\"; port = 7007; } ); }"
	fi
	TOP_EXTRA="http = { upstream_idle_timeout = \"2s\"; };
	services = ( $web${web:+${svc_bulk:+, }}$svc_bulk );
	clusters = ( { name = \"app\"; endpoints = ( $app ); },
		{ name = \"app2\"; endpoints = ( { address = \"$(be_ip 2)\"; port = $H1_PORT; } ); }$cl_bulk );
	route_tables = ( { name = \"r\"; routes = (
		{ name = \"a\"; match = { path_prefix = \"/a\"; }; cluster = \"app\"; },
		{ name = \"all\"; match = { path_prefix = \"/\"; }; cluster = \"$route\"; } ); } );"
	mg_tcp_config
	sed -i "s/idle_sleep_max = \"1ms\"/idle_sleep_max = \"$idle\"/" "$CONF"
}

gen() { ctl_json status | jq -r .generation; }
# reload_ok STEP: writes STEP's config, reloads, checks the generation moved
# and every worker acknowledged it
reload_ok() {
	local g0 g
	g0=$(gen)
	gen_conf "$1"
	ctl_json reload >"$TMP/reload$1.json" || fail "reload $1 refused: $(cat "$TMP/reload$1.json")"
	g=$(gen)
	[ "$g" -eq $((g0 + 1)) ] || fail "reload $1: generation $g0 -> $g"
	for _ in $(seq 50); do
		[ "$(ctl_json status | jq "[.workers[].acked_generation] | all(. == $g)")" = true ] && break
		sleep 0.02
	done
	[ "$(ctl_json status | jq "[.workers[].acked_generation] | all(. == $g)")" = true ] ||
		fail "reload $1: generation $g not acknowledged: $(ctl_json status | jq -c .workers)"
	say "reload $1 ($2): generation $g, $(jq -c '{ms, restart_required}' "$TMP/reload$1.json")"
}

LOG_EXTRA="access_log = \"$TMP/access.log\";"
# an L4-only start: the workers have no HTTP state until a reload brings
# the first HTTP service
gen_conf 0
mg_start
mg_warm
[ "$(ctl_json status | jq -r .config_hash)" = "sha256:$(sha256sum "$CONF" | cut -d' ' -f1)" ] ||
	fail "status config_hash is not the file's SHA-256"
in_peer "$PY" -c "import socket; socket.create_connection(('$VIP', 80), 2)" 2>/dev/null &&
	fail "port 80 accepts before the HTTP service exists"
reload_ok 1 "the first HTTP service added"
in_peer curl -sf -m 3 -o /dev/null "http://$VIP/x" || fail "the HTTP service added by a reload does not answer"
[ "$(proxy_stat http_unavailable)" -eq 0 ] || fail "http_unavailable $(proxy_stat http_unavailable)"

# the transfer and wrk start; the reloads happen while both run
ip netns exec "$(be_ns 3)" timeout 120 "$PY" "$TCPCLIENT" server 7007 >"$TMP/echo.server" &
srv=$!
for _ in $(seq 100); do grep -q listening "$TMP/echo.server" && break; sleep 0.05; done
tcpc echo "$VIP" 5007 "$BYTES" >"$TMP/echo.json" &
xfer=$!
cat >"$TMP/wrk.lua" <<-'LUA'
	done = function(s, lat, req)
		io.write(string.format('{"requests": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
			s.requests, s.errors.connect, s.errors.read, s.errors.write, s.errors.status, s.errors.timeout))
	end
LUA
in_peer wrk -t 1 -c 16 -d 8s -s "$TMP/wrk.lua" "http://$VIP/x" >"$TMP/wrk.out" 2>&1 &
wrk=$!
sleep 1
reload_ok 2 "endpoint added"
sleep 0.5
reload_ok 3 "weights changed"
ctl drain app "$B2" >/dev/null || fail "drain"
sleep 0.5
reload_ok 4 "route changed"
[ "$(ctl_json endpoints app | jq -r ".endpoints[] | select(.endpoint == \"$B2\") | .drained")" = true ] ||
	fail "the drained endpoint lost its drain across a reload"
ctl undrain app "$B2" >/dev/null
sleep 0.5
reload_ok 5 "endpoint removed"
sleep 0.5
kill -0 $xfer 2>/dev/null || fail "the transfer ended before its service was removed: nothing tested"
reload_ok 6 "the transfer's service removed"
reload_ok 7 "restart-only setting changed"
jq -e '.restart_required == ["workers"]' "$TMP/reload7.json" >/dev/null ||
	fail "reload 7 did not report workers as restart-only: $(cat "$TMP/reload7.json")"
kill -0 $xfer 2>/dev/null || fail "the transfer ended during the reloads: nothing tested"

# 3. a broken file: refused with its line, nothing changes
g=$(gen)
cp "$CONF" "$TMP/good.conf"
printf 'bogus_group = {\n' >>"$CONF"
line=$(wc -l <"$CONF")
ctl reload >"$TMP/bad.out" 2>&1 && fail "a broken config was accepted"
grep -q "$CONF:$line" "$TMP/bad.out" || grep -q "$CONF:$((line + 1))" "$TMP/bad.out" ||
	fail "the refusal does not name the line: $(cat "$TMP/bad.out")"
[ "$(gen)" -eq "$g" ] || fail "a refused reload changed the generation"
say "broken file refused: $(head -1 "$TMP/bad.out")"
cp "$TMP/good.conf" "$CONF"
sed -i 's/weight = 3/weight = 4/' "$CONF"
kill -HUP "$MG_PID"
for _ in $(seq 50); do [ "$(gen)" -gt "$g" ] && break; sleep 0.05; done
[ "$(gen)" -eq $((g + 1)) ] || fail "SIGHUP did not reload"
say "SIGHUP: generation $(gen)"

wait $wrk || fail "wrk: $(tail -5 "$TMP/wrk.out")"
w=$(tail -1 "$TMP/wrk.out")
say "wrk across the reloads: $w"
jq -e '.requests > 1000 and .connect + .read + .write + .status + .timeout == 0' <<<"$w" >/dev/null ||
	fail "wrk saw errors or non-2xx across reloads: $(grep -E 'Socket errors|Non-2xx' "$TMP/wrk.out" | tr '\n' ' ')"
wait $xfer || fail "transfer: $(cat "$TMP/echo.json")"
wait $srv || fail "echo server: $(tail -1 "$TMP/echo.server")"
jq -e '.sha_sent == .sha_received and .received == .sent' "$TMP/echo.json" >/dev/null ||
	fail "transfer differs: $(cat "$TMP/echo.json")"
[ "$(tail -1 "$TMP/echo.server" | jq -r .sha_received)" = "$(jq -r .sha_sent "$TMP/echo.json")" ] ||
	fail "the backend received other bytes than the client sent"
say "transfer: $BYTES bytes each way in $(jq .seconds "$TMP/echo.json")s across 8 reloads, hashes match"
for c in client_resets upstream_resets idle_timeouts; do
	[ "$(proxy_stat $c)" -eq 0 ] || fail "proxy $c = $(proxy_stat $c): a connection was dropped"
done
[ "$(http_stat client_aborts)" -eq 0 ] && [ "$(http_stat upstream_aborts)" -eq 0 ] ||
	fail "HTTP aborts: client $(http_stat client_aborts), upstream $(http_stat upstream_aborts)"
say "no connection reset or aborted; keep-alive connections moved: $(http_stat rebinds)"
[ "$(http_stat rebinds)" -gt 0 ] || fail "no keep-alive connection moved to a new generation"

# 4. the removed service's VIP refuses; old generations are freed
if in_peer "$PY" -c "import socket; socket.create_connection(('$VIP', 5007), 2)" 2>/dev/null; then
	ctl conns >&2
	fail "the removed service still accepts"
fi
for _ in $(seq 50); do
	[ "$(ctl_json status | jq .generations_held)" -eq 0 ] && break
	sleep 0.1
done
[ "$(ctl_json status | jq .generations_held)" -eq 0 ] ||
	fail "old generations still held after every connection ended: $(ctl_json status | jq .generations_held)"
curl_out=$(in_peer curl -s -m 3 "http://$VIP/a") || fail "after the reloads: curl failed"
ctl_json config | jq -e ".generation == $(gen) and (.services | length) == 1" >/dev/null ||
	fail "config does not show the running generation: $(ctl_json config | jq -c '{generation, services}')"
say "VIP of the removed service refuses, generations freed, config at generation $(gen)"

# 5. reloads do not overlap: two requests in one write reach the control
# thread together; the second comes while the first is parsed (or before
# the workers took its generation), and is refused saying so (tried until
# that happens)
cat >"$TMP/twice.py" <<-'PY'
	import json, socket, sys
	s = socket.socket(socket.AF_UNIX)
	s.connect(sys.argv[1])
	s.sendall(b'{"id":1,"cmd":"reload"}\n{"id":2,"cmd":"reload"}\n')
	f = s.makefile()
	print(json.dumps([json.loads(f.readline()), json.loads(f.readline())]))
PY
refused=0
for _ in $(seq 20); do
	g=$(gen)
	r=$("$PY" "$TMP/twice.py" "$SOCK") || fail "two reloads: no answer"
	jq -e '.[0].ok' <<<"$r" >/dev/null || fail "the first of two reloads failed: $r"
	if jq -e '.[1].ok == false' <<<"$r" >/dev/null; then
		jq -e '.[1].error.message | test("reload is pending")' <<<"$r" >/dev/null ||
			fail "the overlapping reload was refused without saying why: $r"
		for _ in $(seq 100); do [ "$(gen)" -gt "$g" ] && break; sleep 0.02; done
		sleep 0.2
		[ "$(gen)" -eq $((g + 1)) ] || fail "an overlapping reload changed the generation: $g -> $(gen)"
		refused=1
		break
	fi
done
[ $refused = 1 ] || fail "20 pairs of back-to-back reloads: none overlapped a pending one"
say "overlapping reload refused: $(jq -c '.[1].error' <<<"$r")"
mg_http_end
mg_stop
say ok
