#!/usr/bin/env bash
# test_l4_spread.sh - how each balancing policy spreads connections: one
# gateway (one worker), six VIPs, each with its own cluster over the same
# three nginx backends weighted 1, 2, 3; one client makes MG_SPREAD_COUNT
# (3,000) `Connection: close` GETs per VIP, each on a new connection, the
# VIPs interleaved, and counts which backend answered:
#   round_robin          exactly 1/2/3 in every cycle of 6 from the first
#   random, least_conn   chi-squared against the weights, p > 0.001
#   maglev, ring_hash    five_tuple: within 5 points of the weights' shares
#                        (±5% of all connections: at 3,000 the sampling noise
#                        alone is about 1 point)
#   maglev source_ip     one client: every connection to the same backend
# and every request succeeds. The interleaving gives each connection time to
# close before its VIP's next one, so least_conn sees no active connection
# and its shares are the weights too.
#
#   $PEER (client) ── bridge ── meshgw  VIPs $NET.101-106:80
#                        ├── backend 1  $NET.11:8080  weight 1
#                        ├── backend 2  $NET.12:8080  weight 2
#                        └── backend 3  $NET.13:8080  weight 3
source "$(dirname "$0")/lib.sh"
need nginx

COUNT=${MG_SPREAD_COUNT:-3000}
POLICIES=(round_robin random least_conn maglev ring_hash maglev_src)

mg_topology
mg_backends 3
EPS=("$(be_ip 1):8080:1" "$(be_ip 2):8080:2" "$(be_ip 3):8080:3")
targets=()
for i in "${!POLICIES[@]}"; do
	name=${POLICIES[$i]}
	case $name in
	maglev | ring_hash) keys="policy = \"$name\"; hash_key = \"five_tuple\";" ;;
	maglev_src) keys='policy = "maglev"; hash_key = "source_ip";' ;;
	*) keys="policy = \"$name\";" ;;
	esac
	l4_service "$name" "$NET.$((101 + i)):80" "$name"
	l4_cluster "$name" "$keys" "${EPS[@]}"
	targets+=("$NET.$((101 + i)):80")
done
mg_l4_config
mg_start
mg_warm

L4C_TIMEOUT=150 l4c spread --count "$COUNT" "${targets[@]}" >"$TMP/spread.json" ||
	fail "client: $(jq -r '.error // "failed"' "$TMP/spread.json" 2>/dev/null)"
say "$((COUNT * ${#POLICIES[@]})) connections in $(jq .seconds "$TMP/spread.json")s"

# seq NAME: the backends that answered on NAME's VIP, in order ("1", "2", "3")
seq_of() { jq -r --arg t "$NET.$((101 + $1)):80" '.targets[$t].seq' "$TMP/spread.json"; }

# the per-policy checks, in python: counts, chi-squared, windows
check() {
	"$PY" - "$@" <<'PY'
import sys
policy, seq = sys.argv[1], sys.argv[2]
w = [1, 2, 3]
n = len(seq)
counts = [seq.count(str(k)) for k in (1, 2, 3)]
exp = [n * x / sum(w) for x in w]
chi2 = sum((c - e) ** 2 / e for c, e in zip(counts, exp))
shares = " ".join("b%d %.1f%%" % (k + 1, 100 * c / n) for k, c in enumerate(counts))
msg = "%s: %s (%s), chi2 %.2f" % (policy, counts, shares, chi2)
bad = None
if "x" in seq:
    bad = "%d failed requests" % seq.count("x")
elif policy == "round_robin":
    # the first connection starts a cycle: every cycle of 6 holds 1/2/3,
    # and one worker repeats the same order
    # (a last partial cycle is a prefix of the others)
    cycles = [seq[i:i + 6] for i in range(0, n - n % 6, 6)]
    msg += ", cycle %s" % cycles[0]
    if any(sorted(c) != list("122333") for c in cycles):
        bad = "not exact per cycle of 6: first 18 %s" % seq[:18]
    elif len(set(cycles)) != 1 or not cycles[0].startswith(seq[n - n % 6:]):
        bad = "cycles differ: %s" % sorted(set(cycles))
elif policy in ("random", "least_conn"):
    # 2 degrees of freedom: p = 0.001 at chi2 = 13.816
    if chi2 >= 13.816:
        bad = "chi2 %.2f >= 13.816 (p < 0.001)" % chi2
elif policy in ("maglev", "ring_hash"):
    dev = max(abs(c - e) / n * 100 for c, e in zip(counts, exp))
    msg += ", largest deviation %.2f points" % dev
    if dev > 5:
        bad = "share off by %.2f points" % dev
elif policy == "maglev_src":
    if max(counts) != n:
        bad = "one source address spread over %s" % counts
print(msg)
if bad:
    print("FAIL " + bad)
    sys.exit(1)
PY
}

for i in "${!POLICIES[@]}"; do
	out=$(check "${POLICIES[$i]}" "$(seq_of "$i")") || fail "$out"
	say "$out"
done
# /metrics: the service and per-endpoint counters match what the client
# saw (round_robin's VIP), and every family has HELP and TYPE
in_gw curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" >"$TMP/metrics" || fail "/metrics not served"
out=$("$PY" - "$TMP/metrics" "$(seq_of 0)" "$COUNT" "$(be_ip 1)" "$(be_ip 2)" "$(be_ip 3)" <<'PY'
import re, sys
text, seq, count, ips = open(sys.argv[1]).read(), sys.argv[2], int(sys.argv[3]), sys.argv[4:]
helps = set(re.findall(r"^# HELP (\S+) ", text, re.M))
types = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
def val(name, labels):
    m = re.search(r"^%s\{%s\} (\d+)$" % (re.escape(name), re.escape(labels)), text, re.M)
    return int(m.group(1)) if m else None
bad = []
for fam in ("meshgw_service_connections_total", "meshgw_endpoint_connections_total",
            "meshgw_endpoint_active_connections", "meshgw_cluster_active_connections",
            "meshgw_endpoint_ejected", "meshgw_outlier_ejections_total"):
    if fam not in helps or fam not in types:
        bad.append("no HELP/TYPE for " + fam)
got = val("meshgw_service_connections_total", 'service="round_robin",cluster="round_robin"')
if got != count:
    bad.append("service connections %s, client made %d" % (got, count))
eps = []
for k, ip in enumerate(ips, 1):
    v = val("meshgw_endpoint_connections_total",
            'cluster="round_robin",endpoint="%s:8080",zone=""' % ip)
    eps.append(v)
    if v != seq.count(str(k)):
        bad.append("endpoint %s: %s connections in /metrics, %d answered" % (ip, v, seq.count(str(k))))
print("/metrics round_robin endpoints %s" % eps)
if bad:
    print("FAIL " + "; ".join(bad))
    sys.exit(1)
PY
) || fail "$out"
say "$out"
[ "$(proxy_stat upstream_connect_failures)" -eq 0 ] ||
	fail "$(proxy_stat upstream_connect_failures) upstream connect failures"
mg_l4_end 30
mg_stop
say "ok"
