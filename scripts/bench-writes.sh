#!/usr/bin/env bash
# scripts/bench-writes.sh [DURATION]
#
# Write throughput of a 3-node loopback cluster at 1, 16 and 64 concurrent
# clients (token creations, spread over the three nodes so two thirds are
# forwarded by followers). Uses the cluster of scripts/cluster.sh if it is
# up, else brings one up and takes it down afterwards.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${IAMD_CLUSTER_DIR:-${TMPDIR:-/tmp}/iamd-cluster}
BASE=${IAMD_CLUSTER_BASE_PORT:-18200}
export IAMD_CLUSTER_DIR=$DIR IAMD_CLUSTER_BASE_PORT=$BASE

started=0
if ! "$ROOT/scripts/cluster.sh" status >/dev/null 2>&1; then
	"$ROOT/scripts/cluster.sh" up >/dev/null
	started=1
fi
cleanup() { [[ $started -eq 1 ]] && "$ROOT/scripts/cluster.sh" down >/dev/null; }
trap cleanup EXIT

addrs="http://127.0.0.1:$BASE,http://127.0.0.1:$((BASE + 10)),http://127.0.0.1:$((BASE + 20))"
cd "$ROOT"
go run ./scripts/benchwrites -addrs="$addrs" -token="$(cat "$DIR/root-token")" \
	-clients=1,16,64 -duration="${1:-5s}"
