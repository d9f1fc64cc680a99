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

# row NET EXAMPLES BATCH [--generic] SIZES...: one line per optimizer.
row() {
	local net=$1 examples=$2 batch=$3
	shift 3
	local flags=()
	[ "$1" = --generic ] && flags=(--generic) && shift
	local limit core gflops gbs memlim live
	read -r core gflops limit < <("$bin/gemm_bench" "$batch" 784 "$@" 10)
	read -r gbs memlim < <("$bin/bw_bench" "$batch" 784 "$@" 10)
	declare -A torch=()
	if [ -n "$py" ] && [ -n "$data" ] && [ ${#flags[@]} -eq 0 ]; then
		while read -r k v; do torch[$k]=$v; done < <("$py" "$here/torch_ref.py" "$data" "$batch" "$@" --examples "$examples")
	fi
	local out
	out=$("$bin/train_bench" "${flags[@]}" --live --examples "$examples" "$batch" "$@")
	live=$(echo "$out" | sed -n 's/^live //p')
	# The sparse limit (batch 1): only the rows of nonzero inputs move, at
	# the share of them measured after training (train_bench --live).
	local sparse
	sparse=$(echo "$live" | awk -v sizes="784 $* 10" -v dense="$memlim" -v b="$batch" '{
		n = split(sizes, s, " "); all = 0; moved = 0
		for (l = 1; l < n; l++) { w = s[l] * s[l + 1]; all += w + s[l + 1]; moved += $l * w + s[l + 1] }
		printf "%.0f", b == 1 ? dense * all / moved : dense }')
	while read -r opt sps gf permeval; do
		local lim=$limit mlim=$memlim slim=$sparse
		[ "$opt" = sgd ] || { lim=$((limit / 2)); mlim=$((memlim / 2)); slim=$((sparse / 2)); }
		local tr=-
		[ -n "${torch[$opt]:-}" ] && tr=$(awk -v a="$sps" -v b="${torch[$opt]}" 'BEGIN{printf "%.2fx", a/b}')
		printf '%-24s %-4s %9.0f %7.1f %8.0f %6.1f%% %9.0f %6.1f%% %9.0f %6.1f%% %7s %8s %7.1f%%\n' "$net" "$opt" "$sps" "$gf" \
			"$lim" "$(awk -v a="$sps" -v b="$lim" 'BEGIN{print 100*a/b}')" "$mlim" \
			"$(awk -v a="$sps" -v b="$mlim" 'BEGIN{print 100*a/b}')" "$slim" \
			"$(awk -v a="$sps" -v b="$slim" 'BEGIN{print 100*a/b}')" "${torch[$opt]:--}" "$tr" "$permeval"
	done < <(echo "$out" | grep -v '^live')
	echo "$core" >"${TMPDIR:-/tmp}/plasticity-bench-core"
	[ "$batch" = 1 ] && [ ${#flags[@]} -eq 0 ] && echo "$live" >"${TMPDIR:-/tmp}/plasticity-bench-live"
}

printf '%-24s %-4s %9s %7s %8s %7s %9s %7s %9s %7s %7s %8s %8s\n' network opt samples/s GFLOP/s limit "%limit" \
	memlimit "%mem" sparse "%sparse" torch "vs torch" perm+eval
row "784-256x3-10 b1 generic" 20000 1 --generic 256 256 256
row "784-256x3-10 b1" 20000 1 256 256 256
row "784-256x3-10 b16" 20000 16 256 256 256
row "784-256x3-10 b64" 60000 64 256 256 256
row "784-1000x3-10 b128" 10000 128 1000 1000 1000
echo "OpenBLAS core: $(cat "${TMPDIR:-/tmp}/plasticity-bench-core"); limit = GEMM-only samples/s (halved for SAM/GNP: two gradients per step)"
echo "memlimit = samples/s if a step only moved its weights (12 bytes per parameter per step, at the triad bandwidth of bw_bench for the network's size; halved for SAM/GNP)"
echo "sparse = the same at batch 1 for only the rows of nonzero inputs (shares after training, layer by layer: $(cat "${TMPDIR:-/tmp}/plasticity-bench-live")); = memlimit at other batch sizes"
echo "generic = every step through sgemm (the engine before the small-batch path); the others take the small-batch path up to batch 16"
# Per example, every batch size from 1 to 64 against batch 1 (issue 13).
for b in 1 2 4 8 16 24 32 48 64; do
	"$bin/train_bench" --examples 20000 "$b" 256 256 256 2>/dev/null | sed "s/^/$b /"
done | awk '{ r[$2, $1] = $3; if ($1 == 1) one[$2] = $3; o[$2] = 1 }
	END { for (k in o) { line = sprintf("batch sweep, 784-256x3-10, %s samples/s:", k); worst = 1e9
		split("1 2 4 8 16 24 32 48 64", bs, " ")
		for (i = 1; i <= 9; i++) { v = r[k, bs[i]]; line = line sprintf(" b%s %.0f", bs[i], v); if (v / one[k] < worst) { worst = v / one[k]; at = bs[i] } }
		printf "%s; slowest per example against b1: b%s at %.2fx\n", line, at, worst } }' | sort
# Batch 64 against its GEMM-only limit, five times each: best and median.
for i in 1 2 3 4 5; do
	read -r _ _ lim < <("$bin/gemm_bench" 64 784 256 256 256 10)
	"$bin/train_bench" --examples 60000 64 256 256 256 2>/dev/null | sed "s/^/$lim /"
done | awk '{ printf "%s %.1f\n", $2, 100 * $3 / ($2 == "sgd" ? $1 : $1 / 2) }' | sort -k1,1 -k2,2n |
	awk '{ v[$1] = v[$1] " " $2; n[$1]++ }
	END { for (k in v) { split(v[k], a, " "); printf "batch 64, %s, %% of the GEMM-only limit over %d runs: best %.1f%%, median %.1f%%\n", k, n[k], a[n[k]], a[int((n[k] + 1) / 2)] } }' | sort
