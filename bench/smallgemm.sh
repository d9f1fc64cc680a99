#!/usr/bin/env bash
# smallgemm.sh - `make bench-smallgemm`: the GEMM-only limit (samples/s of a
# step's sgemm calls, one thread) through OpenBLAS, BLIS and libxsmm, at the
# default network's exact shapes, for the batch sizes the GEMM path takes.
# A library whose package is not installed is reported as such; install
# libblis-dev and libxsmm-dev to compare all three. Results: bench/README.md.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc=${CC:-cc}
export OPENBLAS_NUM_THREADS=1 BLIS_NUM_THREADS=1 OMP_NUM_THREADS=1
blis=$(ls /usr/lib/x86_64-linux-gnu/libblis.so.[0-9]* 2>/dev/null | head -n 1)

"$cc" -O2 -o "$tmp/openblas" "$here/smallgemm.c" -lopenblas || exit 1
[ -n "$blis" ] && "$cc" -O2 -o "$tmp/blis" "$here/smallgemm.c" "$blis" -lm
pkg-config --exists libxsmm 2>/dev/null &&
	"$cc" -O2 -DUSE_XSMM $(pkg-config --cflags libxsmm) -o "$tmp/xsmm" "$here/smallgemm.c" \
		$(pkg-config --libs libxsmm) -lopenblas 2>/dev/null
printf '%-6s %10s %10s %10s  (GEMM-only samples/s, 784-256x3-10, one thread)\n' batch openblas blis libxsmm
for b in 16 32 64 128; do
	line=$(printf '%-6s' "$b")
	for lib in openblas blis xsmm; do
		if [ -x "$tmp/$lib" ]; then
			line="$line $(printf '%10s' "$("$tmp/$lib" "$b" 784 256 256 256 10)")"
		else
			line="$line $(printf '%10s' 'not found')"
		fi
	done
	echo "$line"
done
