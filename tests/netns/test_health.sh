#!/usr/bin/env bash
# test_health.sh - active health checks and the panic threshold:
#   1. three nginx backends with an HTTP health check on /healthz (200ms
#      interval, 2 failures out, 2 successes back): all become healthy and
#      all take requests;
#   2. backend 2 answers 500 on /healthz: it leaves rotation within the
#      thresholds (no request reaches it, none fails), `endpoints` shows
#      unhealthy and the reason, /metrics the families; it recovers: back;
#   3. backends 1 and 2 unhealthy (1 of 3 healthy, under the 50% panic
#      threshold): every endpoint takes requests again (panic), counted;
#   4. a reload sets panic_threshold = 0 (the health state stays): only
#      backend 3 is used; all three unhealthy: requests get 503;
#   5. a TCP check on a stopped backend fails with connect_refused.
#
#   $PEER ── bridge ── meshgw  VIP $NET.100:80 (http) → cluster web
#                 └── backends 1..3  nginx :8080, /healthz 500 while $TMP/sickK exists
source "$(dirname "$0")/lib.sh"

VIP=$NET.100
INTERVAL_MS=200

mg_topology
BE_LOCATIONS="location = /healthz { if (-f $TMP/sick@K@) { return 500; } return 200 \"ok\n\"; }"
mg_backends 3

gen_conf() {
	local panic=$1 eps="" k hc=yes
	[ "${2:-}" = off ] && hc=''
	local web_hc="health_check = { type = \"http\"; path = \"/healthz\"; interval = \"${INTERVAL_MS}ms\";
			timeout = \"150ms\"; jitter = \"20ms\"; healthy_threshold = 2; unhealthy_threshold = 2; };"
	local tcp_hc="health_check = { interval = \"${INTERVAL_MS}ms\"; timeout = \"150ms\"; };"
	[ -n "$hc" ] || web_hc='' tcp_hc=''

	for k in 1 2 3; do
		eps+="${eps:+, }{ address = \"$(be_ip $k)\"; port = 8080; }"
	done
	TOP_EXTRA="http = { upstream_idle_timeout = \"1s\"; };
	services = ( { name = \"web\"; vips = [ \"$VIP:80\" ]; cluster = \"web\"; protocol = \"http\"; } );
	clusters = ( { name = \"web\"; endpoints = ( $eps ); panic_threshold = $panic;
		outlier = { consecutive_5xx = 0; consecutive_gateway_errors = 0; consecutive_failures = 0; };
		$web_hc },
		{ name = \"tcp\"; endpoints = ( { address = \"$(be_ip 1)\"; port = 8080; },
			{ address = \"$(be_ip 1)\"; port = 8099; } );
		$tcp_hc } );"
	mg_tcp_config
}

health_of() { ctl_json endpoints web | jq -r ".endpoints[] | select(.endpoint == \"$(be_ip "$1"):8080\") | .health"; }
# wait_health K STATE MAX_MS: backend K reaches STATE within MAX_MS; prints the ms taken
wait_health() {
	local t0 now
	t0=$(date +%s%3N)
	while :; do
		now=$(date +%s%3N)
		[ "$(health_of "$1")" = "$2" ] && { echo $((now - t0)); return 0; }
		[ $((now - t0)) -gt "$3" ] && fail "backend $1 not $2 after $3 ms: $(ctl_json endpoints web | jq -c '[.endpoints[] | {endpoint, health, health_last_failure}]')"
		sleep 0.02
	done
}
spread() { nginx_spread "http://$VIP" "$1"; }
count() { spread_count "$@"; }

gen_conf 50
mg_start
mg_warm
# 1. all healthy (the first success decides)
for k in 1 2 3; do wait_health $k healthy 3000 >/dev/null; done
s=$(spread 60)
say "all healthy: $s"
for k in 1 2 3; do [ "$(count b$k "$s")" -gt 0 ] || fail "backend $k got no request while healthy: $s"; done
[ "$(count other "$s")" -eq 0 ] || fail "failed requests while all healthy: $s"

# 2. backend 2 fails its health check: out within 2 failures (+ interval,
# jitter and timeout), no request fails meanwhile or after
touch "$TMP/sick2"
ms=$(wait_health 2 unhealthy $((3 * INTERVAL_MS + 600)))
say "backend 2 unhealthy after $ms ms (2 x ${INTERVAL_MS}ms interval)"
s=$(spread 60)
say "backend 2 out: $s"
[ "$(count b2 "$s")" -eq 0 ] || fail "the unhealthy backend still got requests: $s"
[ "$(count other "$s")" -eq 0 ] || fail "requests failed with one backend unhealthy: $s"
ctl_json endpoints web | jq -e ".endpoints[] | select(.endpoint == \"$(be_ip 2):8080\") |
	.health_last_failure == \"bad_status\" and .healthy == false and .health_failures >= 2" >/dev/null ||
	fail "endpoints does not show backend 2's failure: $(ctl_json endpoints web | jq -c .endpoints[1])"
in_gw curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" >"$TMP/metrics" || fail "/metrics not served"
grep -q "^meshgw_endpoint_healthy{cluster=\"web\",endpoint=\"$(be_ip 2):8080\",zone=\"\"} 0" "$TMP/metrics" ||
	fail "/metrics: endpoint_healthy of backend 2 is not 0: $(grep endpoint_healthy "$TMP/metrics" | head -3)"
awk '$1 == "meshgw_health_checks_total{result=\"bad_status\"}" && $2 > 0 { ok = 1 } END { exit !ok }' "$TMP/metrics" ||
	fail "/metrics: no bad_status health check counted"
rm "$TMP/sick2"
ms=$(wait_health 2 healthy $((3 * INTERVAL_MS + 600)))
say "backend 2 healthy again after $ms ms"
s=$(spread 60)
[ "$(count b2 "$s")" -gt 0 ] || fail "the recovered backend gets no request: $s"

# 3. two of three unhealthy: 33% healthy < panic_threshold 50: all used
p0=$(proxy_stat panic_picks)
touch "$TMP/sick1" "$TMP/sick2"
wait_health 1 unhealthy 2000 >/dev/null
wait_health 2 unhealthy 2000 >/dev/null
s=$(spread 60)
say "panic (1 of 3 healthy, threshold 50%): $s"
for k in 1 2 3; do [ "$(count b$k "$s")" -gt 0 ] || fail "panic mode did not use backend $k: $s"; done
[ "$(count other "$s")" -eq 0 ] || fail "requests failed in panic mode: $s"
[ "$(proxy_stat panic_picks)" -gt "$p0" ] || fail "panic_picks did not move"

# 4. panic_threshold 0 by a reload: the health state is kept, only backend 3
g=$(ctl_json status | jq .generation)
gen_conf 0
ctl_json reload >/dev/null || fail "reload refused"
[ "$(health_of 1)" = unhealthy ] || fail "the reload lost backend 1's health state: $(health_of 1)"
s=$(spread 60)
say "no panic (threshold 0): $s"
[ "$(count b3 "$s")" -eq 60 ] || fail "with panic off only backend 3 should answer: $s"
touch "$TMP/sick3"
wait_health 3 unhealthy 2000 >/dev/null
code=$(in_peer curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$VIP/x")
[ "$code" = 503 ] || fail "every endpoint unhealthy, panic off: HTTP $code, expected 503"
say "all unhealthy, panic off: 503 (generation $g -> $(ctl_json status | jq .generation))"
rm -f "$TMP/sick1" "$TMP/sick2" "$TMP/sick3"
for k in 1 2 3; do wait_health $k healthy 2000 >/dev/null; done

# 5. a TCP check: the endpoint nobody listens on is refused
t=$(ctl_json endpoints tcp | jq -c '[.endpoints[] | {endpoint, health, health_last_failure}]')
for _ in $(seq 50); do
	t=$(ctl_json endpoints tcp | jq -c '[.endpoints[] | {endpoint, health, health_last_failure}]')
	jq -e '.[0].health == "healthy" and .[1].health == "unhealthy" and .[1].health_last_failure == "connect_refused"' <<<"$t" >/dev/null && break
	sleep 0.05
done
jq -e '.[0].health == "healthy" and .[1].health == "unhealthy" and .[1].health_last_failure == "connect_refused"' <<<"$t" >/dev/null ||
	fail "tcp checks: $t"
say "tcp check: $t"
# checks close first, so their TIME-WAITs never end while they run: stop
# them (a reload), and the endpoints are unchecked and in rotation again
gen_conf 50 off
ctl_json reload >/dev/null || fail "reload refused"
h=$(ctl_json endpoints | jq -c '[.endpoints[] | .health] | unique')
[ "$h" = '["unchecked"]' ] || fail "health checks removed, yet endpoints show $h"
mg_http_end
mg_stop
say ok
