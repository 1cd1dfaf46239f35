#!/usr/bin/env bash
# test_policy.sh - authorization of local-to-local traffic by the declared
# identity of the source address:
#   1. the CA root is created (key mode 0600);
#   2. HTTP service "api" (default deny): web's GET /api/ allowed, its POST
#      and its GET /api/admin (a deny rule wins) get 403, ops gets 403, an
#      undeclared source gets 403;
#   3. TCP service "db" (default deny, ops only): ops connects, web and the
#      undeclared source are reset;
#   4. "legacy" is a dry run: what it would deny passes and is counted;
#   5. `meshgwctl policies` counts every decision per rule, the stats and
#      the access log agree;
#   6. `meshgwctl certs`: the gateway's and each workload's certificate from
#      the created root; `certs rotate` and the half-life renewal (10 s
#      lifetime) change every serial; /metrics has the seconds to expiry;
#   7. a reload changing a rule applies to new connections; a workload it
#      declares is known (policy applies) and gets its certificate;
#   8. an endpoint on another node from the watched endpoints file is
#      refused (no mTLS tunnel yet: never in clear).
#
#   $PEER ($PEER_IP web/frontend, .201 ops/admin, .202 undeclared)
#     ── bridge ── meshgw VIP $NET.100 :80 api, :81 legacy (http), :5432 db (tcp)
#                    └── backend 1  nginx :8080 ("b1")
source "$(dirname "$0")/lib.sh"

VIP=$NET.100
OPS=$NET.201
ANON=$NET.202

mg_topology
mg_backends 1
in_peer ip addr add "$OPS/24" dev "$BR"
in_peer ip addr add "$ANON/24" dev "$BR"

gen_conf() { # DB_ALLOW: the namespace db's rule allows
	TOP_EXTRA="discovery = { endpoints_file = \"$TMP/eps.json\"; };
	identities = { trust_domain = \"mesh.local\"; cert_lifetime = \"10s\";
		ca = { cert = \"$TMP/ca.pem\"; key = \"$TMP/ca.key\"; create = true; };
		workloads = ( { address = \"$PEER_IP\"; namespace = \"web\"; service_account = \"frontend\"; },
			{ address = \"$OPS\"; namespace = \"ops\"; service_account = \"admin\"; }${2:-} ); };
	services = ( { name = \"api\"; vips = [ \"$VIP:80\" ]; cluster = \"web\"; protocol = \"http\"; },
		{ name = \"legacy\"; vips = [ \"$VIP:81\" ]; cluster = \"web\"; protocol = \"http\"; },
		{ name = \"db\"; vips = [ \"$VIP:5432\" ]; cluster = \"web\"; } );
	clusters = ( { name = \"web\"; endpoints = ( { address = \"$(be_ip 1)\"; port = 8080; } ); } );
	policies = (
		{ name = \"api-authz\"; service = \"api\"; default = \"deny\"; rules = (
			{ name = \"web-reads\"; action = \"allow\"; from = { namespaces = [ \"web\" ]; };
			  http = { methods = [ \"GET\" ]; path_prefix = \"/api/\"; }; },
			{ name = \"no-admin\"; action = \"deny\"; http = { path_prefix = \"/api/admin\"; }; } ); },
		{ name = \"db-authz\"; service = \"db\"; default = \"deny\"; rules = (
			{ name = \"db-clients\"; action = \"allow\"; from = { identities = [ \"spiffe://mesh.local/ns/$1/*\" ]; }; } ); },
		{ name = \"legacy-audit\"; service = \"legacy\"; default = \"deny\"; dry_run = true; rules = (
			{ name = \"ops\"; action = \"allow\"; from = { namespaces = [ \"ops\" ]; }; } ); } );"
	mg_tcp_config
}

# code SRC METHOD URL: the HTTP status curl saw from source SRC (000: no answer)
code() { in_peer curl -s -m 5 -o /dev/null -w '%{http_code}' --interface "$1" -X "$2" "$3" || true; }
# db SRC: what the TCP service answered ("b1", or "" when reset)
db() { in_peer curl -s -m 5 --interface "$1" "http://$VIP:5432/" || true; }

LOG_EXTRA="access_log = \"$TMP/access.log\";"
gen_conf ops
mg_start
mg_warm

# 1. the CA root was created, its key private
[ -s "$TMP/ca.pem" ] && [ "$(stat -c %a "$TMP/ca.key")" = 600 ] || fail "CA root not created (or key mode $(stat -c %a "$TMP/ca.key" 2>&1))"
openssl x509 -in "$TMP/ca.pem" -noout -text | grep -q "CA:TRUE" || fail "the created root is not a CA"

# 2. api
[ "$(code "$PEER_IP" GET "http://$VIP/api/x")" = 200 ] || fail "web GET /api/x refused"
[ "$(code "$PEER_IP" POST "http://$VIP/api/x")" = 403 ] || fail "web POST /api/x not refused (only GET is allowed)"
[ "$(code "$PEER_IP" GET "http://$VIP/api/admin/x")" = 403 ] || fail "web GET /api/admin/x not refused (deny wins)"
[ "$(code "$OPS" GET "http://$VIP/api/x")" = 403 ] || fail "ops GET /api/x not refused (web only)"
[ "$(code "$ANON" GET "http://$VIP/api/x")" = 403 ] || fail "an undeclared source was not refused"
say "api: web GET 200; web POST, web /api/admin, ops and an undeclared source 403"

# 3. db (tcp)
[ "$(db "$OPS")" = b1 ] || fail "ops could not reach db"
[ -z "$(db "$PEER_IP")" ] || fail "web reached db"
[ -z "$(db "$ANON")" ] || fail "an undeclared source reached db"
say "db: ops connects; web and the undeclared source are reset"

# 4. legacy: a dry run lets through what it would deny
[ "$(code "$PEER_IP" GET "http://$VIP:81/x")" = 200 ] || fail "the dry-run policy refused"
[ "$(code "$OPS" GET "http://$VIP:81/x")" = 200 ] || fail "legacy refused ops"

# 5. counters, stats and the access log agree
ctl_json policies >"$TMP/pol.json" || fail "policies failed"
jq -c '.policies[] | {name, rules: [.rules[] | {name, decisions}], default_decisions}' "$TMP/pol.json" | sed 's/^/    /'
want='[{"name":"api-authz","rules":[1,1],"default":2},{"name":"db-authz","rules":[1],"default":1},{"name":"legacy-audit","rules":[1],"default":1}]'
got=$(jq -c '[.policies[] | {name, rules: [.rules[].decisions], default: .default_decisions}]' "$TMP/pol.json")
[ "$got" = "$want" ] || fail "policy decisions: $got, expected $want"
jq -e '.denied == 6 and .unknown_source == 2 and .dry_run_denied == 1 and .identities and .workloads == 2' "$TMP/pol.json" >/dev/null ||
	fail "policies totals: $(jq -c '{denied, unknown_source, dry_run_denied, identities, workloads}' "$TMP/pol.json")"
[ "$(proxy_stat policy_denied)" -eq 6 ] || fail "stats policy_denied $(proxy_stat policy_denied)"
for _ in $(seq 50); do [ "$(grep -c . "$TMP/access.log" 2>/dev/null)" -ge 11 ] && break; sleep 0.1; done
n_http=$(grep -c 'policy_denied' "$TMP/access.log" || true)
n_dry=$(grep -c 'policy_dry_run' "$TMP/access.log" || true)
n_unknown=$(grep -c 'unknown_source' "$TMP/access.log" || true)
[ "$n_http" -eq 5 ] && [ "$n_dry" -eq 1 ] && [ "$n_unknown" -eq 1 ] ||
	fail "access log: $n_http policy_denied, $n_dry policy_dry_run, $n_unknown unknown_source lines (5, 1, 1 expected): $(grep policy "$TMP/access.log" | head -3)"
say "policies: $got; denied 6 (2 unknown sources), 1 dry-run denial; access log agrees"

# 6. certificates: the gateway's and one per workload, from the created
# root; `certs rotate` renews them all; half life (5 s) renews them again
certs() { ctl_json certs | jq -c "$1"; }
for _ in $(seq 50); do [ "$(certs '[.certs[].serial | length > 0] | all')" = true ] && break; sleep 0.05; done
ids=$(certs '[.certs[].identity]')
[ "$ids" = '["spiffe://mesh.local/ns/meshgw/sa/gateway","spiffe://mesh.local/ns/web/sa/frontend","spiffe://mesh.local/ns/ops/sa/admin"]' ] ||
	fail "certs: $ids"
root=$(openssl x509 -in "$TMP/ca.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
certs '.roots[0].serial' | grep -q "\"$root\"" || fail "certs roots: $(certs .roots) (the root's serial is $root)"
ctl_json certs | jq -e '[.certs[] | .seconds_left <= 10 and .seconds_left >= 4 and .issuer != ""] | all' >/dev/null ||
	fail "certs lifetimes: $(certs '[.certs[] | {seconds_left, issuer}]')"
s0=$(certs '[.certs[].serial]')
ctl_json certs rotate >/dev/null || fail "certs rotate failed"
for _ in $(seq 50); do [ "$(certs '[.certs[].serial]')" != "$s0" ] && break; sleep 0.05; done
s1=$(certs '[.certs[].serial]')
[ "$(jq -n --argjson a "$s0" --argjson b "$s1" '[range(3) | $a[.] != $b[.]] | all')" = true ] ||
	fail "certs rotate: serials $s0 -> $s1"
t0=$SECONDS
while [ "$(certs '[.certs[].serial]')" = "$s1" ]; do
	[ $((SECONDS - t0)) -gt 9 ] && fail "no renewal at half life: $(certs '[.certs[] | {serial, renew_at, renewals}]')"
	sleep 0.2
done
in_gw curl -sf "http://127.0.0.1:$ADMIN_PORT/metrics" >"$TMP/metrics" || fail "/metrics"
grep -q '^meshgw_cert_expiry_seconds{identity="spiffe://mesh.local/ns/web/sa/frontend"} ' "$TMP/metrics" ||
	fail "/metrics: no cert expiry for web"
say "certs: $(certs '[.certs[].identity]'); rotate and half-life renewal changed every serial ($(certs '{alarms, rotations}'))"

# a reload: db now admits web (counters start again with the generation)
gen_conf web ", { address = \"$ANON\"; namespace = \"batch\"; service_account = \"job\"; }"
ctl_json reload >/dev/null || fail "reload refused"
[ "$(db "$PEER_IP")" = b1 ] || fail "after the reload web cannot reach db"
[ -z "$(db "$OPS")" ] || fail "after the reload ops still reaches db"
[ "$(code "$ANON" GET "http://$VIP/api/x")" = 403 ] || fail "the newly declared batch workload got through api"
[ "$(proxy_stat policy_unknown_source)" -eq 2 ] || fail "the newly declared workload still counts as unknown"
for _ in $(seq 50); do [ "$(certs '.certs | length')" = 4 ] && [ "$(certs '.certs[3].serial')" != null ] && break; sleep 0.05; done
[ "$(certs '[.certs[].identity][3]')" = '"spiffe://mesh.local/ns/batch/sa/job"' ] ||
	fail "the reload's new workload has no certificate: $(certs '[.certs[].identity]')"
say "reload: db admits web, refuses ops; the new workload is declared and certified"

# 8. with identities declared, an endpoint on another node would need the
# mTLS tunnel: one from the endpoints file is refused, not sent in clear
g=$(ctl_json status | jq .generation)
echo "{\"version\": 1, \"clusters\": {\"web\": [{\"address\": \"$(be_ip 1)\", \"port\": 9090, \"node\": \"other\"}]}}" >"$TMP/eps.json"
for _ in $(seq 50); do [ "$(ctl_json status | jq .discovery.publish_failures)" -ge 1 ] && break; sleep 0.05; done
ctl_json status | jq -e '.discovery.publish_failures >= 1 and (.discovery.last_error | test("mTLS tunnel"))' >/dev/null ||
	fail "a remote endpoint from the file was not refused: $(ctl_json status | jq -c .discovery)"
[ "$(ctl_json status | jq .generation)" -eq "$g" ] || fail "the refused file changed the generation"
[ "$(ctl_json endpoints web | jq '.endpoints | length')" -eq 1 ] || fail "web gained the remote endpoint"
say "an endpoint on another node from the endpoints file is refused: $(ctl_json status | jq -r .discovery.last_error | cut -c1-80)..."
mg_http_end
mg_stop
say ok
