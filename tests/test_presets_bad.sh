#!/bin/bash
# test_presets_bad.sh - every preset in tests/presets-bad is refused as its
# first line says.
#
# Each file opens with "# expect: LINE:COL: message". `plasticity run
# --print-config FILE` must exit 78 (EX_CONFIG), print nothing on stdout and
# exactly one line on stderr: "plasticity: FILE:LINE:COL: message", FILE as
# passed. One TAP case per file. Environment: PLASTICITY (the program), SRCDIR.
set -u

srcdir=${SRCDIR:-.}
prog=${PLASTICITY:-./plasticity}
if [ ! -x "$prog" ]; then
	echo "1..0 # SKIP $prog is not built"
	exit 0
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
for f in "$srcdir"/tests/presets-bad/*.yaml; do
	n=$((n + 1))
	name=$(basename "$f" .yaml)
	first=$(head -n 1 "$f")
	why=
	if [ "${first#\# expect: }" = "$first" ]; then
		why="first line is not '# expect: LINE:COL: message'"
	else
		printf 'plasticity: %s:%s\n' "$f" "${first#\# expect: }" >"$tmp/expect"
		"$prog" run --print-config "$f" >"$tmp/out" 2>"$tmp/err"
		st=$?
		# cmp, not $(...): a missing or doubled newline is a failure too
		if [ "$st" -ne 78 ]; then
			why="exit status $st, expected 78"
		elif [ -s "$tmp/out" ]; then
			why="wrote to stdout"
		elif ! cmp -s "$tmp/expect" "$tmp/err"; then
			why="stderr is not the expected line"
		fi
	fi
	if [ -z "$why" ]; then
		echo "ok $n - $name"
		continue
	fi
	failed=$((failed + 1))
	echo "not ok $n - $name: $why"
	[ -f "$tmp/expect" ] && sed 's/^/# expected: /' "$tmp/expect"
	[ -f "$tmp/err" ] && sed 's/^/# stderr:   /' "$tmp/err"
	[ -f "$tmp/out" ] && head -n 3 "$tmp/out" | sed 's/^/# stdout:   /'
	rm -f "$tmp/expect" "$tmp/err" "$tmp/out"
done
echo "1..$n"
[ "$failed" -eq 0 ]
