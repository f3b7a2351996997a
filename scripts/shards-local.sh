#!/usr/bin/env bash
# Run a jinsong command as N shards one after another on this machine, then merge the parts:
# the Slurm recipe (scripts/slurm-array.sh, scripts/slurm-merge.sh) unchanged, with a plain
# `for` loop setting the task index instead of a scheduler (see docs/cluster.md).
#
#   scripts/shards-local.sh N PARTS_DIR OUT_DIR COMMAND [ARGS...]
#   scripts/shards-local.sh 3 parts/ results/ run scenarios/baseline.ron --runs 30000
#
# Run again after an interruption: finished shards are skipped, interrupted ones resumed from
# their checkpoints; a part or checkpoint left in PARTS_DIR by another batch (other arguments)
# is refused, never reused. JINSONG selects the binary (default: jinsong on PATH, else
# target/release/jinsong).
set -euo pipefail
if [ "$#" -lt 4 ]; then
    echo "usage: $0 N PARTS_DIR OUT_DIR COMMAND [ARGS...]" >&2
    exit 2
fi
n=$1 parts=$2 out=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
for k in $(seq 1 "$n"); do
    SLURM_ARRAY_TASK_ID=$((k - 1)) SLURM_ARRAY_TASK_COUNT=$n bash "$here/slurm-array.sh" "$parts" "$@"
done
bash "$here/slurm-merge.sh" "$n" "$parts" "$out"
