#!/usr/bin/env bash
# test_tcp_options.sh - negotiated TCP options (window scaling, timestamps,
# SACK-permitted, MSS) as both ends see them: `meshgwctl conns --json` on the
# gateway, `ss -ti` in the peer. All on by default; each one absent when
# switched off on either side (the gateway's tcp group, or the peer's
# net.ipv4.tcp_* sysctls in its namespace). Then congestion_control
# "cubic": the connection's cc in `conns` while source sends, data intact.
source "$(dirname "$0")/lib.sh"
need ss

mg_topology
mg_peer_route congctl cubic

# peer_opts WS TS SACK: the peer namespace's sysctls.
peer_opts() {
	in_peer sysctl -qw net.ipv4.tcp_window_scaling="$1" net.ipv4.tcp_timestamps="$2" \
		net.ipv4.tcp_sack="$3"
}

# check CASE WS TS SACK: holds an echo connection open and checks that both
# sides report exactly the expected options (1 present, 0 absent): the
# gateway in `meshgwctl conns`, the peer kernel in TCP_INFO (tcpclient.py)
# and `ss -ti` (iproute2 6.1 prints wscale and mss there; on this kernel it
# omits ts and sack, which TCP_INFO has).
check() {
	local name=$1 ws=$2 ts=$3 sack=$4 pid conn ss_line peer lport t0=$SECONDS
	# not through tcpc: a backgrounded function would be a subshell with its own pid;
	# the last check's file goes first: the background shell truncates it
	# only when it gets to run, and the wait below must not see the old one
	rm -f "$TMP/hold"
	ip netns exec "$PEER" timeout 40 "$PY" "$TCPCLIENT" hold "$GW_IP" 7 30 >"$TMP/hold" 2>&1 &
	pid=$!
	until grep -q '"ready": true' "$TMP/hold" 2>/dev/null; do
		[ $((SECONDS - t0)) -lt 10 ] || fail "$name: no echo connection: $(cat "$TMP/hold")"
		kill -0 $pid 2>/dev/null || fail "$name: client exited: $(cat "$TMP/hold")"
		sleep 0.1
	done
	peer=$(head -1 "$TMP/hold")
	lport=$(jq -r .local <<<"$peer")
	conn=$(ctl_json conns --port "$lport" | jq -c '.connections[0]')
	[ "$conn" != null ] || fail "$name: the gateway does not list the connection from port $lport"
	ss_line=$(in_peer ss -tinH state established "( sport = :$lport )" | tr -s ' \t\n' ' ')
	say "$name: gateway $(jq -c .options <<<"$conn"); peer $(jq -c '{wscale, snd_wscale, rcv_wscale, ts, sack, snd_mss}' <<<"$peer");" \
		"ss: $(grep -oE '\b(ts|sack|wscale:[0-9,]+|mss:[0-9]+)' <<<"$ss_line" | tr '\n' ' ')"
	jq -e --argjson ws "$ws" --argjson ts "$ts" --argjson sack "$sack" \
		'.options.wscale == ($ws == 1) and .options.timestamps == ($ts == 1) and .options.sack == ($sack == 1)' \
		<<<"$conn" >/dev/null || fail "$name: gateway options $(jq -c .options <<<"$conn"), expected ws=$ws ts=$ts sack=$sack"
	jq -e --argjson ws "$ws" --argjson ts "$ts" --argjson sack "$sack" \
		'.wscale == ($ws == 1) and .ts == ($ts == 1) and .sack == ($sack == 1)' \
		<<<"$peer" >/dev/null || fail "$name: peer options $peer, expected ws=$ws ts=$ts sack=$sack"
	# both ends agree on the shifts: ours is the peer's receive shift and back
	if [ "$ws" = 1 ]; then
		jq -e --argjson p "$peer" '.options.snd_wscale == $p.rcv_wscale and .options.rcv_wscale == $p.snd_wscale' \
			<<<"$conn" >/dev/null || fail "$name: window scale shifts disagree: $(jq -c .options <<<"$conn") vs $peer"
		grep -qE "\bwscale:$(jq .snd_wscale <<<"$peer"),$(jq .rcv_wscale <<<"$peer")" <<<"$ss_line" ||
			fail "$name: ss shows no matching wscale: $ss_line"
	else
		! grep -qE '\bwscale:' <<<"$ss_line" || fail "$name: wscale in ss: $ss_line"
	fi
	# the MSS each side sends with, timestamps taken out on ours
	jq -e --argjson p "$peer" --argjson ts "$ts" \
		'.options.mss == 1460 and ($p.snd_mss == (if $ts == 1 then 1448 else 1460 end))' \
		<<<"$conn" >/dev/null || fail "$name: mss: gateway $(jq .options.mss <<<"$conn"), peer $(jq .snd_mss <<<"$peer")"
	kill $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
}

# 1. everything on, both sides
mg_tcp_config
mg_start
mg_warm
peer_opts 1 1 1
check "both on" 1 1 1
# 2. the peer switches everything off
peer_opts 0 0 0
check "peer off" 0 0 0
# 3. the peer switches off one at a time
peer_opts 0 1 1
check "peer no wscale" 0 1 1
peer_opts 1 0 1
check "peer no ts" 1 0 1
peer_opts 1 1 0
check "peer no sack" 1 1 0
mg_tcp_end
mg_stop

# 4. the gateway switches everything off
peer_opts 1 1 1
TCP_EXTRA='window_scaling = false; timestamps = false; sack = false;'
mg_tcp_config
mg_start
check "gateway off" 0 0 0
mg_tcp_end
mg_stop
# 5. the gateway switches off one at a time
for opt in window_scaling timestamps sack; do
	TCP_EXTRA="$opt = false;"
	mg_tcp_config
	mg_start
	case $opt in
	window_scaling) check "gateway no wscale" 0 1 1 ;;
	timestamps) check "gateway no ts" 1 0 1 ;;
	sack) check "gateway no sack" 1 1 0 ;;
	esac
	mg_tcp_end
	mg_stop
done

# 6. CUBIC: shown as the connection's cc while source sends to a reader
#    that pauses once (the connection stays up to be seen), pattern intact
TCP_EXTRA='congestion_control = "cubic";'
mg_tcp_config
mg_start
mg_warm
ip netns exec "$PEER" timeout 60 "$PY" "$TCPCLIENT" source "$GW_IP" 19 $((16 << 20)) \
	--stall-after $((4 << 20)) --stall 1 >"$TMP/cubic.json" 2>&1 &
pid=$!
cc=
for _ in $(seq 50); do
	cc=$(ctl_json conns --port 19 | jq -r '.connections[0].cc // empty')
	[ -n "$cc" ] && break
	sleep 0.1
done
rc=0
wait $pid || rc=$?
[ $rc -eq 0 ] || fail "cubic: reader: $(cat "$TMP/cubic.json")"
jq -e '.sha_received == .sha_expected' "$TMP/cubic.json" >/dev/null || fail "cubic: pattern hash differs"
say "cubic: $(jq .received "$TMP/cubic.json") bytes in $(jq .seconds "$TMP/cubic.json")s; conns shows cc ${cc:-none}"
[ "$cc" = cubic ] || fail "cubic: conns shows cc '${cc:-none}' mid-transfer"
mg_tcp_end
mg_stop
say "ok"
