#!/usr/bin/env bash
# test_tls_ingress.sh - TLS at the edges: a TCP service terminating TLS
# (tls.ingress), and clusters originating it (cluster tls):
#   1. the certificate is chosen by SNI (exact, wildcard; none or unknown:
#      the first), as openssl s_client sees it;
#   2. curl verifies the chosen certificate and gets the backend's plain
#      answer; a 16 MiB download through TLS arrives intact;
#   3. TLS 1.2 and 1.3 are accepted; TLS 1.0 and 1.1 are refused, shown with
#      a client that would accept them (@SECLEVEL=0) against a positive
#      control (openssl s_server negotiating TLS 1.0 with that client);
#   4. egress: clusters speaking TLS to the backend's 8443 verify its chain
#      against their ca and its name against sni, which nginx uses to pick
#      its certificate (s for s.example.net, d otherwise); another CA or a
#      name the certificate lacks is refused;
#   5. the handshakes and the refusals are counted (stats tls).
#
#   $PEER ── bridge ── meshgw  VIP $NET.100:443 (tcp, TLS "edge") → backend 1
#                 └── backend 1  nginx :8080 ("b1", /big: 16 MiB), :8443 TLS
#            VIP :8001..8004 (tcp) → clusters with tls → backend 1 :8443
source "$(dirname "$0")/lib.sh"
need openssl

VIP=$NET.100
mg_topology
dd if=/dev/urandom of="$TMP/big.bin" bs=1M count=16 status=none
BE_LOCATIONS="location = /big { alias $TMP/big.bin; }"

# cert NAME CN: a self-signed ECDSA P-256 certificate and its key (0600)
cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$2" -addext "subjectAltName=DNS:$2" \
		-keyout "$TMP/$1.key" -out "$TMP/$1.pem" 2>/dev/null || fail "openssl req $1"
	chmod 600 "$TMP/$1.key"
}
cert a a.example.com
cert b b.example.org
cert s s.example.net
cert d d.example.net
# the backend also speaks TLS on 8443: certificate s for SNI s.example.net,
# d otherwise (so which one verifies shows whether SNI was sent)
BE_SERVERS="server { listen @IP@:8443 ssl; server_name s.example.net; ssl_certificate $TMP/s.pem;
		ssl_certificate_key $TMP/s.key; location / { return 200 \"tls\n\"; } }
	server { listen @IP@:8443 ssl default_server; server_name _; ssl_certificate $TMP/d.pem;
		ssl_certificate_key $TMP/d.key; location / { return 200 \"tls\n\"; } }"
mg_backends 1

l4_service edge "$VIP:443" web
l4_cluster web '' "$(be_ip 1):8080"
# egress: plain VIPs whose clusters speak TLS to the backend's 8443
egress() { # PORT NAME TLS-GROUP
	l4_service "$2" "$VIP:$1" "$2"
	l4_cluster "$2" "connect_attempts = 1; tls = { $3 };" "$(be_ip 1):8443"
}
egress 8001 up_ok "ca = \"$TMP/s.pem\"; sni = \"s.example.net\";"
egress 8002 up_nosni "ca = \"$TMP/d.pem\";"
egress 8003 up_badca "ca = \"$TMP/a.pem\"; sni = \"s.example.net\";"
egress 8004 up_badname "ca = \"$TMP/d.pem\"; sni = \"other.example.net\";"
TOP_EXTRA="tls = { ingress = ( { name = \"edge\"; certificates = (
	{ cert = \"$TMP/a.pem\"; key = \"$TMP/a.key\"; names = [ \"a.example.com\" ]; },
	{ cert = \"$TMP/b.pem\"; key = \"$TMP/b.key\"; names = [ \"b.example.org\", \"*.wild.test\" ]; } ); } ); };"
mg_l4_config
sed -i "s|vips = \[ \"$VIP:443\" \]; cluster = \"web\"; }|vips = [ \"$VIP:443\" ]; cluster = \"web\"; tls = \"edge\"; }|" "$CONF"
grep -q 'tls = "edge"' "$CONF" || fail "the test could not set the service's tls"
mg_start
mg_warm

# 1. SNI
subject() { # SNI (or "-"): the CN of the certificate meshgw presents
	local sni=()
	[ "$1" = - ] || sni=(-servername "$1")
	in_peer timeout 5 openssl s_client -connect "$VIP:443" "${sni[@]}" </dev/null 2>/dev/null |
		sed -n 's/^subject=.*CN *= *//p'
}
[ "$(subject b.example.org)" = b.example.org ] || fail "SNI b.example.org: got '$(subject b.example.org)'"
[ "$(subject a.example.com)" = a.example.com ] || fail "SNI a.example.com: got '$(subject a.example.com)'"
[ "$(subject x.wild.test)" = b.example.org ] || fail "SNI x.wild.test (wildcard): got '$(subject x.wild.test)'"
[ "$(subject y.x.wild.test)" = a.example.com ] || fail "SNI y.x.wild.test (two labels): got '$(subject y.x.wild.test)'"
[ "$(subject -)" = a.example.com ] || fail "no SNI: got '$(subject -)'"
say "SNI: b.example.org, x.wild.test -> b; a.example.com, y.x.wild.test, none -> a"

# 2. curl verifies and gets the backend's answer; a download arrives intact
out=$(in_peer curl -sS -m 10 --cacert "$TMP/b.pem" --resolve "b.example.org:443:$VIP" https://b.example.org/) ||
	fail "curl with verification failed"
[ "$out" = b1 ] || fail "through TLS: '$out'"
in_peer curl -sS -m 60 --cacert "$TMP/a.pem" --resolve "a.example.com:443:$VIP" -o "$TMP/got.bin" \
	https://a.example.com/big || fail "the download failed"
[ "$(sha256sum <"$TMP/got.bin")" = "$(sha256sum <"$TMP/big.bin")" ] || fail "the download differs"
say "curl verifies the SNI certificate; 16 MiB downloaded intact"

# 3. versions: 1.2 and 1.3 yes; 1.0 and 1.1 no, with a positive control
proto() { # s_client ARGS: the protocol negotiated ("" if none)
	in_peer timeout 5 openssl s_client -connect "$@" </dev/null 2>/dev/null |
		sed -n 's/^New, \(TLSv[0-9.]*\), Cipher is .*/\1/p' | head -1
}
[ "$(proto "$VIP:443" -tls1_3)" = TLSv1.3 ] || fail "TLS 1.3 not accepted"
[ "$(proto "$VIP:443" -tls1_2)" = TLSv1.2 ] || fail "TLS 1.2 not accepted"
in_be 1 openssl s_server -accept "$(be_ip 1):4433" -cert "$TMP/a.pem" -key "$TMP/a.key" -tls1 \
	-cipher 'DEFAULT:@SECLEVEL=0' -quiet </dev/null >/dev/null 2>&1 &
srv=$!
for _ in $(seq 50); do [ -n "$(in_be 1 ss -Hltn 'sport = :4433')" ] && break; sleep 0.05; done
ctrl=$(proto "$(be_ip 1):4433" -tls1 -cipher 'DEFAULT:@SECLEVEL=0')
kill $srv 2>/dev/null || true
[ "$ctrl" = TLSv1.0 ] || [ "$ctrl" = TLSv1 ] || fail "positive control: this openssl cannot negotiate TLS 1.0 ('$ctrl'): nothing shown"
f0=$(stat_q '.totals.tls.handshake_failures.protocol_version')
[ -z "$(proto "$VIP:443" -tls1 -cipher 'DEFAULT:@SECLEVEL=0')" ] || fail "TLS 1.0 accepted"
[ -z "$(proto "$VIP:443" -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0')" ] || fail "TLS 1.1 accepted"
say "TLS 1.3 and 1.2 accepted; 1.0 and 1.1 refused (the same client negotiates TLS 1.0 with openssl s_server)"

# 4. egress: the endpoint's chain is verified against the cluster's ca, the
# name against sni; SNI is sent
got() { in_peer curl -s -m 5 "http://$VIP:$1/" || true; }
v0=$(stat_q '.totals.tls.handshake_failures.verify_failed')
[ "$(got 8001)" = tls ] || fail "egress with sni s.example.net (certificate s expected): '$(got 8001)'"
[ "$(got 8002)" = tls ] || fail "egress without sni (certificate d expected): '$(got 8002)'"
[ -z "$(got 8003)" ] || fail "egress trusting another CA got through: '$(got 8003)'"
[ -z "$(got 8004)" ] || fail "egress to a certificate not naming sni got through: '$(got 8004)'"
v1=$(stat_q '.totals.tls.handshake_failures.verify_failed')
[ "$v1" -ge $((v0 + 2)) ] || fail "verify failures $v0 -> $v1 (2 refused handshakes made)"
say "egress: SNI sent (nginx chose by it), chain and name verified; another CA or name refused"

# 5. counters
f1=$(stat_q '.totals.tls.handshake_failures.protocol_version')
[ "$f1" -ge $((f0 + 2)) ] || fail "protocol_version failures $f0 -> $f1"
[ "$(stat_q .totals.tls.handshakes)" -ge 9 ] || fail "handshakes $(stat_q .totals.tls.handshakes)"
say "stats tls: $(ctl_json stats | jq -c '.totals.tls | {handshakes, handshake_failures: (.handshake_failures | with_entries(select(.value > 0)))}')"
mg_l4_end
mg_stop
say ok
