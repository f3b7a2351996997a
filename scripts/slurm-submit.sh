#!/usr/bin/env bash
# Submit a jinsong command as an array of N shards and a merge job that starts when all of
# them have succeeded (see docs/cluster.md).
#
#   scripts/slurm-submit.sh N PARTS_DIR OUT_DIR COMMAND [ARGS...]
#   scripts/slurm-submit.sh 16 parts/ results/ run scenarios/baseline.ron --runs 10000000
#
# sbatch options (partition, account, time) go in SBATCH_* environment variables or in the
# #SBATCH lines of slurm-array.sh and slurm-merge.sh.
set -euo pipefail
if [ "$#" -lt 4 ]; then
    echo "usage: $0 N PARTS_DIR OUT_DIR COMMAND [ARGS...]" >&2
    exit 2
fi
n=$1 parts=$2 out=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$parts"
job=$(sbatch --parsable --array=0-$((n - 1)) "$here/slurm-array.sh" "$parts" "$@")
job=${job%%;*}
merge=$(sbatch --parsable --dependency=afterok:"$job" "$here/slurm-merge.sh" "$n" "$parts" "$out")
echo "submitted array job $job ($n shards) and merge job ${merge%%;*} (after all of them succeed)"
