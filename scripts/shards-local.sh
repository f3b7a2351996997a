#!/usr/bin/env bash
# Run a jinsong command as N shards one after another on this machine, then merge the parts.
# The same steps as the Slurm recipe (scripts/slurm-array.sh, scripts/slurm-merge.sh), with a
# plain loop instead of an array job: any scheduler that can hand each job an index 1..N works
# the same way.
#
#   scripts/shards-local.sh N PARTS_DIR OUT_DIR COMMAND [ARGS...]
#   scripts/shards-local.sh 3 parts/ results/ run scenarios/baseline.ron --runs 30000
#
# JINSONG selects the binary (default: jinsong on PATH). Shards left over from an earlier
# attempt are resumed from their checkpoints; finished shards (their part file exists) are
# skipped.
set -euo pipefail
if [ "$#" -lt 4 ]; then
    echo "usage: $0 N PARTS_DIR OUT_DIR COMMAND [ARGS...]" >&2
    exit 2
fi
n=$1 parts=$2 out=$3
shift 3
jinsong=${JINSONG:-jinsong}
for k in $(seq 1 "$n"); do
    part="$parts/part-$k-of-$n.json"
    if [ -f "$part" ]; then
        continue
    fi
    resume=()
    if [ -f "$parts/checkpoint-$k-of-$n.json" ] || { [ "$n" = 1 ] && [ -f "$parts/checkpoint.json" ]; }; then
        resume=(--resume)
    fi
    "$jinsong" "$@" --shard "$k/$n" --out "$parts" --quiet "${resume[@]}"
done
parts_list=()
for k in $(seq 1 "$n"); do
    parts_list+=("$parts/part-$k-of-$n.json")
done
"$jinsong" merge "${parts_list[@]}" --out "$out"
