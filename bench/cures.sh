#!/usr/bin/env bash
# cures.sh - `make bench-cures`: what each remedy costs, and how long one run
# of Kumar et al.'s permuted MNIST (experiments/kumar-pmnist.yaml: 500 tasks
# of 10,000 images at batch 16, an MLP of 2 x 100) takes here.
#
# Every method of kumar-pmnist trains one run of its first TASKS tasks
# (default 50, a tenth) on one worker (--jobs 1), so each task's seconds are
# one core's; a run's length is their sum, scaled to the preset's 500 tasks.
# Kumar et al. report 10 minutes per run on one CPU core. Run it alone:
# nothing else may use the cores.
set -u
bin=${BENCH_BIN:-.}
P=$bin/plasticity
here=$(cd "$(dirname "$0")" && pwd)
tasks=${TASKS:-50}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/plasticity-bench-cures.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$P" run "$here/../experiments/kumar-pmnist.yaml" runs=1 tasks="$tasks" --jobs 1 --quiet \
	--out "$tmp/k" >/dev/null 2>"$tmp/err" || { echo "bench-cures: failed:"; cat "$tmp/err"; exit 1; }
echo "OpenBLAS core: $("$P" --info | sed -n 's/^BLAS core: //p')"
echo "kumar-pmnist, 1 run of each method, its first $tasks of 500 tasks, one core:"
awk -F, -v T="$tasks" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ m = $c["method_index"]; label[m] = $c["method"]; s[m] += $c["seconds"]; sps[m] += $c["samples_per_s"]
	  if (m + 1 > k) k = m + 1 }
	END {
		printf "  %-44s %12s %12s %14s %8s\n", "method", "samples/s", "s per task", "500-task run", "vs sgd"
		for (m = 0; m < k; m++)
			printf "  %-44s %12.0f %12.3f %11.1f min %7.2fx\n", label[m], sps[m] / T, s[m] / T,
				s[m] / T * 500 / 60, s[m] / s[0]
		print "  (samples/s: training only; seconds per task also test the task and probe it)"
	}' "$tmp/k/results.csv"
