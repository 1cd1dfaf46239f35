#!/usr/bin/env bash
# test_http_routes_10k.sh - a route table of 10,000 regex routes, generated
# here: route i matches path_regex "/api/v1/svc<i>/items/[0-9]+" (and every
# tenth also a method) and sends to cluster c(i mod 3 + 1). Requests for
# routes at the start, middle and end of the table, and misses, route
# correctly; the compile time is reported (and `status` answers after it);
# `meshgwctl routes --brief` and /metrics stay usable (the metric series are
# folded past 1,000 routes per table); a cluster-only reload does not
# recompile; a reload that brings a new table of N/5 regex routes compiles
# it in the background while `status` keeps answering.
#
#   $PEER ── bridge ── meshgw VIP $NET.100:80 (route table "big")
#                 ├── backend 1 (c1) ├── backend 2 (c2) └── backend 3 (c3)
source "$(dirname "$0")/lib.sh"
need curl

VIP=$NET.100
N=${MG_ROUTES_10K:-10000}

mg_topology
mg_backends 3
for k in 1 2 3; do h1_backend "$k"; done
for k in 1 2 3; do l4_cluster "c$k" '' "$(be_ip $k):$H1_PORT"; done
http_route_service web "$VIP:80" big
gen_routes() {
	local i m
	for ((i = 0; i < N; i++)); do
		m=""
		[ $((i % 10)) -eq 9 ] && m=' method = "PUT";'
		printf '{ name = "r%d"; match = { path_regex = "/api/v1/svc%d/items/[0-9]+";%s }; cluster = "c%d"; },\n' \
			"$i" "$i" "$m" $((i % 3 + 1))
	done
	printf '{ name = "fallback"; match = { path_prefix = "/fallback/"; }; direct_response = { status = 200; body = "fb"; }; }\n'
}
TOP_EXTRA="http = { upstream_idle_timeout = \"2s\"; };
route_tables = ( { name = \"big\"; routes = ( $(gen_routes) ); } );"
mg_l4_config
say "config: $(wc -c <"$CONF") bytes, $N regex routes"
t0=$(date +%s%N)
READY_TIMEOUT=120s mg_start
say "started in $((($(date +%s%N) - t0) / 1000000)) ms: $(grep -o 'route table big: .*' "$LOG" | head -1)"
mg_warm

# route i answers from backend i%3+1; a PUT-only route does not take GET
check() { # PATH METHOD STATUS BACKEND
	local out code
	out=$(in_peer curl -sS --max-time 10 -X "$2" -o "$TMP/r.out" -w '%{http_code}' "http://$VIP$1") ||
		fail "$1: curl failed"
	code=$out
	[ "$code" = "$3" ] || fail "$2 $1: status $code, expected $3"
	[ "$4" = - ] || [ "$(jq -r .backend "$TMP/r.out")" = "$4" ] ||
		fail "$2 $1: answered by $(jq -r .backend "$TMP/r.out"), expected $4"
}
for i in 0 1 2 4998 5000 7777 $((N - 2)); do
	check "/api/v1/svc$i/items/42" GET 200 "b$((i % 3 + 1))"
done
check "/api/v1/svc$((N - 1))/items/7" PUT 200 "b$(((N - 1) % 3 + 1))"
check "/api/v1/svc$((N - 1))/items/7" GET 404 -
check "/api/v1/svc$N/items/7" GET 404 -
check "/api/v1/svc12/items/x" GET 404 -
check "/api/v1/svc12/items/1?q=2" GET 200 b1
check "/fallback/x" GET 200 -
say "first, middle and last routes, a method-constrained one, misses and the fallback route correctly"

h1c load "$VIP" 80 2000 --conns 4 --path "/api/v1/svc$((N - 2))/items/1" >"$TMP/load.json" ||
	fail "load: $(cat "$TMP/load.json")"
jq -e --arg b "b$(((N - 2) % 3 + 1))" '.status["200"] == 2000 and .backend[$b] == 2000' "$TMP/load.json" >/dev/null ||
	fail "load on the last route: $(cat "$TMP/load.json")"
say "2,000 requests on the table's last GET route: $(jq -r .ms "$TMP/load.json") ms"

t0=$(date +%s%N)
ctl_json routes --brief >"$TMP/routes.json" || fail "routes --brief failed"
say "routes --brief: $(wc -c <"$TMP/routes.json") bytes in $((($(date +%s%N) - t0) / 1000000)) ms"
jq -e --argjson n $((N + 1)) '.route_tables[0].n_routes == $n and (.route_tables[0].routes | length) == 1000 and
	.compile_cache.compiles == 1' "$TMP/routes.json" >/dev/null ||
	fail "routes: $(jq -c '{n: .route_tables[0].n_routes, cache: .compile_cache}' "$TMP/routes.json")"
ctl_json call routes "{\"offset\": $((N - 2)), \"limit\": 2}" >"$TMP/page.json" || fail "routes page failed"
jq -e --arg r "r$((N - 2))" '.route_tables[0].routes[0] | .name == $r and .counters.requests == 2001' "$TMP/page.json" >/dev/null ||
	fail "routes page: $(jq -c '.route_tables[0].routes' "$TMP/page.json")"
in_gw curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" >"$TMP/metrics.txt" || fail "/metrics not served"
s=$(grep -c '^meshgw_route_requests_total{' "$TMP/metrics.txt")
[ "$s" -eq 1001 ] || fail "/metrics: $s route_requests series, expected 1000 + _other"
grep -q "^meshgw_route_series_folded $((N + 1 - 1000))\$" "$TMP/metrics.txt" || fail "/metrics: folded $(grep series_folded "$TMP/metrics.txt")"
say "/metrics: 1,000 route series per family and _other; $((N + 1 - 1000)) folded"

# a reload that changes only a cluster (c1 moves to backend 2) reuses the
# compiled table: no compile, and it routes with the new cluster at once
sed -i "s/name = \"c1\"; *endpoints = ( { address = \"$(be_ip 1)\"/name = \"c1\"; endpoints = ( { address = \"$(be_ip 2)\"/" "$CONF"
grep -q "name = \"c1\"; endpoints = ( { address = \"$(be_ip 2)\"" "$CONF" || fail "the test could not edit cluster c1"
ctl_json reload >"$TMP/reload.json" || fail "reload: $(cat "$TMP/reload.json")"
ctl_json routes --brief >"$TMP/routes2.json" || fail "routes --brief after the reload failed"
jq -e '.compile_cache.compiles == 1 and .compile_cache.hits >= 1' "$TMP/routes2.json" >/dev/null ||
	fail "a cluster-only reload recompiled: $(jq -c .compile_cache "$TMP/routes2.json")"
check "/api/v1/svc0/items/1" GET 200 b2
say "cluster-only reload: generation $(jq .generation "$TMP/reload.json") in $(jq .ms "$TMP/reload.json") ms, no compile ($(jq -c .compile_cache "$TMP/routes2.json"))"

# a reload adding a second table of N/5 regex routes compiles it on a
# thread of its own: meanwhile `status` answers promptly and shows the
# compile pending; `reload` answers once the generation is published
M=$((N / 5))
gen_more() {
	local i
	for ((i = 0; i < M; i++)); do
		printf '{ name = "m%d"; match = { path_regex = "/more/v1/svc%d/x/[a-z]+"; }; cluster = "c2"; },\n' "$i" "$i"
	done
	printf '{ name = "end"; match = { path_prefix = "/"; }; direct_response = { status = 404; body = "none"; }; }\n'
}
http_route_service more "$VIP:81" more
TOP_EXTRA="http = { upstream_idle_timeout = \"2s\"; };
route_tables = ( { name = \"big\"; routes = ( $(gen_routes) ); }, { name = \"more\"; routes = ( $(gen_more) ); } );"
mg_l4_config
ctl_json reload >"$TMP/reload3.json" 2>&1 &
rl=$!
pending=0 answers=0 slowest=0
while kill -0 $rl 2>/dev/null; do
	t0=$(date +%s%N)
	ctl_json status >"$TMP/st.json" || fail "status failed during the compile"
	dt=$((($(date +%s%N) - t0) / 1000000))
	answers=$((answers + 1))
	[ "$dt" -gt "$slowest" ] && slowest=$dt
	jq -e .reload_pending "$TMP/st.json" >/dev/null && pending=$((pending + 1))
	sleep 0.05
done
wait $rl || fail "the reload with a new table failed: $(cat "$TMP/reload3.json")"
say "reload compiling $M routes: $(jq -c '{generation, ms}' "$TMP/reload3.json"); status answered $answers times meanwhile ($pending showing the reload pending), slowest $slowest ms"
[ "$pending" -ge 2 ] || fail "status showed the reload pending $pending times: too quick to tell, or not in the background"
[ "$slowest" -lt 1000 ] || fail "status took $slowest ms during the compile"
out=$(in_peer curl -sS --max-time 10 "http://$VIP:81/more/v1/svc$((M - 1))/x/abc") || fail "the new table's service: curl failed"
[ "$(jq -r .backend <<<"$out")" = b2 ] || fail "the new table's last route: $out"
[ "$(in_peer curl -s --max-time 10 "http://$VIP:81/more/v1/svc$M/x/abc")" = none ] || fail "the new table's miss"
check "/api/v1/svc4/items/1" GET 200 b2

mg_http_end
mg_stop
say "ok"
