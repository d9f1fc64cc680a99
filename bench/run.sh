#!/usr/bin/env bash
# run.sh - `make bench`: training throughput of the engine against the
# machine's GEMM-only limit and against a PyTorch loop, for the default and
# a large network, and grid scaling from 1 to 2 workers. One table.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${BENCH_BIN:-.}/bench
data=$("$bin/../plasticity" --info 2>/dev/null | sed -n '/^mnist/,/->/p' | sed -n 's/^  -> \(\/.*\)$/\1/p')
py=/usr/bin/python3
[ -x "$py" ] && "$py" -c 'import torch' 2>/dev/null || py=

row() { # NET EXAMPLES BATCH SIZES...
	local net=$1 examples=$2 batch=$3
	shift 3
	local limit core gflops gbs memlim
	read -r core gflops limit < <("$bin/gemm_bench" "$batch" 784 "$@" 10)
	read -r gbs memlim < <("$bin/bw_bench" "$batch" 784 "$@" 10)
	declare -A torch=()
	if [ -n "$py" ] && [ -n "$data" ]; then
		while read -r k v; do torch[$k]=$v; done < <("$py" "$here/torch_ref.py" "$data" "$batch" "$@" --examples "$examples")
	fi
	while read -r opt sps gf permeval; do
		local lim=$limit
		[ "$opt" = sgd ] || lim=$((limit / 2))
		local tr=-
		[ -n "${torch[$opt]:-}" ] && tr=$(awk -v a="$sps" -v b="${torch[$opt]}" 'BEGIN{printf "%.2fx", a/b}')
		local mlim=$memlim
		[ "$opt" = sgd ] || mlim=$((memlim / 2))
		printf '%-22s %-4s %10.0f %8.1f %8.0f %7.1f%% %9.0f %7.1f%% %9s %10s %8.1f%%\n' "$net" "$opt" "$sps" "$gf" \
			"$lim" "$(awk -v a="$sps" -v b="$lim" 'BEGIN{print 100*a/b}')" "$mlim" \
			"$(awk -v a="$sps" -v b="$mlim" 'BEGIN{print 100*a/b}')" "${torch[$opt]:--}" "$tr" "$permeval"
	done < <("$bin/train_bench" --examples "$examples" "$batch" "$@")
	echo "$core" >"${TMPDIR:-/tmp}/plasticity-bench-core"
}

printf '%-22s %-4s %10s %8s %8s %8s %9s %8s %9s %10s %9s\n' network opt samples/s GFLOP/s limit "%limit" \
	memlimit "%mem" torch "vs torch" perm+eval
row "784-256x3-10 b1" 20000 1 256 256 256
row "784-256x3-10 b16" 20000 16 256 256 256
row "784-256x3-10 b64" 60000 64 256 256 256
row "784-1000x3-10 b128" 10000 128 1000 1000 1000
echo "OpenBLAS core: $(cat "${TMPDIR:-/tmp}/plasticity-bench-core"); limit = GEMM-only samples/s (halved for SAM/GNP: two gradients per step)"
echo "memlimit = samples/s if a step only moved its weights (12 bytes per parameter per step, at the triad bandwidth of bw_bench for the network's size; halved for SAM/GNP)"
"$bin/train_bench" --examples 60000 --diagnostics 64 256 256 256 2>/dev/null | awk '
	/^diag/ {printf "diagnostics, 784-256x3-10, 1,000 probe examples: default set %.0f ms per task = %.1f%% of a 60,000-example SGD task at batch 64 (%.2f s); lambda_max %.2f s (%d iterations)\n", 1000 * $3, 100 * $3 / $2, $2, $4, $5}'
"$bin/train_bench" --examples 20000 --jobs-scaling 64 256 256 256 2>/dev/null | awk '
	/^jobs1/ {j1 = $2} /^jobs2/ {j2 = $2}
	END {printf "grid, 4 SGD runs: --jobs 1 %.0f samples/s, --jobs 2 %.0f samples/s (%.2fx)\n", j1, j2, j2 / j1}'
