#!/usr/bin/env bash
# check-configs.sh MESHGW - `meshgw --check` accepts every config in conf/ and
# refuses every config in tests/conf/bad/ with its expected "file:line: ..."
# text (the first line of each bad file: "# expect: TEXT").
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MESHGW=${1:-$ROOT/build/meshgw}
rc=0
for f in "$ROOT"/conf/*.conf "$ROOT"/conf/examples/*.conf; do
	[ -e "$f" ] || continue
	if ! out=$("$MESHGW" --check -c "$f" 2>&1); then
		echo "refused a good config: $f: $out"
		rc=1
	fi
done
n=0
for f in "$ROOT"/tests/conf/bad/*.conf; do
	[ -e "$f" ] || continue
	n=$((n + 1))
	want=$(sed -n '1s/^# expect: //p' "$f")
	if out=$("$MESHGW" --check -c "$f" 2>&1); then
		echo "accepted a bad config: $f"
		rc=1
	elif [[ "$out" != *"$want"* ]]; then
		echo "$f: expected '$want', got '$out'"
		rc=1
	fi
done
[ $n -gt 0 ] || { echo "no bad configs found"; rc=1; }
# a bad config must not start the daemon either
if "$MESHGW" -c "$ROOT/tests/conf/bad/$(ls "$ROOT/tests/conf/bad" | head -1)" >/dev/null 2>&1; then
	echo "the daemon started on a bad config"
	rc=1
fi
echo "checked $n bad configs"
exit $rc
