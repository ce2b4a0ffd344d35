#!/usr/bin/env bash
# Queue an experiment's sweep on Slurm: examples/slurm/sweep.sbatch as a job array (one shard per
# task), and a merge job that starts once every array task has succeeded (afterok), writing
# results/<experiment>/merged/{results.json,index.html}.
#
#   examples/slurm/submit.sh [experiment] [gradlab experiment options, e.g. --quick]
#
# If a task fails, the merge job never starts (Slurm shows it pending, DependencyNeverSatisfied):
# scancel it, fix the cause, and run this again: finished shards are kept and their folders resume.
set -euo pipefail

cd "$(dirname "$0")/../.."   # the gradlab checkout: jobs run in the folder they were submitted from
experiment=${1:-vanishing}
shift $(($# > 0 ? 1 : 0))
mkdir -p results/logs "results/$experiment"

# --parsable prints "<jobid>" or "<jobid>;<cluster>".
array=$(sbatch --parsable --export=ALL,EXPERIMENT="$experiment" examples/slurm/sweep.sbatch "$@")
array=${array%%;*}

printf -v merge_cmd 'exec ./bin/gradlab.js merge results/%q/shard-* --out results/%q/merged' "$experiment" "$experiment"
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=no \
  --job-name=gradlab-merge --ntasks=1 --cpus-per-task=1 --mem=2G --time=00:15:00 \
  --output="results/logs/%x-%j.out" --wrap "$merge_cmd")
merge=${merge%%;*}

echo "sweep: job array $array (results/$experiment/shard-*); merge: job $merge, after all of $array succeed"
echo "watch: squeue -j $array,$merge    logs: results/logs/"
