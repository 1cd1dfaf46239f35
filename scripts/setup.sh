#!/usr/bin/env bash
# setup.sh - idempotent machine set-up for meshgw on Debian 12: the packages
# it builds and tests with, and hugepages when the machine can give them.
# Usage: scripts/setup.sh [--no-huge]    (root, or sudo available)
set -euo pipefail

PKGS=(
	build-essential meson ninja-build pkg-config clang clang-format clang-tools
	libdpdk-dev dpdk libssl-dev openssl libconfig-dev libhyperscan-dev libnuma-dev
	libjansson-dev libcmocka-dev
	# perf/route_bench.sh: the sequential PCRE2-JIT router it compares with
	libpcre2-dev
	iproute2 iputils-ping iputils-arping ethtool nftables
	python3-scapy curl socat jq procps psmisc
	# perf/l4_bench.sh: its peers and load tools (dpdk-dev has dpdk-testpmd)
	dpdk-dev haproxy nginx libnginx-mod-stream nghttp2-client wrk iperf3
)
HUGE_PAGES=${MESHGW_HUGEPAGES:-256} # 2 MiB pages to reserve (512 MiB)

log() { printf 'setup: %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { log "run as root (or install sudo)"; exit 1; }
	SUDO=sudo
fi

install_packages() {
	local missing=()
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		log "packages: all present"
		return
	fi
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Hugepages: mount hugetlbfs and reserve 2 MiB pages. meshgw's eal.hugepages
# = "auto" uses them when present and falls back to --no-huge otherwise.
setup_hugepages() {
	local nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
	if [ "${1:-}" = "--no-huge" ]; then
		log "hugepages: skipped (--no-huge): meshgw runs with --no-huge -m 512"
		return
	fi
	if [ ! -w "$nr" ] && [ -z "$SUDO" ]; then
		log "hugepages: cannot reserve (no $nr): falling back to --no-huge"
		return
	fi
	if [ "$(cat "$nr" 2>/dev/null || echo 0)" -lt "$HUGE_PAGES" ]; then
		echo "$HUGE_PAGES" | $SUDO tee "$nr" >/dev/null 2>&1 || true
	fi
	if ! grep -q ' hugetlbfs ' /proc/mounts; then
		$SUDO mkdir -p /dev/hugepages
		$SUDO mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
	fi
	local got
	got=$(awk '/HugePages_Total/ {print $2}' /proc/meminfo)
	if grep -q ' hugetlbfs ' /proc/mounts && [ "${got:-0}" -gt 0 ]; then
		log "hugepages: $got x 2 MiB reserved, hugetlbfs mounted"
	else
		log "hugepages: not available on this machine: falling back to --no-huge"
	fi
}

install_packages
setup_hugepages "${1:-}"
