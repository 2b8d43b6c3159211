#!/usr/bin/env bash
# Runs the bench with the open-files limit raised as far as this machine allows (each
# connection is a descriptor in the server and in a generator worker). Deno cannot call
# setrlimit itself, hence this wrapper. Arguments go to bench/main.ts, e.g.
#   bash bench/run.sh --compare --idle-n 10000,19000
set -euo pipefail
cd "$(dirname "$0")/.."
want=200000
if ! ulimit -n "$want" 2>/dev/null; then
  hard="$(ulimit -Hn)"
  ulimit -n "$hard"
  echo "bench/run.sh: open-files limit is $(ulimit -n) (hard limit; $want not permitted)" >&2
fi
exec deno run --allow-all bench/main.ts "$@"
