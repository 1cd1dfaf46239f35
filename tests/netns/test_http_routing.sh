#!/usr/bin/env bash
# test_http_routing.sh - an HTTP service on a route table (Hyperscan match of
# host, path, method and headers; the first matching route wins):
#   1. routing by host (exact, case-insensitive, port ignored; suffix
#      wildcard), path (prefix, full-match regex, exact), method and headers
#      (exact, regex, present), and first-match order when two routes match;
#   2. actions: prefix rewrite and request header add/remove (seen by the
#      backend), response header add/remove (seen by the client), redirect,
#      direct response, 404 with no_route counted when nothing matches;
#   3. weighted clusters 80/20: within ±3% over 10,000 requests;
#   4. fault injection: abort 10% (503) and delay 20% (40ms) within ±3% over
#      5,000 requests each;
#   5. `meshgwctl routes` counts per route agree with the client, /metrics
#      has the route families, the access log names the route;
#   and no request in flight, no upstream connection or mbuf left at the end.
#
#   $PEER ── bridge ── meshgw VIP $NET.100:80 (route table "web")
#                 ├── backend 1 (cluster c1)   h1peer.py serve-echo
#                 ├── backend 2 (cluster c2)
#                 └── backend 3 (cluster c3)
source "$(dirname "$0")/lib.sh"
need curl

VIP=$NET.100
URL=http://$VIP
ALOG=$TMP/access.log

mg_topology
mg_backends 3
for k in 1 2 3; do h1_backend "$k"; done
for k in 1 2 3; do l4_cluster "c$k" '' "$(be_ip $k):$H1_PORT"; done
http_route_service web "$VIP:80" web
LOG_EXTRA="access_log = \"$ALOG\";"
TOP_EXTRA='http = { upstream_idle_timeout = "2s"; access_log_sample = 0.0; };
route_tables = ( { name = "web"; routes = (
	{ name = "api"; match = { host = "api.example.com"; path_prefix = "/v1/"; };
	  cluster = "c1"; prefix_rewrite = "/";
	  request_headers_add = ( { name = "x-route"; value = "api"; } );
	  request_headers_remove = [ "x-secret" ];
	  response_headers_add = ( { name = "x-served-by"; value = "meshgw"; } );
	  response_headers_remove = [ "content-type" ]; },
	{ name = "users"; match = { host = "*.example.com"; path_regex = "/users/[0-9]+";
	  method = "GET"; }; cluster = "c2"; },
	{ name = "canary"; match = { headers = ( { name = "x-canary"; exact = "1"; } ); };
	  cluster = "c3"; },
	{ name = "agent"; match = { path_prefix = "/agent";
	  headers = ( { name = "user-agent"; regex = "probe/[0-9]+"; },
		      { name = "x-debug"; present = true; } ); }; cluster = "c2"; },
	{ name = "old"; match = { path = "/old"; };
	  redirect = { location = "https://example.com/new"; status = 301; }; },
	{ name = "health"; match = { path = "/health"; };
	  direct_response = { status = 200; body = "healthy\n"; };
	  response_headers_add = ( { name = "x-direct"; value = "1"; } ); },
	{ name = "split"; match = { path_prefix = "/split"; };
	  weighted_clusters = ( { cluster = "c1"; weight = 80; }, { cluster = "c2"; weight = 20; } ); },
	{ name = "abort"; match = { path_prefix = "/abort"; }; cluster = "c3";
	  fault = { abort_percent = 10.0; abort_status = 503; }; },
	{ name = "delay"; match = { path_prefix = "/delay"; }; cluster = "c3";
	  fault = { delay_percent = 20.0; delay = "40ms"; }; }
); } );'
mg_l4_config
mg_start
mg_warm

# get NAME ARGS: curl through the VIP; body in $TMP/NAME.out, headers in
# $TMP/NAME.hdr; prints the status.
get() {
	local name=$1
	shift
	in_peer curl -sS --max-time 10 -o "$TMP/$name.out" -D "$TMP/$name.hdr" -w '%{http_code}' "$@" \
		2>"$TMP/$name.err" || fail "$name: curl failed: $(tail -3 "$TMP/$name.err")"
}
# backend_of NAME: which backend answered (the echo's "backend")
backend_of() { jq -r .backend "$TMP/$1.out" 2>/dev/null || echo "-"; }
# rhdr NAME H: the response header H the client got (lower-case name)
rhdr() { tr -d '\r' <"$TMP/$1.hdr" | awk -F': ' -v h="$2" 'tolower($1) == h { print $2 }'; }
# hv NAME H: the request header H the backend got
hv() { jq -r --arg h "$2" '.headers[] | select(.[0] | ascii_downcase == $h) | .[1]' "$TMP/$1.out"; }
expect() { # NAME STATUS BACKEND ARGS...
	local name=$1 st=$2 be=$3 code
	shift 3
	code=$(get "$name" "$@")
	[ "$code" = "$st" ] || fail "$name: status $code, expected $st: $(head -c 200 "$TMP/$name.out")"
	[ "$be" = - ] || [ "$(backend_of "$name")" = "$be" ] ||
		fail "$name: answered by $(backend_of "$name"), expected $be"
}

# 1. matching
expect api 200 b1 -H 'Host: API.Example.COM:80' -H 'x-secret: s3' "$URL/v1/items?q=1"
jq -e '.path == "/items?q=1"' "$TMP/api.out" >/dev/null || fail "prefix rewrite: backend saw $(jq -r .path "$TMP/api.out")"
[ "$(hv api x-route)" = api ] || fail "request_headers_add: x-route is '$(hv api x-route)'"
[ -z "$(hv api x-secret)" ] || fail "request_headers_remove: x-secret reached the backend"
[ "$(rhdr api x-served-by)" = meshgw ] || fail "response_headers_add: x-served-by '$(rhdr api x-served-by)'"
[ -z "$(rhdr api content-type)" ] || fail "response_headers_remove: content-type still there"
say "host exact (case and port ignored), prefix rewrite /v1/items?q=1 -> /items?q=1, header edits both ways"
expect api_other_host 404 - -H 'Host: web.example.com' "$URL/v1/items"
# an absolute-form target's authority wins over Host (RFC 9112 3.2.2)
expect abs_form 200 b1 -x "$URL:80" -H 'Host: nomatch.test' "http://api.example.com/v1/abs"
jq -e '.path == "/abs"' "$TMP/abs_form.out" >/dev/null || fail "absolute form: backend saw $(jq -r .path "$TMP/abs_form.out")"
expect users 200 b2 -H 'Host: shop.example.com' "$URL/users/42"
expect users_post 404 - -X POST -H 'Host: shop.example.com' "$URL/users/42"
expect users_partial 404 - -H 'Host: shop.example.com' "$URL/users/42x"
expect users_bare_domain 404 - -H 'Host: example.com' "$URL/users/42"
say "suffix wildcard, full-match regex (/users/42x and the bare domain do not match), method"
expect canary 200 b3 -H 'x-canary: 1' "$URL/anything"
expect canary_no 404 - -H 'x-canary: 2' "$URL/anything"
expect first_match 200 b2 -H 'Host: shop.example.com' -H 'x-canary: 1' "$URL/users/7"
say "header exact; first match wins (users before canary)"
expect agent 200 b2 -A 'probe/12' -H 'x-debug;' "$URL/agent/x"
expect agent_no_debug 404 - -A 'probe/12' "$URL/agent/x"
expect agent_bad_ua 404 - -A 'probe/x12' -H 'x-debug: 1' "$URL/agent/x"
say "header regex and present"

# 2. answers without an endpoint
expect old 301 - "$URL/old"
[ "$(rhdr old location)" = https://example.com/new ] || fail "redirect location '$(rhdr old location)'"
expect health 200 - "$URL/health"
[ "$(cat "$TMP/health.out")" = healthy ] || fail "direct response body '$(cat "$TMP/health.out")'"
[ "$(rhdr health x-direct)" = 1 ] || fail "direct response: x-direct header missing"
expect nothing 404 - "$URL/nothing/here"
[ "$(http_stat no_route)" -eq 8 ] || fail "no_route $(http_stat no_route), expected 8"
[ "$(http_stat redirects)" -eq 1 ] && [ "$(http_stat direct_responses)" -eq 1 ] ||
	fail "redirects $(http_stat redirects), direct_responses $(http_stat direct_responses)"
say "redirect 301, direct response, 404 for no route (no_route counted 8)"

# 3. weighted split over 10,000 requests
h1c load "$VIP" 80 10000 --conns 8 --path /split >"$TMP/split.json" || fail "split load: $(cat "$TMP/split.json")"
read -r ok b1 b2 < <(jq -r '"\(.status["200"] // 0) \(.backend.b1 // 0) \(.backend.b2 // 0)"' "$TMP/split.json")
say "split 80/20 over 10,000: b1 $b1, b2 $b2 ($(jq -r .ms "$TMP/split.json") ms)"
[ "$ok" -eq 10000 ] || fail "split: $ok of 10000 answered 200: $(cat "$TMP/split.json")"
[ "$b1" -ge 7700 ] && [ "$b1" -le 8300 ] || fail "split: c1 got $b1 of 10000, expected 8000 ± 300"

# 4. fault injection over 5,000 requests each
h1c load "$VIP" 80 5000 --conns 8 --path /abort >"$TMP/abort.json" || fail "abort load: $(cat "$TMP/abort.json")"
ab=$(jq -r '.status["503"] // 0' "$TMP/abort.json")
say "abort 10% over 5,000: $ab answered 503"
[ "$ab" -ge 350 ] && [ "$ab" -le 650 ] || fail "abort: $ab of 5000, expected 500 ± 150"
[ "$(jq -r '.status["200"] // 0' "$TMP/abort.json")" -eq $((5000 - ab)) ] || fail "abort: $(cat "$TMP/abort.json")"
h1c load "$VIP" 80 5000 --conns 16 --path /delay --slow-ms 35 >"$TMP/delay.json" || fail "delay load: $(cat "$TMP/delay.json")"
sl=$(jq -r .slow "$TMP/delay.json")
fd=$(http_stat fault_delays)
say "delay 20% (40ms) over 5,000: $sl took >= 35 ms, fault_delays $fd"
[ "$fd" -ge 850 ] && [ "$fd" -le 1150 ] || fail "delay: fault_delays $fd of 5000, expected 1000 ± 150"
[ "$sl" -ge "$fd" ] && [ "$sl" -le $((fd + 50)) ] || fail "delay: $sl slow requests but $fd delays"
[ "$(jq -r '.status["200"] // 0' "$TMP/delay.json")" -eq 5000 ] || fail "delay: $(cat "$TMP/delay.json")"

# 5. counters, metrics, log
ctl_json routes >"$TMP/routes.json"
rc() { jq -r --arg r "$1" ".route_tables[0].routes[] | select(.name == \$r) | .counters.$2" "$TMP/routes.json"; }
[ "$(rc split requests)" -eq 10000 ] || fail "routes: split requests $(rc split requests)"
[ "$(rc abort fault_aborts)" -eq "$ab" ] || fail "routes: abort fault_aborts $(rc abort fault_aborts), client saw $ab"
[ "$(rc delay fault_delays)" -eq "$fd" ] || fail "routes: delay fault_delays $(rc delay fault_delays)"
[ "$(rc 'old' 'responses["3xx"]')" -eq 1 ] || fail "routes: old 3xx $(rc old 'responses["3xx"]')"
jq -e '.route_tables[0].no_route == 8 and .compile_cache.compiles >= 1' "$TMP/routes.json" >/dev/null ||
	fail "routes: $(jq -c '{no_route: .route_tables[0].no_route, cache: .compile_cache}' "$TMP/routes.json")"
ctl routes >"$TMP/routes.txt" || fail "meshgwctl routes failed"
grep -q 'split .*-> c1:80 c2:20 *10000' "$TMP/routes.txt" || fail "meshgwctl routes: $(cat "$TMP/routes.txt")"
in_gw curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" >"$TMP/metrics.txt" || fail "/metrics not served"
grep -q '^meshgw_route_requests_total{table="web",route="split"} 10000$' "$TMP/metrics.txt" ||
	fail "metrics: $(grep route_requests "$TMP/metrics.txt" | head -5)"
grep -q '^meshgw_route_no_route_total{table="web"} 8$' "$TMP/metrics.txt" || fail "metrics: no_route"
say "routes and /metrics agree with the client"
sleep 1.2 # the access log is written every tick
grep -q '"path":"/old".*"status":301.*"route":"old"' "$ALOG" || fail "access log: no line for /old with its route: $(grep /old "$ALOG")"

mg_http_end
mg_stop
say "ok"
