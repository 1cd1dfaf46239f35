#!/usr/bin/env bash
# test_ctl.sh - the ctl socket: malformed requests get error objects and the
# daemon keeps serving; an oversize line is refused; unknown commands are
# named; meshgwctl --json is valid JSON; meshgwctl says so when the daemon is
# not there; the socket is mode 0600.
source "$(dirname "$0")/lib.sh"
need socat

mg_topology
mg_config
mg_start

[ "$(stat -c %a "$SOCK")" = 600 ] || fail "socket mode $(stat -c %a "$SOCK")"
send() { printf '%s\n' "$@" | socat -t 2 - "UNIX-CONNECT:$SOCK"; }

out=$(send 'this is not json' '{"id":2,"cmd":"status"}')
[ "$(sed -n 1p <<<"$out" | jq -r '.ok')" = false ] || fail "garbage: $out"
sed -n 1p <<<"$out" | jq -e '.error.code and .error.message' >/dev/null || fail "no error object: $out"
sed -n 2p <<<"$out" | jq -e '.id == 2 and .ok == true and .result.ready == true' >/dev/null ||
	fail "not served after garbage: $out"
send '{"id":3,"cmd":"no-such-thing"}' | jq -e '.id == 3 and .ok == false and .error.code == "ENOENT"' >/dev/null ||
	fail "unknown command"
send '{"id":4,"cmd":"stats","args":[1,2]}' | jq -e '.ok == false' >/dev/null || fail "args not an object"
send '[1,2,3]' '{"cmd":' '{"id":5,"cmd":"status","extra":1}' | jq -se 'length == 3 and all(.[]; .ok == false)' >/dev/null ||
	fail "malformed set"
head -c 70000 /dev/zero | tr '\0' 'a' | { cat; echo; } | socat -t 2 - "UNIX-CONNECT:$SOCK" | jq -e '.error.code == "E2BIG"' >/dev/null ||
	fail "oversize line not refused"
printf '\xff\xfe{"cmd":"status"}\n' | socat -t 2 - "UNIX-CONNECT:$SOCK" | jq -e '.ok == false' >/dev/null || fail "binary junk"
# many clients at once, then the daemon still answers
pids=()
for _ in $(seq 20); do
	send '{"cmd":"status"}' >/dev/null &
	pids+=($!)
done
wait "${pids[@]}" # not a bare wait: meshgw is our child too
ctl_json stats | jq -e '.workers | length == 1' >/dev/null || fail "meshgwctl --json stats is not valid JSON"
ctl_json status | jq -e '.ready' >/dev/null || fail "status after abuse"

mg_stop
out=$("$BUILD/meshgwctl" -s "$SOCK" status 2>&1) && fail "meshgwctl succeeded with no daemon"
grep -q "cannot reach meshgw" <<<"$out" || fail "unclear message without daemon: $out"
say "ok"
