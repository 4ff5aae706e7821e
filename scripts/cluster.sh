#!/usr/bin/env bash
# scripts/cluster.sh up|down|status
#
# A 3-node iamd cluster on 127.0.0.1, for trying clustering by hand and for
# scripts/bench-writes.sh:
#
#   up      build bin/iamd, write three configs in $IAMD_CLUSTER_DIR, start the
#           nodes, `operator init` node1, `operator raft join` node2 and node3
#   status  the processes and the raft peers
#   down    stop the processes this script started (by their recorded PIDs)
#           and remove the directory
#
# Environment: IAMD_CLUSTER_DIR (default ${TMPDIR:-/tmp}/iamd-cluster),
# IAMD_CLUSTER_BASE_PORT (default 18200): node i listens on BASE+10*(i-1)
# (API), +1 (raft), +2 (gossip).
set -euo pipefail

DIR=${IAMD_CLUSTER_DIR:-${TMPDIR:-/tmp}/iamd-cluster}
BASE=${IAMD_CLUSTER_BASE_PORT:-18200}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$DIR/iamd
NODES=(1 2 3)

api_port() { echo $((BASE + 10 * ($1 - 1))); }
api_url() { echo "http://127.0.0.1:$(api_port "$1")"; }

# ours PID: true if PID is still one of the iamd processes started here
# (a recycled PID belongs to someone else and is never signalled).
ours() {
	local args
	args=$(ps -o args= -p "$1" 2>/dev/null) || return 1
	[[ $args == "$BIN server"* ]]
}

running() {
	[[ -f $DIR/pids ]] || return 1
	local pid
	while read -r pid; do
		ours "$pid" && return 0
	done <"$DIR/pids"
	return 1
}

wait_api() {
	local i=$1 n
	for n in $(seq 1 100); do
		# status exits 1 when nothing answers, 2 when uninitialised.
		local rc=0
		"$BIN" status -address="$(api_url "$i")" >/dev/null 2>&1 || rc=$?
		[[ $rc -ne 1 ]] && return 0
		sleep 0.1
	done
	echo "node$i did not start; see $DIR/node$i.log" >&2
	return 1
}

up() {
	if running; then
		echo "already up in $DIR (scripts/cluster.sh down first)" >&2
		exit 1
	fi
	rm -rf "$DIR"
	mkdir -p "$DIR"
	(cd "$ROOT" && go build -o "$BIN" ./cmd/iamd)
	for i in "${NODES[@]}"; do
		local p
		p=$(api_port "$i")
		cat >"$DIR/node$i.hcl" <<HCL
node_id  = "node$i"
data_dir = "$DIR/data/node$i"
api_addr = "http://127.0.0.1:$p"
log_level = "warn"

listener "tcp" {
  address     = "127.0.0.1:$p"
  tls_disable = true
}

cluster {
  raft_address   = "127.0.0.1:$((p + 1))"
  gossip_address = "127.0.0.1:$((p + 2))"
}
HCL
		"$BIN" server -config="$DIR/node$i.hcl" >"$DIR/node$i.log" 2>&1 &
		echo $! >>"$DIR/pids"
	done
	for i in "${NODES[@]}"; do wait_api "$i"; done
	"$BIN" operator init -address="$(api_url 1)" -format=json >"$DIR/init.json"
	sed -n 's/.*"root_token": *"\([^"]*\)".*/\1/p' "$DIR/init.json" >"$DIR/root-token"
	local token
	token=$(cat "$DIR/root-token")
	for i in "${NODES[@]:1}"; do
		IAMD_TOKEN=$token "$BIN" operator raft join -address="$(api_url "$i")" "$(api_url 1)" >/dev/null
	done
	IAMD_TOKEN=$token "$BIN" operator raft list-peers -address="$(api_url 1)"
	cat <<MSG

iamd cluster up in $DIR (logs: node*.log; root credentials: init.json)
    export IAMD_ADDR=$(api_url 1) VAULT_ADDR=$(api_url 1)
    export IAMD_TOKEN=$token VAULT_TOKEN=$token
MSG
}

status() {
	if ! running; then
		echo "down"
		return 0
	fi
	local pid
	while read -r pid; do
		if ours "$pid"; then echo "pid $pid running"; else echo "pid $pid gone"; fi
	done <"$DIR/pids"
	local token i
	token=$(cat "$DIR/root-token" 2>/dev/null || true)
	for i in "${NODES[@]}"; do
		if IAMD_TOKEN=$token "$BIN" operator raft list-peers -address="$(api_url "$i")" 2>/dev/null; then
			return 0
		fi
	done
	echo "no node answers" >&2
	return 1
}

down() {
	[[ -f $DIR/pids ]] || { echo "down"; return 0; }
	local pid pids=()
	while read -r pid; do
		if ours "$pid"; then
			kill -TERM "$pid"
			pids+=("$pid")
		fi
	done <"$DIR/pids"
	local n
	for n in $(seq 1 100); do
		local alive=0
		for pid in "${pids[@]}"; do ours "$pid" && alive=1; done
		[[ $alive -eq 0 ]] && break
		sleep 0.1
	done
	for pid in "${pids[@]}"; do ours "$pid" && kill -KILL "$pid"; done
	rm -rf "$DIR"
	echo "down"
}

case ${1:-} in
up) up ;;
down) down ;;
status) status ;;
*)
	echo "usage: $0 up|down|status" >&2
	exit 2
	;;
esac
