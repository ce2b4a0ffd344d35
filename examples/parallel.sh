#!/usr/bin/env bash
# One machine: an experiment's sweep as n shards run side by side by GNU parallel
# (apt-get install parallel), then merged into results/<experiment>/merged.
#
#   examples/parallel.sh [experiment] [shards] [gradlab experiment options, e.g. --quick]
#
# The same as: parallel gradlab experiment vanishing --shard {}/8 --out results/vanishing/shard-{} ::: $(seq 0 7)
# followed by gradlab merge. Each shard uses one worker; parallel runs one shard per core.
set -euo pipefail

cd "$(dirname "$0")/.."   # the gradlab checkout
experiment=${1:-vanishing}
shards=${2:-8}
shift $(($# > 2 ? 2 : $#))
command -v parallel >/dev/null || { echo "GNU parallel is missing: apt-get install parallel" >&2; exit 1; }
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "shards must be a positive integer, not '$shards'" >&2; exit 2; }

out=results/$experiment
mapfile -t ks < <(seq 0 $((shards - 1)))
dirs=("${ks[@]/#/$out/shard-}")

# -q: the command's words reach gradlab as they are, not through a shell. --halt soon,fail=1: after
# a failure start no new shard (those running finish; rerun with --resume to continue them).
status=0
parallel -q --halt soon,fail=1 --line-buffer --tag \
  ./bin/gradlab.js experiment "$experiment" --shard "{}/$shards" --workers 1 --out "$out/shard-{}" "$@" \
  ::: "${ks[@]}" || status=$?
if ((status != 0)); then
  echo "parallel: a shard failed (exit $status); the merge is not run" >&2
  exit 1
fi
./bin/gradlab.js merge "${dirs[@]}" --out "$out/merged"
