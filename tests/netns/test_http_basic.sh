#!/usr/bin/env bash
# test_http_basic.sh - the HTTP/1.1 proxy in front of three h1peer.py echo
# backends (each answers with what it received: method, path, headers in
# order, body length and SHA-256):
#   1. GET: the request reaches a backend with x-request-id (a new UUID v4),
#      traceparent (a new trace), x-forwarded-for (the client),
#      x-forwarded-proto http and connection keep-alive;
#   2. headers sent by the client: x-request-id kept, traceparent with the
#      same trace id and flags and a new span id, tracestate and b3 kept,
#      x-forwarded-for appended, hop-by-hop headers (Connection and the
#      names it lists, Keep-Alive, Proxy-Connection, TE) removed; an invalid
#      traceparent starts a new trace;
#   3. bodies, SHA-256 checked end to end: POST 1 MiB, the same chunked and
#      with Expect: 100-continue (the backend's 100 reaches curl), PUT and
#      GET of MG_HTTP_BIG bytes (100 MiB), a chunked response with a trailer;
#   4. HEAD then GET on one connection (the HEAD response has no body);
#   5. keep-alive: 20 requests on one client connection, the upstream
#      connections reused (upstream_reused, upstream_new at most 3);
#   6. 10 pipelined requests (some with bodies, the later ones faster)
#      answered in order;
#   7. the stats, /metrics and the access log (one JSON line per request
#      with the contract's fields) all count exactly the requests made;
#   and no request in flight, no upstream connection or mbuf left at the end.
#
#   $PEER (client) ── bridge ── meshgw  VIP $NET.100:80 (http, round robin)
#                        ├── backend 1  $NET.11:8081  h1peer.py serve-echo
#                        ├── backend 2  $NET.12:8081
#                        └── backend 3  $NET.13:8081
source "$(dirname "$0")/lib.sh"
need nginx
need curl

BIG=${MG_HTTP_BIG:-$((100 << 20))}
VIP=$NET.100
URL=http://$VIP
ALOG=$TMP/access.log
UUID4='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
TP_RE='^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'
REQS=0 # requests made through the VIP, to compare with the stats and the log

mg_topology
mg_backends 3
for k in 1 2 3; do h1_backend "$k"; done
http_service web "$VIP:80" web
l4_cluster web 'policy = "round_robin";' "$(be_ip 1):$H1_PORT" "$(be_ip 2):$H1_PORT" "$(be_ip 3):$H1_PORT"
LOG_EXTRA="access_log = \"$ALOG\";"
TOP_EXTRA='http = { upstream_idle_timeout = "2s"; };'
mg_l4_config
mg_start
mg_warm

# curl_echo NAME ARGS: a request through the VIP whose echo lands in
# $TMP/NAME.json (curl's own trace in $TMP/NAME.err); fails unless it is 200.
curl_echo() {
	local name=$1 code
	shift
	code=$(in_peer curl -sS --max-time 30 -o "$TMP/$name.json" -w '%{http_code}' "$@" 2>"$TMP/$name.err") ||
		fail "$name: curl failed: $(tail -3 "$TMP/$name.err")"
	REQS=$((REQS + 1))
	[ "$code" = 200 ] || fail "$name: status $code: $(head -c 300 "$TMP/$name.json")"
}
# hv NAME HEADER: the values of HEADER the backend received, one per line
hv() { jq -r --arg h "$2" '.headers[] | select(.[0] | ascii_downcase == $h) | .[1]' "$TMP/$1.json"; }
# hv1 NAME HEADER: its one value; fails when it came zero or several times
hv1() {
	local v n
	v=$(hv "$1" "$2")
	n=$(grep -c . <<<"$v" || true)
	[ "$n" -eq 1 ] || fail "$1: the backend got $n $2 header(s): $(jq -c .headers "$TMP/$1.json")"
	echo "$v"
}

# 1. a plain GET: the headers the proxy adds
curl_echo get "$URL/get?x=1"
jq -e '.method == "GET" and .path == "/get?x=1" and (.backend | test("^b[123]$"))' "$TMP/get.json" >/dev/null ||
	fail "get: echo $(cat "$TMP/get.json")"
rid=$(hv1 get x-request-id)
tp=$(hv1 get traceparent)
say "GET: backend $(jq -r .backend "$TMP/get.json"), x-request-id $rid, traceparent $tp"
[[ $rid =~ $UUID4 ]] || fail "generated x-request-id is not a UUID v4: $rid"
[[ $tp =~ $TP_RE ]] || fail "generated traceparent malformed: $tp"
[ "$(hv1 get x-forwarded-for)" = "$PEER_IP" ] || fail "x-forwarded-for $(hv get x-forwarded-for), expected $PEER_IP"
[ "$(hv1 get x-forwarded-proto)" = http ] || fail "x-forwarded-proto $(hv get x-forwarded-proto)"
[ "$(hv1 get connection | tr A-Z a-z)" = keep-alive ] || fail "upstream connection header: $(hv get connection)"
curl_echo get2 "$URL/get"
[ "$(hv1 get2 x-request-id)" != "$rid" ] || fail "two requests got the same x-request-id $rid"

# 2. the client's own trace and forwarding headers
TRACE=4bf92f3577b34da6a3ce929d0e0e4736
SPAN=00f067aa0ba902b7
B3='80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1'
curl_echo hdrs "$URL/hdrs" -H 'x-request-id: my-id-123' -H "traceparent: 00-$TRACE-$SPAN-01" \
	-H 'tracestate: congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' -H "b3: $B3" \
	-H 'X-B3-TraceId: 80f198ee56343ba864fe8b2a57d3eff7' -H 'X-B3-SpanId: e457b5a2e4d86bd1' \
	-H 'X-B3-Sampled: 1' -H 'X-Forwarded-For: 203.0.113.7' -H 'Connection: keep-alive, Foo' \
	-H 'Foo: secret' -H 'Keep-Alive: timeout=5' -H 'Proxy-Connection: keep-alive' -H 'TE: trailers'
tp=$(hv1 hdrs traceparent)
say "client headers: traceparent $tp, x-forwarded-for $(hv hdrs x-forwarded-for | paste -sd'|')"
[ "$(hv1 hdrs x-request-id)" = my-id-123 ] || fail "x-request-id not kept: $(hv hdrs x-request-id)"
[[ $tp =~ $TP_RE ]] || fail "traceparent malformed: $tp"
[ "${tp:3:32}" = $TRACE ] || fail "trace id changed: $tp"
[ "${tp:36:16}" != $SPAN ] || fail "span id not replaced: $tp"
[ "${tp:53:2}" = 01 ] || fail "trace flags changed: $tp"
[ "$(hv1 hdrs tracestate)" = 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' ] || fail "tracestate: $(hv hdrs tracestate)"
[ "$(hv1 hdrs b3)" = "$B3" ] || fail "b3: $(hv hdrs b3)"
[ "$(hv1 hdrs x-b3-traceid)" = 80f198ee56343ba864fe8b2a57d3eff7 ] || fail "x-b3-traceid: $(hv hdrs x-b3-traceid)"
[ "$(hv1 hdrs x-b3-spanid)" = e457b5a2e4d86bd1 ] || fail "x-b3-spanid: $(hv hdrs x-b3-spanid)"
[ "$(hv1 hdrs x-b3-sampled)" = 1 ] || fail "x-b3-sampled: $(hv hdrs x-b3-sampled)"
xff=$(hv hdrs x-forwarded-for | paste -sd, | sed 's/, */, /g')
[ "$xff" = "203.0.113.7, $PEER_IP" ] || fail "x-forwarded-for: '$xff', expected '203.0.113.7, $PEER_IP'"
[ "$(hv1 hdrs x-forwarded-proto)" = http ] || fail "x-forwarded-proto $(hv hdrs x-forwarded-proto)"
for h in foo keep-alive proxy-connection te; do
	[ -z "$(hv hdrs $h)" ] || fail "hop-by-hop header $h forwarded: $(jq -c .headers "$TMP/hdrs.json")"
done
[ "$(hv1 hdrs connection | tr A-Z a-z)" = keep-alive ] || fail "upstream connection header: $(hv hdrs connection)"
# an all-zero trace id is invalid: a new trace
curl_echo badtp "$URL/badtp" -H "traceparent: 00-00000000000000000000000000000000-$SPAN-01"
tp=$(hv1 badtp traceparent)
[[ $tp =~ $TP_RE ]] && [ "${tp:3:32}" != 00000000000000000000000000000000 ] ||
	fail "invalid traceparent not replaced by a new trace: $tp"

# 3. bodies, hashed end to end
head -c $((1 << 20)) /dev/urandom >"$TMP/mib.bin"
MIB_SHA=$(sha256sum "$TMP/mib.bin" | cut -d' ' -f1)
# body_ok NAME BYTES SHA: the backend got exactly that body
body_ok() {
	jq -e --argjson n "$2" --arg s "$3" '.body_len == $n and .body_sha256 == $s' "$TMP/$1.json" >/dev/null ||
		fail "$1: backend got $(jq -c '{body_len, body_sha256}' "$TMP/$1.json"), sent $2 bytes $3"
}
curl_echo post "$URL/post" -H 'Content-Type: application/octet-stream' --data-binary @"$TMP/mib.bin"
body_ok post $((1 << 20)) "$MIB_SHA"
curl_echo chunked "$URL/chunked-post" -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/mib.bin"
body_ok chunked $((1 << 20)) "$MIB_SHA"
curl_echo cont "$URL/continue" -v -H 'Expect: 100-continue' --data-binary @"$TMP/mib.bin"
body_ok cont $((1 << 20)) "$MIB_SHA"
grep -q '^< HTTP/1.1 100 Continue' "$TMP/cont.err" ||
	fail "Expect: 100-continue: curl saw no 100 Continue: $(grep '^< HTTP' "$TMP/cont.err" | tr '\r\n' '  ')"
[ "$(hv1 cont expect)" = 100-continue ] || fail "Expect not passed on: $(hv cont expect)"
say "POST 1 MiB: plain, chunked and with 100-continue intact (the 100 came through)"

head -c "$BIG" /dev/urandom >"$TMP/big.bin"
t0=$(date +%s%N)
curl_echo put "$URL/put" -T "$TMP/big.bin"
t1=$(date +%s%N)
body_ok put "$BIG" "$(sha256sum "$TMP/big.bin" | cut -d' ' -f1)"
rm -f "$TMP/big.bin"
code=$(in_peer curl -sS --max-time 60 -D "$TMP/bigget.h" -o "$TMP/bigget.bin" -w '%{http_code}' "$URL/big?bytes=$BIG") ||
	fail "GET /big: curl failed"
t2=$(date +%s%N)
REQS=$((REQS + 1))
want=$("$PY" "$TCPCLIENT" pattern-sha "$BIG" | jq -r .sha256)
got=$(sha256sum "$TMP/bigget.bin" | cut -d' ' -f1)
say "$((BIG >> 20)) MiB: PUT in $(((t1 - t0) / 1000000)) ms, GET in $(((t2 - t1) / 1000000)) ms"
[ "$code" = 200 ] && [ "$got" = "$want" ] ||
	fail "GET /big: status $code, $(stat -c %s "$TMP/bigget.bin") bytes sha $got, expected $BIG bytes $want"
rm -f "$TMP/bigget.bin"
# a chunked response with a trailer, through curl (decoded) and raw
code=$(in_peer curl -sS --max-time 10 -D "$TMP/ch.h" -o "$TMP/ch.bin" -w '%{http_code}' "$URL/chunked?n=200") ||
	fail "GET /chunked: curl failed"
REQS=$((REQS + 1))
want=$(tr -d '\r' <"$TMP/ch.h" | awk -F': ' 'tolower($1) == "x-body-sha256" { print $2 }')
[ "$code" = 200 ] && [ "$(sha256sum "$TMP/ch.bin" | cut -d' ' -f1)" = "$want" ] ||
	fail "chunked response: status $code, body does not match its x-body-sha256 '$want'"
printf 'GET /chunked?n=50 HTTP/1.1\r\nHost: h\r\n\r\n' >"$TMP/ch.req"
h1c raw "$VIP" 80 "$TMP/ch.req" --expect 1 >"$TMP/ch.json" || fail "raw /chunked: $(cat "$TMP/ch.json")"
REQS=$((REQS + 1))
r=$(jq -c '.responses[0] | {status, framing, ok: (.body_sha256 == ([.headers[] | select(.[0] | ascii_downcase == "x-body-sha256") | .[1]][0])), trailers}' "$TMP/ch.json")
say "chunked response: $(jq -c '{status, framing, ok}' <<<"$r"), trailers $(jq -c .trailers <<<"$r")"
jq -e '.status == 200 and .ok' <<<"$r" >/dev/null || fail "raw chunked response: $r"
# an HTTP/1.0 client cannot read chunked: its request goes up as 1.0 and the
# backend answers without chunked framing
printf 'GET /chunked?n=50 HTTP/1.0\r\nHost: h\r\n\r\n' >"$TMP/ch10.req"
h1c raw "$VIP" 80 "$TMP/ch10.req" --expect 1 >"$TMP/ch10.json" || fail "raw /chunked 1.0: $(cat "$TMP/ch10.json")"
REQS=$((REQS + 1))
r=$(jq -c '.responses[0] | {status, framing, te: ([.headers[] | select(.[0] | ascii_downcase == "transfer-encoding")] | length), ok: (.body_sha256 == ([.headers[] | select(.[0] | ascii_downcase == "x-body-sha256") | .[1]][0]))}' "$TMP/ch10.json")
say "chunked resource to an HTTP/1.0 client: $r"
jq -e '.status == 200 and .te == 0 and .ok' <<<"$r" >/dev/null || fail "HTTP/1.0 client got: $r"

# 4. HEAD, then GET on the same connection
printf 'HEAD /head HTTP/1.1\r\nHost: h\r\n\r\nGET /after-head HTTP/1.1\r\nHost: h\r\n\r\n' >"$TMP/head.req"
h1c raw "$VIP" 80 "$TMP/head.req" --expect 2 >"$TMP/head.json" || fail "HEAD: $(cat "$TMP/head.json")"
REQS=$((REQS + 2))
jq -e '(.responses | length) == 2 and .responses[0].status == 200 and .rest == "" and
	([.responses[0].headers[] | select(.[0] | ascii_downcase == "content-length")] | length) == 1 and
	(.responses[1].body | fromjson | .path) == "/after-head"' "$TMP/head.json" >/dev/null ||
	fail "HEAD then GET: $(jq -c '[.responses[] | {status, headers, body: .body[0:80]}], .rest' "$TMP/head.json")"
say "HEAD then GET on one connection: both answered, the HEAD without a body"

# 5. keep-alive: 20 requests on one client connection
st=$(ctl_json stats | jq -c .totals.http)
urls=()
for i in $(seq 20); do urls+=(-o /dev/null "$URL/ka/$i"); done
in_peer curl -sS --max-time 20 -w '%{http_code} %{num_connects}\n' "${urls[@]}" >"$TMP/ka.txt" ||
	fail "keep-alive: curl failed"
REQS=$((REQS + 20))
st2=$(ctl_json stats | jq -c .totals.http)
new=$(($(jq .upstream_new <<<"$st2") - $(jq .upstream_new <<<"$st")))
reused=$(($(jq .upstream_reused <<<"$st2") - $(jq .upstream_reused <<<"$st")))
conns=$(awk '{ s += $2 } END { print s }' "$TMP/ka.txt")
say "keep-alive: 20 requests on $conns client connection(s); upstream new $new, reused $reused"
[ "$(grep -c '^200 ' "$TMP/ka.txt")" -eq 20 ] || fail "keep-alive: $(sort "$TMP/ka.txt" | uniq -c | tr '\n' ' ')"
[ "$conns" -eq 1 ] || fail "curl opened $conns connections for 20 requests (the client side was not kept alive)"
[ "$new" -le 3 ] && [ "$reused" -ge 17 ] && [ $((new + reused)) -eq 20 ] ||
	fail "upstream pool: $new new, $reused reused for 20 requests over 3 backends"

# 6. pipelining
p0=$(http_stat pipelined)
h1c pipeline "$VIP" 80 10 >"$TMP/pipe.json" || fail "pipelining: $(cat "$TMP/pipe.json")"
REQS=$((REQS + 10))
say "pipelined: $(jq -c '{order, ms}' "$TMP/pipe.json"), pipelined counter +$(($(http_stat pipelined) - p0))"
[ $(($(http_stat pipelined) - p0)) -ge 1 ] || fail "10 pipelined requests, the pipelined counter did not move"

# 7. what the gateway counted and logged
st=$(ctl_json stats | jq -c .totals.http)
say "stats: $(jq -c '{requests, responses_1xx, responses_2xx, responses_4xx, responses_5xx, upstream_new, upstream_reused, pipelined, log_drops}' <<<"$st")"
jq -e --argjson n "$REQS" '.requests == $n and .responses_2xx == $n and .responses_1xx >= 1 and
	.responses_4xx == 0 and .responses_5xx == 0 and (.log_drops // 0) == 0' <<<"$st" >/dev/null ||
	fail "stats do not match the $REQS requests made (all 200, at least one 100 Continue)"
in_gw curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" >"$TMP/metrics" || fail "/metrics not served"
m=$(awk '$1 ~ /^meshgw_http_requests_total[{ ]/ { s += $2 } END { print s + 0 }' "$TMP/metrics")
[ "$m" -eq "$REQS" ] || fail "/metrics meshgw_http_requests_total $m, $REQS requests made"
for _ in $(seq 30); do
	[ "$(grep -c '"kind": *"http"' "$ALOG" 2>/dev/null || true)" -ge "$REQS" ] && break
	sleep 0.1
done
"$PY" - "$ALOG" "$REQS" "$PEER_IP" "$VIP" "$TRACE" <<'PY' >"$TMP/alog.out" || fail "access log: $(cat "$TMP/alog.out")"
import json, re, sys
path, n, client, vip, trace = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
lines = [json.loads(l) for l in open(path) if l.strip()]
http = [l for l in lines if l.get("kind") == "http"]
fields = ("ts", "kind", "duration_ms", "worker", "service", "cluster", "client", "request_id",
          "trace_id", "method", "authority", "path", "status", "bytes_in", "bytes_out",
          "endpoint", "flags")
bad = []
if len(http) != n:
    bad.append("%d http lines for %d requests" % (len(http), n))
for l in http:
    miss = [f for f in fields if f not in l]
    if miss:
        bad.append("line without %s: %s" % (miss, l))
        break
    if (l["service"], l["cluster"]) != ("web", "web") or not l["client"].startswith(client + ":") \
            or not re.fullmatch(r"[0-9a-f]{32}", l["trace_id"] or "") \
            or not re.fullmatch(r"\d+\.\d+\.\d+\.\d+:8081", l["endpoint"] or ""):
        bad.append("unexpected line: %s" % l)
        break
mine = [l for l in http if l["request_id"] == "my-id-123"]
if len(mine) != 1 or mine[0]["trace_id"] != trace or mine[0]["method"] != "GET" \
        or mine[0]["path"] != "/hdrs" or mine[0]["status"] != 200 or mine[0]["authority"] != vip:
    bad.append("the x-request-id my-id-123 request: %s" % mine)
post = [l for l in http if l["path"] == "/post"]
if len(post) != 1 or not post[0]["bytes_in"] > 1 << 20 or not post[0]["bytes_out"] > 0:
    bad.append("the 1 MiB POST: %s" % post)
piped = [l for l in http if "pipelined" in l["flags"]]
print("%d http lines, %d flagged pipelined, %d flagged reused; e.g. %s" % (
    len(http), len(piped), sum("reused" in l["flags"] for l in http), json.dumps(mine[:1])))
if bad:
    print("; ".join(bad))
    sys.exit(1)
PY
say "access log: $(cat "$TMP/alog.out")"

mg_http_end
mg_stop
say "ok"
