#!/usr/bin/env bash
# Merge the N parts of a sharded jinsong command into the files one machine writes
# (see docs/cluster.md). Usually submitted by scripts/slurm-submit.sh as a job that depends on
# the array job; it also runs as a plain script.
#
#   scripts/slurm-merge.sh N PARTS_DIR OUT_DIR [MERGE OPTIONS...]
#
# JINSONG selects the binary (default: jinsong on PATH, else target/release/jinsong).
#SBATCH --job-name=jinsong-merge
#SBATCH --cpus-per-task=1
#SBATCH --time=00:30:00
#SBATCH --output=slurm-%j.out
set -euo pipefail
if [ "$#" -lt 3 ]; then
    echo "usage: $0 N PARTS_DIR OUT_DIR [MERGE OPTIONS...]" >&2
    exit 2
fi
n=$1 parts=$2 out=$3
shift 3
# The binary: $JINSONG, else jinsong on PATH, else this repository's release build.
jinsong=${JINSONG:-$(command -v jinsong || true)}
[ -n "$jinsong" ] || for c in "${SLURM_SUBMIT_DIR:-.}/target/release/jinsong" "$(dirname "$0")/../target/release/jinsong"; do [ -x "$c" ] && jinsong=$c && break; done
[ -n "$jinsong" ] || { echo "$0: jinsong not found: run 'cargo install --path .' in the repository (or cargo build --release), or set JINSONG=/path/to/jinsong" >&2; exit 127; }
files=()
for k in $(seq 1 "$n"); do
    files+=("$parts/part-$k-of-$n.json")
done
exec "$jinsong" merge "${files[@]}" --out "$out" "$@"
