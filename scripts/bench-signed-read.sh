#!/usr/bin/env bash
# scripts/bench-signed-read.sh [DURATION] [AS]
#
# Signed GetUser throughput of the AWS query API at 1, 16 and 64 concurrent
# clients (scripts/benchsigned), against a dev server this script builds,
# starts on a free port and stops. AS is "user" (default: a fresh IAM
# user's key, so authorization evaluates its policies) or "root".
# IAMD_ADDR + AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (root) target a
# running server instead. The client runs on the same machine and shares
# its CPUs: the figures are a floor for the server alone.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pid=""
cleanup() {
	if [[ -n "$pid" ]]; then
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$ROOT"
go build -o "$tmp/benchsigned" ./scripts/benchsigned
if [[ -z "${IAMD_ADDR:-}" ]]; then
	go build -o "$tmp/iamd" ./cmd/iamd
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	export AWS_ACCESS_KEY_ID=AKIABENCHROOT0000001 AWS_SECRET_ACCESS_KEY=benchRootSecretKey00000000000000000000000
	"$tmp/iamd" server -dev -dev-listen-address="127.0.0.1:$port" \
		-dev-root-access-key-id="$AWS_ACCESS_KEY_ID" -dev-root-secret-access-key="$AWS_SECRET_ACCESS_KEY" >"$tmp/server.log" 2>&1 &
	pid=$!
	IAMD_ADDR="http://127.0.0.1:$port"
	for i in $(seq 100); do
		curl -fsS "$IAMD_ADDR/v1/sys/health" >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || { cat "$tmp/server.log"; exit 1; }
		[[ $i == 100 ]] && { echo "iamd did not answer within 10s" >&2; exit 1; }
		sleep 0.1
	done
fi
"$tmp/benchsigned" -addr="$IAMD_ADDR" -as="${2:-user}" -clients=1,16,64 -duration="${1:-5s}"
