#!/usr/bin/env bash
# One shard of a jinsong command, as one task of a Slurm array job (see docs/cluster.md).
#
#   sbatch --array=0-15 scripts/slurm-array.sh PARTS_DIR COMMAND [ARGS...]
#   sbatch --array=0-15 scripts/slurm-array.sh parts/ run scenarios/baseline.ron --runs 10000000
#
# Task T of an array of C tasks (ids 0 .. C-1) computes shard (T+1)/C and writes
# PARTS_DIR/part-(T+1)-of-C.json; scripts/slurm-merge.sh (or scripts/slurm-submit.sh, which
# chains both) merges the parts. Any other scheduler works unchanged: set SLURM_ARRAY_TASK_ID
# (0-based) and SLURM_ARRAY_TASK_COUNT yourself, as scripts/shards-local.sh does in a plain loop.
# A task that was killed or requeued resumes from its checkpoint; a finished one is skipped by
# jinsong itself, which checks that the part it finds belongs to the same batch (same command,
# scenario, seed and settings) and refuses a part of another batch instead of reusing it.
# JINSONG selects the binary (default: jinsong on PATH, else target/release/jinsong).
#SBATCH --job-name=jinsong-shard
#SBATCH --cpus-per-task=8
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
if [ "$#" -lt 2 ]; then
    echo "usage: sbatch --array=0-N1 $0 PARTS_DIR COMMAND [ARGS...]" >&2
    exit 2
fi
parts=$1
shift
: "${SLURM_ARRAY_TASK_ID:?not set: submit with sbatch --array, or set it (0-based) yourself}"
: "${SLURM_ARRAY_TASK_COUNT:?not set: submit with sbatch --array, or set it yourself}"
k=$((SLURM_ARRAY_TASK_ID + 1))
n=$SLURM_ARRAY_TASK_COUNT
# The binary: $JINSONG, else jinsong on PATH, else this repository's release build.
jinsong=${JINSONG:-$(command -v jinsong || true)}
[ -n "$jinsong" ] || for c in "${SLURM_SUBMIT_DIR:-.}/target/release/jinsong" "$(dirname "$0")/../target/release/jinsong"; do [ -x "$c" ] && jinsong=$c && break; done
[ -n "$jinsong" ] || { echo "$0: jinsong not found: run 'cargo install --path .' in the repository (or cargo build --release), or set JINSONG=/path/to/jinsong" >&2; exit 127; }
extra=()
if [ -f "$parts/checkpoint-$k-of-$n.json" ] || { [ "$n" = 1 ] && [ -f "$parts/checkpoint.json" ]; }; then
    extra+=(--resume)
fi
if [ -n "${SLURM_CPUS_PER_TASK:-}" ]; then
    extra+=(--threads "$SLURM_CPUS_PER_TASK")
fi
exec "$jinsong" "$@" --shard "$k/$n" --out "$parts" --quiet "${extra[@]}"
