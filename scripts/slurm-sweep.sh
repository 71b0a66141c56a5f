#!/bin/bash
#
# An npusim sweep on a Slurm cluster: a job array with one task per shard.
#
#   sbatch scripts/slurm-sweep.sh -c scale.cfg -t net.csv -o dse \
#       -set ArrayHeight=4,16,64 -pes 4096 -set Dataflow=os,ws,is
#
# The arguments are npusim sweep's, without -shard and -j, which this script
# sets: task I runs "npusim sweep ARGS -shard I/N -j $SLURM_CPUS_PER_TASK".
# The task that finds every shard finished merges them (npusim merge checks
# that they are all the shards of one sweep) into OUTDIR/sweep.csv and draws
# OUTDIR/index.html. Each task's log is slurm-JOBID_TASK.out, with a
# progress line every few seconds.
#
# N, the number of shards, is set by the "#SBATCH --array=0-M" line below
# alone (N = M + 1): edit that line to change it, not sbatch's --array.
# A failed or cancelled task I is rerun alone, with the same arguments:
#
#   sbatch --array=I scripts/slurm-sweep.sh SAME ARGUMENTS
#
# It runs only its shard's unfinished configurations, then merges. The
# npusim binary is $NPUSIM if set, else npusim on PATH. See docs/cluster.md.
#
#SBATCH --job-name=npusim-sweep
#SBATCH --array=0-3
#SBATCH --cpus-per-task=2
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail

die() {
	echo "slurm-sweep.sh: $*" >&2
	exit 2
}

# sbatch runs a copy of this file: its --array line gives N, whatever
# --array a resubmission uses.
last="$(sed -nE 's/^#SBATCH[[:space:]]+--array=0-([0-9]+)(%[0-9]+)?[[:space:]]*$/\1/p' "$0" | head -n 1)"
[[ -n "$last" ]] || die "no '#SBATCH --array=0-M' line in $0: it sets the number of shards, M + 1"
shards=$((last + 1))
[[ -n "${SLURM_ARRAY_TASK_ID:-}" ]] || die "not a Slurm array task: submit this script with sbatch"
task="$SLURM_ARRAY_TASK_ID"
if ((task >= shards || ${SLURM_ARRAY_TASK_MAX:-0} >= shards)); then
	die "task $task of an array up to ${SLURM_ARRAY_TASK_MAX:-?}, but this script's '#SBATCH --array=0-$last' line makes $shards shards: change that line, not sbatch's --array (which may only pick tasks 0-$last to rerun)"
fi
jobs="${SLURM_CPUS_PER_TASK:-1}"
npusim="${NPUSIM:-npusim}"

out=sweep # npusim sweep's default -o
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
	case "${args[i]}" in
	-o | --o) out="${args[i + 1]:-}" ;;
	-o=* | --o=*) out="${args[i]#*=}" ;;
	-shard | --shard | -shard=* | --shard=* | -j | --j | -j=* | --j=*)
		die "${args[i]}: this script sets -shard and -j (from the --array line and --cpus-per-task)"
		;;
	esac
done
[[ -n "$out" ]] || die "-o needs a folder"

echo "npusim sweep: task $task, shard $task/$shards, $jobs CPUs, on $(hostname), into $out"
"$npusim" sweep "$@" -shard "$task/$shards" -j "$jobs"

# Merge once every shard is there. The lock keeps two tasks that finish
# together from writing sweep.csv at once.
exec 9>"$out/.slurm-sweep.lock"
flock 9
shard_csvs=()
missing=()
for ((i = 0; i < shards; i++)); do
	csv="$out/sweep-shard-$i-of-$shards.csv"
	shard_csvs+=("$csv")
	[[ -f "$out/sweep-shard-$i-of-$shards.provenance.json" ]] || missing+=("$i")
done
if ((${#missing[@]} > 0)); then
	what="shards ${missing[*]} of $shards are"
	((${#missing[@]} > 1)) || what="shard ${missing[0]} of $shards is"
	echo "npusim sweep: $what not finished yet; the task that finishes last merges them"
	exit 0
fi
"$npusim" merge -o "$out/sweep.csv" "${shard_csvs[@]}"
"$npusim" plot "$out/sweep.csv"
