#!/usr/bin/env bash
# test_http_limits.sh - limits, timeouts and upstream failures of the HTTP
# proxy, each answered by the gateway with its own status (and counter):
#   1. 431: a 70 KiB header and 101 header lines (default 60 KB / 100
#      lines), while a 50 KiB header still passes;
#   2. 413 with max_request_body 1MiB: a 2 MiB Content-Length (head only,
#      and through curl with Expect: 100-continue) and a 2 MiB chunked body;
#      exactly 1 MiB passes;
#   3. 408 with request_header_timeout 1s: a head that stalls, and one sent a
#      byte every 100 ms (the timeout runs from the first byte), answered
#      within 0.8-2.5 s and closed;
#   4. idle_timeout 1s: a keep-alive connection with no request is closed
#      0.7-2.5 s after its last response;
#   5. 504 with request_timeout 1s from /slow?ms=3000, 502 from /reset,
#      /close-head and /bad-head, each followed by a request on the same
#      connection once answered (kept: the request was complete); /close-mid
#      (half a body) is a 502 or a truncated response and a closed
#      connection;
#   6. 503 when the only endpoint is drained (`meshgwctl drain`) and when its
#      port refuses; 200 again after undrain;
#   7. the upgrade tunnel: 101, then raw bytes echoed both ways;
#   8. wrk -c 32 -d 3s, keep-alive on both legs: no error, no non-2xx, and
#      new upstream connections far below the requests;
#   9. the access log flags of those requests;
#  10. a request pipelined behind a 502 is answered after it;
#  11. a GET on a pooled connection the backend drops unanswered is sent
#      again on a new connection (upstream_replayed), the client sees 200;
#  12. a pooled connection gets its receive window back after responses
#      that ended while the client was still reading them;
#   and the backend never gets a request the gateway rejected.
#
#   $PEER (client) ── bridge ── meshgw  VIP $NET.100:80 (http) → backend 1
#                        │              VIP $NET.101:80 (http) → backend 2
#                        ├── backend 1  $NET.11:8081  h1peer.py serve-echo
#                        └── backend 2  $NET.12:8081  h1peer.py serve-echo
source "$(dirname "$0")/lib.sh"
need nginx
need curl
need wrk

VIP=$NET.100
SOLO=$NET.101
ALOG=$TMP/access.log

mg_topology
mg_backends 2
h1_backend 1
h1_backend 2
http_service web "$VIP:80" web
l4_cluster web 'outlier = { consecutive_failures = 0; };' "$(be_ip 1):$H1_PORT"
http_service solo "$SOLO:80" solo
l4_cluster solo 'outlier = { consecutive_failures = 0; };' "$(be_ip 2):$H1_PORT"
LOG_EXTRA="access_log = \"$ALOG\";"
TOP_EXTRA='http = { max_request_body = "1MiB"; request_header_timeout = "1s"; idle_timeout = "1s";
	request_timeout = "1s"; upstream_idle_timeout = "2s"; };'
mg_l4_config
mg_start
mg_warm

# send NAME HOST ARGS: h1peer.py raw of $TMP/NAME.req (written by the caller)
# to HOST:80, the result in $TMP/NAME.json; snapshots the counters and
# backend 1's requests and bytes received around it (st0/st1, rq0/rq1,
# rx0/rx1).
send() {
	local name=$1 host=$2
	shift 2
	st0=$(ctl_json stats | jq -c .totals.http)
	rq0=$(h1_seen 1 req)
	rx0=$(h1_rx_bytes 1)
	h1c raw "$host" 80 "$TMP/$name.req" "$@" >"$TMP/$name.json" || fail "$name: client: $(cat "$TMP/$name.json")"
	st1=$(ctl_json stats | jq -c .totals.http)
	rq1=$(h1_seen 1 req)
	rx1=$(h1_rx_bytes 1)
}
# delta COUNTER: how much it moved over the last send
delta() { echo $(($(jq ".$1" <<<"$st1") - $(jq ".$1" <<<"$st0"))); }
# statuses NAME: the final statuses NAME got, e.g. [502,200]
statuses() { jq -c '[.responses[] | select(.status >= 200) | .status]' "$TMP/$1.json"; }
# show NAME: one line on what NAME got
show() {
	jq -r '"\([.responses[] | "\(.status) at \(.ms) ms"] | join(", ") | if . == "" then "no response" else . end); " +
		(if .close then "closed (\(.close)) at \(.close_ms) ms" else "open" end) +
		"; first body \(.responses[0].body // "" | rtrimstr("\n") | .[0:80] | tojson)"' "$TMP/$1.json"
}
# rejected NAME STATUS [head]: one response STATUS, the connection closed,
# the counter +1, no request for the backend (with "head": not one byte)
rejected() {
	local name=$1 s=$2 stage=${3:-}
	say "$name: $(show "$name"); generated_$s +$(delta "generated_$s")"
	[ "$(statuses "$name")" = "[$s]" ] && jq -e .closed "$TMP/$name.json" >/dev/null ||
		fail "$name: expected one $s and a close: $(jq -c '{responses: [.responses[] | {status, body}], close, sent, send_error}' "$TMP/$name.json")"
	[ "$(delta "generated_$s")" -eq 1 ] || fail "$name: generated_$s +$(delta "generated_$s")"
	[ "$rq1" -eq "$rq0" ] || fail "$name: the backend received $((rq1 - rq0)) request(s)"
	[ "$stage" != head ] || [ "$rx1" -eq "$rx0" ] || fail "$name: the backend received $((rx1 - rx0)) bytes"
}
# within NAME I LO HI: response I of NAME came LO-HI ms after the start
within() {
	jq -e --argjson i "$2" --argjson lo "$3" --argjson hi "$4" \
		'.responses[$i].ms >= $lo and .responses[$i].ms <= $hi' "$TMP/$1.json" >/dev/null ||
		fail "$1: response $2 at $(jq ".responses[$2].ms" "$TMP/$1.json") ms, expected $3-$4 ms"
}

# 1. 431
pad() { head -c "$1" /dev/zero | tr '\0' a; }
{ printf 'GET /h431 HTTP/1.1\r\nHost: h\r\nX-Big: '; pad $((70 << 10)); printf '\r\n\r\n'; } >"$TMP/h431.req"
send h431 "$VIP" --expect 1 --linger 1
rejected h431 431 head
{ printf 'GET /many HTTP/1.1\r\nHost: h\r\n'; for i in $(seq 100); do printf 'X-H%d: %d\r\n' "$i" "$i"; done; printf '\r\n'; } >"$TMP/many.req"
send many "$VIP" --expect 1 --linger 1
rejected many 431 head
{ printf 'GET /h50k HTTP/1.1\r\nHost: h\r\nX-Big: '; pad $((50 << 10)); printf '\r\n\r\n'; } >"$TMP/h50k.req"
send h50k "$VIP" --expect 1
[ "$(statuses h50k)" = '[200]' ] || fail "a 50 KiB header: $(statuses h50k), expected 200"
say "h50k: a 50 KiB header is forwarded: $(show h50k | cut -d';' -f1)"

# 2. 413
printf 'POST /cl HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n' $((2 << 20)) >"$TMP/cl413.req"
send cl413 "$VIP" --expect 1 --linger 1
rejected cl413 413 head
head -c $((2 << 20)) /dev/urandom >"$TMP/2mib.bin"
st0=$(ctl_json stats | jq -c .totals.http)
code=$(in_peer curl -sS --max-time 10 -o "$TMP/c413.out" -w '%{http_code}' -H 'Expect: 100-continue' \
	--data-binary @"$TMP/2mib.bin" "http://$VIP/expect413" 2>"$TMP/c413.err") || true
st1=$(ctl_json stats | jq -c .totals.http)
say "curl, 2 MiB with Expect: 100-continue: $code $(head -c 80 "$TMP/c413.out")"
[ "$code" = 413 ] && [ "$(delta generated_413)" -eq 1 ] ||
	fail "curl 2 MiB with Expect: status $code, generated_413 +$(delta generated_413): $(tail -2 "$TMP/c413.err")"
{
	printf 'POST /chunked413 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n'
	for _ in $(seq 32); do printf '10000\r\n'; pad 65536; printf '\r\n'; done
	printf '0\r\n\r\n'
} >"$TMP/ch413.req"
send ch413 "$VIP" --expect 1 --linger 1
rejected ch413 413
head -c $((1 << 20)) /dev/urandom >"$TMP/1mib.bin"
code=$(in_peer curl -sS --max-time 10 -o "$TMP/at.json" -w '%{http_code}' --data-binary @"$TMP/1mib.bin" "http://$VIP/at-limit") ||
	fail "curl 1 MiB failed"
[ "$code" = 200 ] && jq -e '.body_len == 1048576' "$TMP/at.json" >/dev/null ||
	fail "a body of exactly max_request_body: status $code $(head -c 200 "$TMP/at.json")"
say "a body of exactly 1 MiB passes"

# 3. 408: a stalled head, and a head sent a byte every 100 ms
printf 'GET /stall HTTP/1.1\r\nHost: h\r\nX-A: ' >"$TMP/stall.req"
send stall "$VIP" --timeout 4
rejected stall 408 head
within stall 0 800 2500
printf 'GET /trickle HTTP/1.1\r\nHost: h\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n' >"$TMP/trickle.req"
send trickle "$VIP" --trickle 100 --timeout 4
rejected trickle 408 head
within trickle 0 800 2500
[ "$(jq .sent "$TMP/trickle.json")" -lt 40 ] || fail "trickle: the whole head went out before the 408"
[ "$(delta header_timeouts)" -eq 1 ] || fail "header_timeouts +$(delta header_timeouts)"

# 4. idle keep-alive connection
printf 'GET /idle HTTP/1.1\r\nHost: h\r\n\r\n' >"$TMP/idle.req"
send idle "$VIP" --expect 1 --linger 4
idle_ms=$(jq '(.close_ms // 99999) - .responses[0].ms | floor' "$TMP/idle.json")
say "idle: $(show idle); closed $idle_ms ms after the response; idle_timeouts +$(delta idle_timeouts)"
[ "$(statuses idle)" = '[200]' ] && [ "$idle_ms" -ge 700 ] && [ "$idle_ms" -le 2500 ] ||
	fail "idle keep-alive connection: expected one 200 then a close 700-2500 ms later"
[ "$(delta idle_timeouts)" -eq 1 ] || fail "idle_timeouts +$(delta idle_timeouts)"

# 5. 504 and 502, each followed by a request on the same connection
# upstream NAME PATH STATUS: PATH, then /after-NAME once it is answered
upstream() {
	local name=$1 path=$2 s=$3
	printf 'GET %s HTTP/1.1\r\nHost: h\r\n\r\n' "$path" >"$TMP/$name.req"
	send "$name" "$VIP" --expect 2 --timeout 5 \
		--after "$(printf 'GET /after-%s HTTP/1.1\r\nHost: h\r\n\r\n' "$name" | od -An -tx1 | tr -d ' \n')"
	say "$name: $(show "$name"); generated_$s +$(delta "generated_$s")"
	[ "$(statuses "$name")" = "[$s,200]" ] ||
		fail "$name: expected $s then 200 on the same connection: $(jq -c '{responses: [.responses[] | {status, body: .body[0:120]}], close, rest}' "$TMP/$name.json")"
	jq -e --arg p "/after-$name" '.responses[-1].body | fromjson | .path == $p' "$TMP/$name.json" >/dev/null ||
		fail "$name: the second response is not the second request's"
	jq -e --arg s "$s" '.responses[0].body | startswith($s + " ")' "$TMP/$name.json" >/dev/null ||
		fail "$name: not the gateway's $s: $(jq -c '.responses[0] | {headers, body}' "$TMP/$name.json")"
	[ "$(delta "generated_$s")" -eq 1 ] || fail "$name: generated_$s +$(delta "generated_$s")"
}
upstream slow '/slow?ms=3000' 504
within slow 0 800 2500
[ "$(delta request_timeouts)" -eq 1 ] || fail "request_timeouts +$(delta request_timeouts)"
upstream reset /reset 502
upstream closehead /close-head 502
upstream badhead /bad-head 502
printf 'GET /close-mid HTTP/1.1\r\nHost: h\r\n\r\n' >"$TMP/closemid.req"
send closemid "$VIP" --timeout 3
if [ "$(statuses closemid)" = '[502]' ]; then
	say "close-mid: the gateway answered 502 ($(show closemid))"
else
	say "close-mid: $(show closemid); got $(jq -c '.rest[0:60]' "$TMP/closemid.json")"
	jq -e '(.responses | length) == 0 and .closed and (.rest | startswith("HTTP/1.1 200"))' "$TMP/closemid.json" >/dev/null ||
		fail "close-mid: expected a 502, or the truncated response and a close: $(jq -c . "$TMP/closemid.json")"
fi

# 6. 503: the only endpoint drained, then refusing
for name in solo drained undrained refused; do
	printf 'GET /%s HTTP/1.1\r\nHost: h\r\n\r\n' "$name" >"$TMP/$name.req"
done
send solo "$SOLO" --expect 1
[ "$(statuses solo)" = '[200]' ] || fail "solo before the drain: $(statuses solo)"
ctl drain solo "$(be_ip 2):$H1_PORT" >/dev/null || fail "meshgwctl drain failed"
send drained "$SOLO" --expect 1
say "drained: $(show drained); generated_503 +$(delta generated_503)"
[ "$(statuses drained)" = '[503]' ] && [ "$(delta generated_503)" -eq 1 ] ||
	fail "the only endpoint drained: $(statuses drained), generated_503 +$(delta generated_503)"
ctl undrain solo "$(be_ip 2):$H1_PORT" >/dev/null || fail "meshgwctl undrain failed"
send undrained "$SOLO" --expect 1
[ "$(statuses undrained)" = '[200]' ] || fail "after undrain: $(statuses undrained)"
h1_backend_kill 2
sleep 0.3 # its pooled connections are closed by then
send refused "$SOLO" --expect 1
say "refused: $(show refused); generated_503 +$(delta generated_503)"
[ "$(statuses refused)" = '[503]' ] && [ "$(delta generated_503)" -eq 1 ] ||
	fail "the only endpoint refusing: $(statuses refused), generated_503 +$(delta generated_503)"

# 7. upgrade
u0=$(http_stat upgrades)
h1c upgrade "$VIP" 80 --bytes 200000 >"$TMP/up.json" || fail "upgrade: $(cat "$TMP/up.json")"
say "upgrade: $(jq -c '{status, echoed, ms, ending}' "$TMP/up.json"); upgrades +$(($(http_stat upgrades) - u0))"
[ $(($(http_stat upgrades) - u0)) -eq 1 ] || fail "upgrades counter +$(($(http_stat upgrades) - u0))"

# 8. wrk, keep-alive on both legs
cat >"$TMP/wrk.lua" <<-'LUA'
	done = function(s, lat, req)
		io.write(string.format('{"requests": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, "p99_ms": %.1f}\n',
			s.requests, s.errors.connect, s.errors.read, s.errors.write, s.errors.status, s.errors.timeout,
			lat:percentile(99) / 1000))
	end
LUA
st0=$(ctl_json stats | jq -c .totals.http)
in_peer wrk -t 2 -c 32 -d 3s -s "$TMP/wrk.lua" "http://$VIP/wrk" >"$TMP/wrk.out" 2>&1 || fail "wrk: $(tail -5 "$TMP/wrk.out")"
st1=$(ctl_json stats | jq -c .totals.http)
w=$(tail -1 "$TMP/wrk.out")
say "wrk: $w; upstream new +$(delta upstream_new), reused +$(delta upstream_reused), 5xx +$(delta responses_5xx)"
jq -e '.requests > 0 and .connect + .read + .write + .status + .timeout == 0' <<<"$w" >/dev/null ||
	fail "wrk saw errors or non-2xx: $(grep -E 'Socket errors|Non-2xx' "$TMP/wrk.out" | tr '\n' ' ')"
[ "$(delta responses_5xx)" -eq 0 ] && [ "$(delta responses_4xx)" -eq 0 ] || fail "the gateway counted 4xx/5xx under wrk"
[ $(($(delta upstream_new) * 10)) -lt "$(jq .requests <<<"$w")" ] ||
	fail "upstream_new +$(delta upstream_new) for $(jq .requests <<<"$w") requests: the upstream side was not kept alive"

# 9. the access log
for _ in $(seq 30); do
	[ "$(grep -c '"upgrade' "$ALOG" 2>/dev/null || true)" -ge 1 ] && break
	sleep 0.1
done
"$PY" - "$ALOG" <<'PY' >"$TMP/alog.out" || fail "access log: $(cat "$TMP/alog.out")"
import json, sys
http = [l for l in map(json.loads, filter(str.strip, open(sys.argv[1]))) if l.get("kind") == "http"]
want = {  # path or status -> flags that must be there
    "/slow?ms=3000": {"generated", "upstream_timeout"},
    "/reset": {"generated", "upstream_reset"},
    "/upgrade": {"upgrade"},
}
bad = []
for path, flags in want.items():
    ls = [l for l in http if l["path"].split("?")[0] == path.split("?")[0]]
    if len(ls) != 1 or not flags <= set(ls[0]["flags"].split(",")):
        bad.append("%s: %s, expected flags %s" % (path, ls, sorted(flags)))
t408 = [l for l in http if l["status"] == 408]
if len(t408) != 2 or not all({"generated", "header_timeout"} <= set(l["flags"].split(",")) for l in t408):
    bad.append("408 lines: %s" % t408)
l503 = [l for l in http if l["status"] == 503]
if [l["path"] for l in l503] != ["/drained", "/refused"] or "connect_failed" not in l503[1]["flags"]:
    bad.append("503 lines: %s (/refused flagged connect_failed)" % l503)
gen = [l for l in http if l["status"] in (413, 431)]
if len(gen) != 5 or not all("generated" in l["flags"] for l in gen):
    bad.append("413/431 lines: %s" % gen)
print("%d http lines; flags seen: %s" % (len(http), sorted({f for l in http for f in l["flags"].split(",") if f})))
if bad:
    print("; ".join(bad))
    sys.exit(1)
PY
say "access log: $(cat "$TMP/alog.out")"
smuggled=$(jq -r 'select(.ev == "req" and (.path | test("h431|many|^/cl$|expect413|chunked413|stall|trickle"))) | .path' "$(h1_log 1)")
[ -z "$smuggled" ] || fail "rejected requests reached the backend: $smuggled"

# 10. a request pipelined behind one the gateway answers itself (502) is
# still answered, in order
printf 'GET /reset HTTP/1.1\r\nHost: h\r\n\r\nGET /behind-502 HTTP/1.1\r\nHost: h\r\n\r\n' >"$TMP/behind.req"
send behind "$VIP" --expect 2 --timeout 3
say "behind: $(show behind)"
[ "$(statuses behind)" = '[502,200]' ] ||
	fail "a request pipelined behind a 502: $(jq -c '[.responses[] | {status, ms, body}]' "$TMP/behind.json") (expected 502 then 200)"

# 11. a pooled connection the backend drops as the request arrives (no byte
# of response): the GET goes again on a new connection, the client sees 200
r0=$(http_stat upstream_replayed)
printf 'GET /first HTTP/1.1\r\nHost: h\r\n\r\n' >"$TMP/stale1.req"
send stale1 "$VIP" --expect 1 --timeout 3
printf 'GET /drop-if-reused HTTP/1.1\r\nHost: h\r\n\r\n' >"$TMP/stale2.req"
send stale2 "$VIP" --expect 1 --timeout 3
say "stale pooled connection: $(show stale2); upstream_replayed $(($(http_stat upstream_replayed) - r0))"
[ "$(statuses stale2)" = '[200]' ] || fail "a GET on a stale pooled connection: $(show stale2) (expected 200)"
[ "$(($(http_stat upstream_replayed) - r0))" -eq 1 ] || fail "upstream_replayed did not count the second try"

# 12. slow clients of big responses on one pooled connection: the last bytes
# of each were still queued for the client when the response ended; the
# pooled connection must get its window back (else it shrinks per response
# and the next request on it stalls). Ten 2 MiB responses to a client reading
# at 8 MB/s, each on the connection the last one left in the pool, then the
# idle pooled connection's receive window is whole again.
for i in $(seq 10); do
	code=$(in_peer curl -s -o /dev/null -w '%{http_code}' --limit-rate 8M --max-time 10 \
		"http://$VIP/big?bytes=$((2 << 20))") || true
	[ "$code" = 200 ] || fail "slow big response $i: $code"
done
wnd=$(ctl_json conns | jq -c '[.connections[] | select(.proxy.leg == "upstream") | .rcv_wnd]')
say "after ten slow 2 MiB responses: pooled upstream rcv_wnd $wnd; reused $(http_stat upstream_reused)"
jq -e 'length >= 1 and all(.[]; . >= 65535)' <<<"$wnd" >/dev/null ||
	fail "a pooled connection lost its receive window: $wnd"

mg_http_end
mg_stop
say "ok"
