#!/usr/bin/env bash
# Runs every `go test -fuzz` target of the module, one after another, for
# FUZZTIME each (docs/reliability.md). CI runs it with a few seconds per
# target; the 10-minute runs of issue 11 were `scripts/fuzz.sh 10m`.
# A crash fails the run and leaves the input under the package's
# testdata/fuzz/, where it becomes a regression test.
#
# usage: scripts/fuzz.sh [FUZZTIME]   (default 10s; any go duration)
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-10s}

grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
  pkg=./$(dirname "${file#./}")
  for target in $(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$file"); do
    echo "--- $pkg $target ($fuzztime)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -timeout 0 -parallel 1 "$pkg"
  done
done
