#!/usr/bin/env bash
# test_http_smuggle.sh - request smuggling and malformed requests. Each case
# of the table below is sent raw on its own connection, followed in the same
# write by a canary request (GET /canary), to a recording backend (h1peer.py
# serve-echo logs every byte it receives and every request it parses). Then
# a canary on a new connection (GET /canary-new) must still be answered.
#
# Expected outcomes (the table's second column):
#   400, 501, 505  exactly one response, with that status; the connection
#                  closed (the canary never answered); the matching
#                  generated_<status> counter +1; the backend received
#                  nothing at all of it (not one byte)
#   400b           the same for an error in a chunked body, but the head
#                  may have been forwarded already (bodies are streamed):
#                  the backend never got one byte of the body nor a
#                  complete request
#   ok:N           accepted: the case and the canary both answered 200 on
#                  the connection, the case's body (N bytes) reached the
#                  backend as one message, forwarded as HTTP/1.1 (1.0 for
#                  a case named *http10) with one
#                  Host and at most one of Content-Length/Transfer-Encoding
#   close:N        as ok:N, but the case ends the connection: the canary is
#                  never answered nor forwarded
# And no request for a path containing "smuggled" (hidden in bodies and
# behind bad framing) ever reaches the backend.
#
#   $PEER (client) ── bridge ── meshgw  VIP $NET.100:80 (http)
#                        └── backend 1  $NET.11:8081  h1peer.py serve-echo
source "$(dirname "$0")/lib.sh"
need nginx

VIP=$NET.100
CANARY='GET /canary HTTP/1.1\r\nHost: h\r\n\r\n'

mg_topology
mg_backends 1
h1_backend 1
http_service web "$VIP:80" web
l4_cluster web 'outlier = { consecutive_failures = 0; };' "$(be_ip 1):$H1_PORT"
TOP_EXTRA='http = { upstream_idle_timeout = "2s"; };'
mg_l4_config
mg_start
mg_warm

# name  expect  request (printf %b escapes; the canary is appended)
cases() {
	cat <<-'TABLE'
		# framing: Content-Length and Transfer-Encoding
		cl_te              400   POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n
		te_cl              400   POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n23\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n\r\n0\r\n\r\n
		cl_cl_differ       400   POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!
		cl_cl_same         400   POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello
		cl_list_same       400   POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello
		cl_list_differ     400   POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 40\r\n\r\nhello
		cl_negative        400   POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: -5\r\n\r\nhello
		cl_plus            400   POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nhello
		cl_hex             400   POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 0x5\r\n\r\nhello
		cl_inner_space     400   POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 5 5\r\n\r\nhello
		cl_empty           400   POST /s HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\nhello
		cl_overflow        400   POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\nhello
		cl_underscore      400   POST /s HTTP/1.1\r\nHost: h\r\nContent_Length: 35\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n
		te_gzip            501   POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\nhello
		te_gzip_chunked    501   POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
		te_identity        501   POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\nhello
		te_chunked_twice   400   POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
		te_two_lines       400   POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
		te_xchunked        400   POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
		te_chunked_suffix  400   POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked-x\r\n\r\n5\r\nhello\r\n0\r\n\r\n
		te_quoted          400   POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "chunked"\r\n\r\n5\r\nhello\r\n0\r\n\r\n
		te_parameter       400   POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;q=1\r\n\r\n5\r\nhello\r\n0\r\n\r\n
		te_empty_element   400   POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: , chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
		te_vtab            400   POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \x0bchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
		te_space_colon     400   POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\nContent-Length: 35\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n
		te_underscore      400   POST /s HTTP/1.1\r\nHost: h\r\nTransfer_Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
		te_obs_fold        400   POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
		te_http10          400   POST /s HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
		conn_names_cl      400   POST /s HTTP/1.1\r\nHost: h\r\nConnection: content-length\r\nContent-Length: 35\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n
		# line ends and field syntax
		obs_fold           400   GET /s HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n
		ws_first_line      400   GET /s HTTP/1.1\r\n Host: h\r\n\r\n
		bare_lf            400   GET /s HTTP/1.1\nHost: h\n\n
		bare_lf_field      400   GET /s HTTP/1.1\r\nHost: h\nX-A: 1\r\n\r\n
		bare_lf_end        400   GET /s HTTP/1.1\r\nHost: h\r\n\n
		bare_cr_value      400   GET /s HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n
		bare_cr_line       400   GET /s HTTP/1.1\rHost: h\r\n\r\n
		space_before_colon 400   GET /s HTTP/1.1\r\nHost : h\r\n\r\n
		tab_before_colon   400   GET /s HTTP/1.1\r\nHost: h\r\nX-A\t: 1\r\n\r\n
		name_paren         400   GET /s HTTP/1.1\r\nHost: h\r\nX(A): 1\r\n\r\n
		name_at            400   GET /s HTTP/1.1\r\nHost: h\r\nX@A: 1\r\n\r\n
		name_nul           400   GET /s HTTP/1.1\r\nHost: h\r\nX\x00A: 1\r\n\r\n
		name_empty         400   GET /s HTTP/1.1\r\nHost: h\r\n: 1\r\n\r\n
		value_ctl          400   GET /s HTTP/1.1\r\nHost: h\r\nX-A: a\x01b\r\n\r\n
		value_nul          400   GET /s HTTP/1.1\r\nHost: h\r\nX-A: a\x00b\r\n\r\n
		value_del          400   GET /s HTTP/1.1\r\nHost: h\r\nX-A: a\x7fb\r\n\r\n
		# request line and Host
		target_space       400   GET /a b HTTP/1.1\r\nHost: h\r\n\r\n
		target_ctl         400   GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n
		method_bad         400   G(T /s HTTP/1.1\r\nHost: h\r\n\r\n
		http09             400   GET /s\r\n\r\n
		version_lower      400   GET /s http/1.1\r\nHost: h\r\n\r\n
		version_junk       400   GET /s HTTP/1.1x\r\nHost: h\r\n\r\n
		missing_host       400   GET /s HTTP/1.1\r\n\r\n
		two_hosts          400   GET /s HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n
		host_bad           400   GET /s HTTP/1.1\r\nHost: a/b\r\n\r\n
		http2              505   GET /s HTTP/2.0\r\nHost: h\r\n\r\n
		http12             505   GET /s HTTP/1.2\r\nHost: h\r\n\r\n
		# chunked bodies
		chunk_size_bad     400b  POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n
		chunk_size_neg     400b  POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n
		chunk_size_0x      400b  POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n
		chunk_size_ws      400b  POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n
		chunk_size_huge    400b  POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n
		chunk_ext_empty    400b  POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n0\r\n\r\n
		chunk_ext_space    400b  POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a b\r\nhello\r\n0\r\n\r\n
		chunk_ext_quote    400b  POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a="b\r\nhello\r\n0\r\n\r\n
		chunk_no_crlf      400b  POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n
		chunk_bare_lf      400b  POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n
		trailer_cl         400b  POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nContent-Length: 35\r\n\r\n
		trailer_fold       400b  POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: a\r\n b\r\n\r\n
		# accepted: what is forwarded is one message, normalised
		ok_te_tab          ok:5  POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\tchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n
		ok_te_case         ok:5  POST /s HTTP/1.1\r\nHost: h\r\ntransfer-encoding: ChUnKeD\r\n\r\n5\r\nhello\r\n0\r\n\r\n
		ok_te_ows          ok:5  POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:  chunked \t\r\n\r\n5\r\nhello\r\n0\r\n\r\n
		ok_cl_ows          ok:5  POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: \t5 \r\n\r\nhello
		ok_cl_zero         ok:0  POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n
		ok_get_body        ok:5  GET /s HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello
		ok_body_is_request ok:35 POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 35\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n
		ok_chunk_request   ok:35 POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n23\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n\r\n0\r\n\r\n
		ok_chunks          ok:5  POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n
		ok_chunk_ext       ok:5  POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b;c="d e"\r\nhello\r\n0\r\n\r\n
		ok_trailer         ok:5  POST /s HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n
		ok_leading_crlf    ok:0  \r\nGET /s HTTP/1.1\r\nHost: h\r\n\r\n
		ok_obs_text        ok:0  GET /s HTTP/1.1\r\nHost: h\r\nX-A: caf\xc3\xa9\r\n\r\n
		close_conn_close   close:0  GET /s HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n
		close_http10       close:0  GET /s HTTP/1.0\r\nHost: h\r\n\r\n
	TABLE
}

NEW_HEX=$(printf '%b' "${CANARY/canary/canary-new}" | od -An -tx1 | tr -d ' \n')
n_cases=0
declare -A outcomes=()
# The checks of one case, in python (one process instead of a dozen jq):
# argv NAME EXPECT RAW.json STATS0 STATS1 BACKEND-EVENTS; prints the line to
# say, or "FAIL reason" and exits 1.
cat >"$TMP/check.py" <<'PY'
import json, sys
name, expect, raw, s0, s1, evpath = sys.argv[1:]
r = json.load(open(raw))
s0, s1 = json.loads(s0), json.loads(s1)
ev = [json.loads(l) for l in open(evpath)]
reqs = [e["path"] for e in ev if e["ev"] == "req"]
rx = "".join(e["data"] for e in ev if e["ev"] == "rx").encode("latin-1")
resps = r["responses"]
statuses = [x["status"] for x in resps]
bad = []


def check(ok, msg):
    if not ok and not bad:
        bad.append(msg)


def echo(i):
    try:
        return json.loads(resps[i]["body"])
    except (IndexError, ValueError):
        return {}


kind, _, arg = expect.partition(":")
if kind in ("400", "400b", "501", "505"):
    st = int(kind[:3])
    gen = s1["generated_%d" % st] - s0["generated_%d" % st]
    body = resps[0]["body"].rstrip("\n") if resps else ""
    line = "%s %s closed %s, generated_%d +%d, backend requests %s" % (
        json.dumps(statuses), json.dumps(body), r["close"], st, gen, json.dumps(reqs))
    check(statuses == [st] and r["closed"], "expected one %d and the connection closed: %s" % (
        st, json.dumps({k: r[k] for k in ("responses", "close", "rest")})))
    check(body.startswith("%d " % st), "the %d body does not start with '%d '" % (st, st))
    check(gen == 1, "generated_%d went up by %d" % (st, gen))
    check(reqs == ["/canary-new"],
          "the backend received the requests %s, expected only the new connection's canary" % reqs)
    if kind == "400b":
        # the head may have gone ahead, but not one byte of the bad body
        heads = rx.split(b"\r\n\r\n")
        line += ", its head forwarded: %s" % ("yes" if b"POST /s " in rx else "no")
        check(heads[-1] == b"" and all(h.startswith((b"POST /s ", b"GET /canary-new "))
                                       for h in heads[:-1]),
              "body bytes reached the backend: %r" % rx[:600])
    # a rejected head: not one byte of it reaches the backend, only the canary's head
    else:
        check(rx.startswith(b"GET /canary-new HTTP/1.1\r\n") and rx.find(b"\r\n\r\n") == len(rx) - 4,
              "the backend received more than the canary's head: %r" % rx[:600])
elif kind in ("ok", "close"):
    n, closed = (2, False) if kind == "ok" else (1, True)
    want = ["/s", "/canary", "/canary-new"] if kind == "ok" else ["/s", "/canary-new"]
    e = echo(0)
    hdrs = [h[0].lower() for h in e.get("headers", [])]
    framing = [h for h in e.get("headers", []) if h[0].lower() in ("content-length", "transfer-encoding")]
    line = "%s closed %s, backend requests %s, forwarded %s body %s framing %s" % (
        json.dumps(statuses), r["close"] or "no", json.dumps(reqs), e.get("version"),
        e.get("body_len"), json.dumps(framing))
    check(statuses == [200] * n and r["closed"] == closed and r["rest"] == "",
          "expected %d response(s) 200, closed %s: %s" % (n, closed, json.dumps(
              {"responses": [(x["status"], x["body"][:200]) for x in resps], "close": r["close"],
               "rest": r["rest"]})))
    # an HTTP/1.0 request goes up as 1.0 (so its response is not chunked)
    ver = "HTTP/1.0" if name.endswith("http10") else "HTTP/1.1"
    check(e.get("version") == ver and e.get("body_len") == int(arg) and hdrs.count("host") == 1
          and len(framing) <= 1,
          "forwarded %s, expected one %s message with one Host and a body of %s" % (e, ver, arg))
    check(n == 1 or echo(1).get("path") == "/canary", "the second response is not the canary's")
    check(reqs == want, "the backend received the requests %s, expected %s" % (reqs, want))
else:
    check(False, "table: unknown outcome %s" % expect)
    line = ""
# a valid request on a new connection still works
t = r.get("then", {}).get("responses", [])
check(len(t) == 1 and t[0]["status"] == 200 and json.loads(t[0]["body"]).get("path") == "/canary-new",
      "the canary on a new connection after it: %s" % t)
print("%-18s %s" % (name, line) if not bad else "FAIL %s: %s" % (name, bad[0]))
sys.exit(1 if bad else 0)
PY

while IFS= read -r -u 3 line; do
	[[ -z ${line// /} || $line =~ ^[[:space:]]*# ]] && continue
	read -r name expect req <<<"$line"
	{
		printf '%b' "$req"
		printf '%b' "$CANARY"
	} >"$TMP/c_$name.req"
	s0=$(ctl_json stats | jq -c .totals.http)
	log0=$(wc -l <"$(h1_log 1)")
	n=1 linger=1 # a connection that stays open after an error fails after 1 s
	[[ $expect == ok:* ]] && n=2 linger=0.3
	h1c raw "$VIP" 80 "$TMP/c_$name.req" --expect "$n" --linger "$linger" --timeout 3 \
		--then-hex "$NEW_HEX" >"$TMP/c_$name.json" || fail "$name: client: $(cat "$TMP/c_$name.json")"
	s1=$(ctl_json stats | jq -c .totals.http)
	tail -n +$((log0 + 1)) "$(h1_log 1)" >"$TMP/be.new"
	out=$("$PY" "$TMP/check.py" "$name" "$expect" "$TMP/c_$name.json" "$s0" "$s1" "$TMP/be.new") || fail "${out#FAIL }"
	say "$out"
	n_cases=$((n_cases + 1))
	outcomes[$expect]=$((${outcomes[$expect]:-0} + 1))
done 3< <(cases)

smuggled=$(jq -r 'select(.ev == "req" and (.path | contains("smuggled"))) | .path' "$(h1_log 1)")
[ -z "$smuggled" ] || fail "a smuggled request reached the backend: $smuggled"
say "$n_cases cases ($(for k in "${!outcomes[@]}"; do printf '%s %s, ' "$k" "${outcomes[$k]}"; done | sed 's/, $//')); no smuggled request reached the backend"
say "stats: $(stat_q '.totals.http | {requests, generated_400, generated_501, generated_505, responses_2xx}' | jq -c .)"
mg_http_end
mg_stop
say "ok"
