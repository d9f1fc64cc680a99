#!/usr/bin/env bash
# The command line: help, version, options, exit codes, --print-config,
# overrides, --info, and data and output errors. TAP output.
set -u
. "${SRCDIR:-.}/tests/tap.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plasticity-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
P=$PLASTICITY
quick="$SRCDIR/experiments/quick.yaml"

"$P" --help >"$tmp/help" 2>&1
is "$?" 0 "--help exits 0"
ok_if "grep -q '^Usage: plasticity' '$tmp/help' && grep -q 'plasticity run PRESET' '$tmp/help'" "--help shows usage"
ok_if "grep -q 'lambda' '$tmp/help' && grep -q 'batch_size' '$tmp/help'" "--help lists the preset keys"
ok_if "grep -q 'gnp  objective L + lambda ||grad L||' '$tmp/help'" "--help states the GNP formula"
is "$("$P" --version)" "plasticity $("$P" --version | cut -d' ' -f2)" "--version prints the version"
"$P" --bogus >/dev/null 2>"$tmp/err"
is "$?" 64 "an unknown option exits 64"
"$P" run "$quick" --jobs 0 >/dev/null 2>"$tmp/err"
is "$?" 64 "--jobs 0 exits 64"
is "$(cat "$tmp/err")" "plasticity: --jobs: expected 1..1024, got '0'" "... naming the value"
"$P" frobnicate >/dev/null 2>"$tmp/err"
is "$?" 64 "an unknown command exits 64"
"$P" >/dev/null 2>&1
is "$?" 64 "no command exits 64 with usage"
"$P" run "$tmp/none.yaml" >/dev/null 2>"$tmp/err"
is "$?" 66 "a missing preset file exits 66"
is "$(cat "$tmp/err")" "plasticity: $tmp/none.yaml: no such preset file" "... naming the file"

"$P" run "$quick" --print-config >"$tmp/q1.yaml"
is "$?" 0 "--print-config exits 0"
"$P" run "$tmp/q1.yaml" --print-config >"$tmp/q2.yaml"
is "$(md5sum <"$tmp/q2.yaml")" "$(md5sum <"$tmp/q1.yaml")" "--print-config output loads back to the same preset"
"$P" run "$quick" tasks=7 'hidden=[50,40]' methods.0.lr=0.2 --print-config >"$tmp/o.yaml"
ok_if "grep -q '^tasks: 7$' '$tmp/o.yaml' && grep -q 'hidden: \[50, 40\]' '$tmp/o.yaml'" "KEY=VALUE overrides top-level keys"
ok_if "grep -q 'lr: 0.2$' '$tmp/o.yaml'" "methods.0.lr=0.2 overrides method 0"
"$P" run "$quick" tasks=abc --print-config >/dev/null 2>"$tmp/err"
is "$?" 78 "a bad override exits 78"
ok_if "grep -qx 'window: \"10%\"' '$tmp/q1.yaml'" "the plasticity-loss window defaults to 10%"
"$P" run "$quick" window=5 --print-config | grep -qx 'window: "5"'
is "$?" 0 "window=5: the first and last 5 tasks"
"$P" run "$quick" tasks=4 window=5 --print-config >/dev/null 2>"$tmp/err"
is "$?-$(cat "$tmp/err")" "78-plasticity: overrides: window: expected N tasks (1 to 4) or P% of them (0 < P <= 100), got '5'" \
	"window past the tasks is refused after every override, naming the value"
"$P" run "$quick" window=0% --print-config >/dev/null 2>&1
is "$?" 78 "window=0% is refused"
"$P" run "$quick" 'window=12.5%' tasks=8 --print-config >/dev/null 2>&1
is "$?" 0 "window=12.5% of 8 tasks (1 task) is fine"
# Sweeps: one method per value, in order, the other methods in their places.
"$P" run "$quick" methods.1.rho=0.01,0.02,0.05,0.1 --print-config >"$tmp/sw.yaml"
is "$(grep -E '^  - optimizer|^    rho' "$tmp/sw.yaml" | tr -d ' \n')" \
	"-optimizer:sgd-optimizer:samrho:0.01-optimizer:samrho:0.02-optimizer:samrho:0.05-optimizer:samrho:0.1-optimizer:gnp" \
	"methods.1.rho=0.01,0.02,0.05,0.1: method 1 becomes four SAM methods"
"$P" run "$quick" methods.lr=0.1:0.3:0.1 --print-config >"$tmp/sw.yaml"
is "$(grep -c '^    lr' "$tmp/sw.yaml")-$(grep '^    lr' "$tmp/sw.yaml" | tail -3 | tr -d ' \n')" "9-lr:0.1lr:0.2lr:0.3" \
	"methods.lr=0.1:0.3:0.1: every method three times, the range ending on 0.3"
"$P" run "$quick" methods.1.rho=0.01,abc --print-config >/dev/null 2>"$tmp/err"
is "$?-$(cat "$tmp/err")" "78-plasticity: override 'methods.1.rho=0.01,abc': methods[2].rho: expected a number, got 'abc'" \
	"a bad value in a sweep names the method it would have made"
"$P" run "$quick" methods.lr=0.3:0.1:0.1 --print-config >/dev/null 2>"$tmp/err"
is "$?" 78 "a range running backwards is refused"
"$P" run "$quick" methods.lr=0.001:1:0.01 --print-config >/dev/null 2>"$tmp/err"
is "$?" 78 "a range of more than 32 values is refused"
"$P" run "$quick" methods.2.lambda=, --print-config >/dev/null 2>"$tmp/err"
is "$?-$(cat "$tmp/err")" "78-plasticity: override 'methods.2.lambda=,': methods[2].lambda: expected a number, got ','" \
	"a list of no values is one bad value (the fuzzer found it leaking)"
"$P" run "$quick" methods.0.lr=9.99999997:10:0.000000001 --print-config >/dev/null 2>"$tmp/err"
is "$?" 78 "a range whose count rounds past its bound is refused (33 methods), not overrun"
"$P" run "$quick" "methods.0.lr=$(seq -s, 1 40 | sed 's/[0-9]*/0.&/g')" --print-config >/dev/null 2>"$tmp/err"
is "$?-$(sed 's/.*: //' "$tmp/err")" "78-a sweep of more than 32 values" "a comma list of 40 values is refused"
printf 'name: sw\nmethods:\n  - optimizer: sgd\n    lr: [0.1, 0.01]\n  - optimizer: sam\n    rho: [0.01, 0.05]\n' >"$tmp/swl.yaml"
"$P" run "$tmp/swl.yaml" --print-config >"$tmp/sw.yaml"
is "$(grep -E '^    (lr|rho)' "$tmp/sw.yaml" | tr -d ' \n')" "lr:0.1lr:0.01lr:0.01rho:0.01lr:0.01rho:0.05" \
	"a list in a preset's method key is a sweep"
printf 'name: sw\nmethods:\n  - optimizer: sam\n    rho: [0.01]\n    lr: [1, 2]\n' >"$tmp/swl.yaml"
"$P" run "$tmp/swl.yaml" --print-config >/dev/null 2>"$tmp/err"
is "$?-$(cat "$tmp/err")" "78-plasticity: $tmp/swl.yaml:5:9: methods[0].lr: one swept key per method (rho is swept already)" \
	"two swept keys in one method are refused with line and column"
(cd "$SRCDIR" && "$P" run quick --print-config) >"$tmp/byname.yaml"
is "$(md5sum <"$tmp/byname.yaml")" "$(md5sum <"$tmp/q1.yaml")" "a shipped preset is found by name"

PLASTICITY_DATA="$tmp/nodata" XDG_DATA_HOME="$tmp/xdg" "$P" --info >"$tmp/info"
is "$?" 0 "--info exits 0"
ok_if "grep -q 'PLASTICITY_DATA *$tmp/nodata' '$tmp/info' && grep -q 'XDG_DATA_HOME *$tmp/xdg/plasticity/mnist' '$tmp/info'" \
	"--info lists every place it looks"
PLASTICITY_DATA="$tmp/nodata" XDG_DATA_HOME="$tmp/xdg" HOME="$tmp" "$P" run "$quick" --data-dir "$tmp/nodata" --out "$tmp/r" >/dev/null 2>"$tmp/err"
st=$?
if [ -d /usr/local/share/plasticity/data/mnist ]; then
	tap_result 0 "no data: skipped, an installed copy exists # SKIP"
else
	is "$st" 66 "no data exits 66"
fi

"$GEN_IDX" "$tmp/data" --train 100 --test 50 >/dev/null
touch "$tmp/file"
"$P" run "$quick" tasks=1 runs=1 --data-dir "$tmp/data" --out "$tmp/file/run" >/dev/null 2>"$tmp/err"
is "$?" 73 "an output folder that cannot be created exits 73"
ok_if "grep -q '^plasticity: $tmp/file/run: cannot create directory' '$tmp/err' || grep -q '^plasticity: $tmp/file: ' '$tmp/err'" \
	"... naming the folder ($(cat "$tmp/err"))"
cp "$tmp/data/train-labels-idx1-ubyte" "$tmp/labels.bak"
head -c 100 "$tmp/labels.bak" >"$tmp/data/train-labels-idx1-ubyte"
"$P" run "$quick" tasks=1 runs=1 --data-dir "$tmp/data" --out "$tmp/r2" >/dev/null 2>"$tmp/err"
is "$?" 65 "a truncated IDX file exits 65"
ok_if "grep -q '^plasticity: $tmp/data/train-labels-idx1-ubyte: ' '$tmp/err' && [ \$(wc -l <'$tmp/err') -eq 1 ]" \
	"... with one line naming the file"
ok_if "[ ! -e '$tmp/r2' ]" "... and no run directory is created"

# Every shipped preset loads, is installed, and says what it is for.
for f in "$SRCDIR"/experiments/*.yaml; do
	n=$(basename "$f" .yaml)
	"$P" run "$f" --print-config >"$tmp/pc" 2>"$tmp/err"
	is "$?:$(cat "$tmp/err")" "0:" "experiments/$n.yaml loads"
	ok_if "grep -q 'experiments/$n.yaml' '$SRCDIR/Makefile.am'" "... and is installed (Makefile.am)"
done
# The sweeps expand to one method per value; the paper presets run online
# with exact GNP at the paper's lambda.
is "$("$P" run "$SRCDIR/experiments/sam-rho-sweep.yaml" --print-config | grep -c 'optimizer: sam')" 6 \
	"sam-rho-sweep: six values of rho"
is "$("$P" run "$SRCDIR/experiments/gnp-lambda-sweep.yaml" --print-config | grep -c 'exact: true')" 3 \
	"gnp-lambda-sweep: three lambdas in the exact form"
for n in paper-domain paper-class paper-domain-fashion paper-class-fashion; do
	"$P" run "$SRCDIR/experiments/$n.yaml" --print-config >"$tmp/pc"
	ok_if "grep -qx 'batch_size: 1' '$tmp/pc' && [ \"\$(grep -c 'exact: true' '$tmp/pc')\" = 2 ] && grep -q 'lambda: 0.1' '$tmp/pc'" \
		"$n: batch 1, GNP exact at lambda 0.1"
done

done_testing
