#!/usr/bin/env bash
# test_discovery.sh - endpoints from a watched JSON file:
#   1. at start: cluster "web" has no endpoints in the config, the file
#      gives it backend 1; "mixed" has backend 1 from the config and gets
#      backend 2 from the file; `endpoints` shows each one's source;
#   2. the file edited in place adds backends 2 and 3: they take requests
#      within one second of the write;
#   3. a new file renamed over it (as editors save) removes backend 1:
#      within one second it takes no more requests;
#   4. a broken file is reported (status) and ignored: traffic and
#      endpoints stay; a cluster the config lacks is reported;
#   5. a reload keeps the file's endpoints; the file deleted: "web" has
#      none (503), "mixed" keeps its config endpoint.
#
#   $PEER ── bridge ── meshgw  VIP $NET.100:80 → web, :81 → mixed (http)
#                 └── backends 1..3  nginx :8080 answering "bK"
source "$(dirname "$0")/lib.sh"

VIP=$NET.100
DIR=$TMP/disc
EPS=$DIR/endpoints.json

mg_topology
mg_backends 3
mkdir -p "$DIR"

ep() { echo "{\"address\": \"$(be_ip "$1")\", \"port\": 8080}"; }
# write_eps WEB_BACKENDS [MIXED_BACKENDS] [EXTRA]: the file's JSON on stdout
eps_json() {
	local web="" mixed="" k
	for k in $1; do web+="${web:+, }$(ep "$k")"; done
	for k in ${2:-}; do mixed+="${mixed:+, }$(ep "$k")"; done
	echo "{\"version\": 1, \"clusters\": {\"web\": [$web], \"mixed\": [$mixed]${3:-}}}"
}

TOP_EXTRA="http = { upstream_idle_timeout = \"1s\"; };
	discovery = { endpoints_file = \"$EPS\"; debounce = \"100ms\"; };
	services = ( { name = \"web\"; vips = [ \"$VIP:80\" ]; cluster = \"web\"; protocol = \"http\"; },
		{ name = \"mixed\"; vips = [ \"$VIP:81\" ]; cluster = \"mixed\"; protocol = \"http\"; } );
	clusters = ( { name = \"web\"; },
		{ name = \"mixed\"; endpoints = ( { address = \"$(be_ip 1)\"; port = 8080; } ); } );"
mg_tcp_config

spread() { nginx_spread "http://$VIP:$1" "$2"; }
count() { spread_count "$@"; }
now_ms() { date +%s%3N; }
# until_answer PORT BACKEND T0: requests until BACKEND answers; prints ms since T0
until_answer() {
	while :; do
		[ "$(in_peer curl -s -m 2 "http://$VIP:$1/")" = "b$2" ] && break
		[ $(($(now_ms) - $3)) -gt 3000 ] && fail "backend $2 never answered on :$1 after the change"
	done
	echo $(($(now_ms) - $3))
}
sources() { ctl_json endpoints "$1" | jq -c '[.endpoints[] | "\(.endpoint)=\(.source)"] | sort'; }

# 1. the file at start
eps_json "1" "2" >"$EPS"
mg_start
mg_warm
[ "$(sources web)" = "[\"$(be_ip 1):8080=file\"]" ] || fail "web at start: $(sources web)"
[ "$(sources mixed)" = "[\"$(be_ip 1):8080=config\",\"$(be_ip 2):8080=file\"]" ] ||
	fail "mixed at start: $(sources mixed)"
s=$(spread 80 10)
[ "$(count b1 "$s")" -eq 10 ] || fail "web at start: $s"
s=$(spread 81 20)
[ "$(count b1 "$s")" -gt 0 ] && [ "$(count b2 "$s")" -gt 0 ] || fail "mixed at start: $s"
say "at start: web $(sources web), mixed $(sources mixed)"

# 2. edited in place: backends 2 and 3 join
g=$(ctl_json status | jq .generation)
t0=$(now_ms)
eps_json "1 2 3" "2" >"$EPS"
ms=$(until_answer 80 3 "$t0")
[ "$ms" -le 1000 ] || fail "backend 3 answered only $ms ms after the edit"
s=$(spread 80 60)
[ "$(count b2 "$s")" -gt 0 ] && [ "$(count b3 "$s")" -gt 0 ] && [ "$(count other "$s")" -eq 0 ] ||
	fail "after the edit: $s"
say "edited in place: backend 3 answered after $ms ms; $s (generation $g -> $(ctl_json status | jq .generation))"

# 3. renamed over: backend 1 leaves
eps_json "2 3" "2" >"$DIR/.endpoints.json.tmp"
t0=$(now_ms)
mv "$DIR/.endpoints.json.tmp" "$EPS"
while [ "$(sources web | grep -c "$(be_ip 1):")" -ne 0 ]; do
	[ $(($(now_ms) - t0)) -gt 3000 ] && fail "backend 1 still listed after the rename: $(sources web)"
	sleep 0.01
done
ms=$(($(now_ms) - t0))
[ "$ms" -le 1000 ] || fail "backend 1 left only $ms ms after the rename"
s=$(spread 80 60)
[ "$(count b1 "$s")" -eq 0 ] && [ "$(count other "$s")" -eq 0 ] || fail "after the rename: $s"
say "renamed over: backend 1 gone after $ms ms; $s"

# 4. a broken file is reported and ignored; an unknown cluster is reported
g=$(ctl_json status | jq .generation)
printf '{"version": 1, "clusters": {"web": [{"address": "%s", "port": 99999}]}}\n' "$(be_ip 1)" >"$EPS"
for _ in $(seq 50); do
	[ "$(ctl_json status | jq -r '.discovery.last_error')" != "" ] && break
	sleep 0.02
done
err=$(ctl_json status | jq -r '.discovery.last_error')
grep -q "port" <<<"$err" || fail "the broken file is not reported: $(ctl_json status | jq -c .discovery)"
[ "$(ctl_json status | jq .generation)" -eq "$g" ] || fail "a broken file changed the generation"
s=$(spread 80 20)
[ "$(count other "$s")" -eq 0 ] && [ "$(count b1 "$s")" -eq 0 ] || fail "after the broken file: $s"
say "broken file ignored: $err"
eps_json "2 3" "2" ', "nosuch": []' >"$EPS"
for _ in $(seq 50); do
	[ "$(ctl_json status | jq '.discovery.unknown_clusters')" = 1 ] && break
	sleep 0.02
done
ctl_json status | jq -e '.discovery | .unknown_clusters == 1 and .first_unknown_cluster == "nosuch" and .last_error == ""' >/dev/null ||
	fail "unknown cluster not reported: $(ctl_json status | jq -c .discovery)"

# 5. a reload keeps the file's endpoints; deleting the file removes them
sed -i 's/upstream_idle_timeout = "1s"/upstream_idle_timeout = "900ms"/' "$CONF"
ctl_json reload >/dev/null || fail "reload refused"
[ "$(sources web)" = "[\"$(be_ip 2):8080=file\",\"$(be_ip 3):8080=file\"]" ] ||
	fail "the reload lost the file's endpoints: $(sources web)"
rm "$EPS"
for _ in $(seq 100); do
	[ "$(sources web)" = "[]" ] && break
	sleep 0.02
done
[ "$(sources web)" = "[]" ] || fail "the file deleted, web still has $(sources web)"
[ "$(sources mixed)" = "[\"$(be_ip 1):8080=config\"]" ] || fail "mixed after the delete: $(sources mixed)"
code=$(in_peer curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$VIP/")
[ "$code" = 503 ] || fail "web without endpoints: HTTP $code, expected 503"
s=$(spread 81 5)
[ "$(count b1 "$s")" -eq 5 ] || fail "mixed after the delete: $s"
say "reload kept the file's endpoints; file deleted: web answers 503, mixed keeps its config endpoint"
ctl_json status | jq -c .discovery
mg_http_end
mg_stop
say ok
