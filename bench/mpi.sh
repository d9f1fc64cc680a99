#!/usr/bin/env bash
# mpi.sh - `make bench-mpi`: what MPI costs, and what a cluster would take.
#
# paper-class with runs=2 (12 of its 60 runs, every task, batch 1) is
# trained twice on this machine: by one process with --jobs 2, and by
# mpirun -n 2 --jobs 1 (the same two workers, as two processes talking
# through MPI). Their wall times give MPI's overhead. paper-domain with
# runs=1 (6 of its 60 runs) is then trained under mpirun -n 2 for its runs'
# lengths. From each run's length (the sum of its tasks' seconds in
# results.csv) the whole paper (paper-domain, then paper-class, 120 runs)
# is scheduled as the grid hands items out, each to the first free worker,
# over 16 machines of this kind (32 workers), with MPI's measured overhead
# on the workers' time (wall time also carries which runs happened to share
# a worker, which differs from run to run).
# Run it alone: nothing else may use the cores.
set -u
bin=${BENCH_BIN:-.}
P=$bin/plasticity
here=$(cd "$(dirname "$0")" && pwd)
presets=$here/../experiments
machines=${MACHINES:-16}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/plasticity-bench-mpi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if ! command -v mpirun >/dev/null || ! "$P" --info | grep -q '^MPI: Open MPI'; then
	echo "bench-mpi: needs plasticity built with Open MPI and mpirun (apt-get install libopenmpi-dev openmpi-bin)"
	exit 0
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
now() { date +%s.%N; }
timed() { # NAME COMMAND...: the command's wall time into $tmp/NAME.t
	local name=$1 t0
	shift
	t0=$(now)
	"$@" >/dev/null 2>"$tmp/$name.err" || { echo "bench-mpi: $name failed:"; cat "$tmp/$name.err"; exit 1; }
	awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f\n", b - a }' >"$tmp/$name.t"
}
timed threads "$P" run "$presets/paper-class.yaml" runs=2 --jobs 2 --quiet --out "$tmp/threads"
timed mpi mpirun -n 2 "$P" run "$presets/paper-class.yaml" runs=2 --jobs 1 --quiet --out "$tmp/mpi"
timed domain mpirun -n 2 "$P" run "$presets/paper-domain.yaml" runs=1 --jobs 1 --quiet --out "$tmp/domain"

# Each run's length: the sum of its tasks' seconds; per method, the mean.
lengths() { # DIR
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		{ s[$col["method_index"] "," $col["run"]] += $col["seconds"]; m[$col["method_index"]] = 1 }
		END { for (k in s) { split(k, a, ","); sum[a[1]] += s[k]; n[a[1]]++ }
			for (k in m) printf "%d %.3f\n", k, sum[k] / n[k] }' "$1/results.csv" | sort -n
}
lengths "$tmp/mpi" >"$tmp/class.len"
lengths "$tmp/domain" >"$tmp/domain.len"
t_thr=$(cat "$tmp/threads.t")
t_mpi=$(cat "$tmp/mpi.t")
# The workers' time: every task's seconds. Wall time also carries which
# runs happened to land on which worker; this does not.
busy() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") c = i; next } { s += $c } END { printf "%.2f", s }' "$1/results.csv"; }
w_thr=$(busy "$tmp/threads")
w_mpi=$(busy "$tmp/mpi")
echo "OpenBLAS core: $("$P" --info | sed -n 's/^BLAS core: //p'); $("$P" --info | sed -n 's/^MPI: //p')"
awk -v a="$t_thr" -v b="$t_mpi" -v c="$w_thr" -v d="$w_mpi" 'BEGIN {
	printf "paper-class runs=2 (12 runs x 45 tasks, batch 1): wall time, and the workers'"'"' time (sum of every task'"'"'s seconds)\n"
	printf "  one process, --jobs 2:       %7.1f s wall (%.2f runs/min), %7.1f s of tasks\n", a, 12 * 60 / a, c
	printf "  mpirun -n 2 --jobs 1:        %7.1f s wall (%.2f runs/min), %7.1f s of tasks\n", b, 12 * 60 / b, d
	printf "  MPI against threads:         wall %+.1f%%, tasks %+.1f%%\n", 100 * (b / a - 1), 100 * (d / c - 1) }'
# The whole paper on MACHINES machines of two workers: each grid's items in
# grid order (run-major, methods side by side), each to the worker free first.
awk -v w=$((2 * machines)) -v over="$(awk -v a="$w_thr" -v b="$w_mpi" 'BEGIN { print b / a }')" \
	-v machines="$machines" '
	FNR == 1 { g++ }
	{ len[g, $1] = $2; nm[g] = $1 + 1 }
	END {
		total = 0; work = 0
		for (k = 1; k <= 2; k++) {
			for (i = 0; i < w; i++) free[i] = 0
			for (r = 0; r < 10; r++) for (m = 0; m < nm[k]; m++) {
				best = 0
				for (i = 1; i < w; i++) if (free[i] < free[best]) best = i
				free[best] += len[k, m] * over; work += len[k, m]
			}
			end = 0
			for (i = 0; i < w; i++) if (free[i] > end) end = free[i]
			printf "  %s, 60 runs over %d workers: %.1f min\n", k == 1 ? "paper-domain" : "paper-class", w, end / 60
			total += end
		}
		printf "projected: the whole paper (120 runs, %.1f worker-hours) on %d machines like this one: %.1f min\n",
			work / 3600, machines, total / 60 }' "$tmp/domain.len" "$tmp/class.len"
