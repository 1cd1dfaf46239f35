#!/usr/bin/env bash
# tcp.sh - soak tier for TCP: the quick tier's TCP tests scaled up: 4 GiB
# through echo; 1 GiB through echo under 1% loss each way and under
# reordering, duplication and delay on what the gateway receives; 64 MiB
# with that disorder in both directions; 50,000 short connections.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export MESHGW_BUILD=${MESHGW_BUILD:-$ROOT/build}
NETNS=$ROOT/tests/netns
MG_ECHO_BYTES=$((4 << 30)) MG_ONEWAY_BYTES=$((1 << 30)) bash "$NETNS/test_tcp_echo.sh"
MG_IMPAIR_BYTES=$((1 << 30)) MG_IMPAIR_BOTH_BYTES=$((64 << 20)) MG_IMPAIR_TIMEOUT=900 \
	bash "$NETNS/test_tcp_impair.sh"
MG_MANY=50000 MG_MANY2=20000 bash "$NETNS/test_tcp_many.sh"
