#!/usr/bin/env bash
# Bad input through the real command line: every case must exit with its
# sysexits status and one exact line on stderr, and leave no run directory
# or half-written file behind. TAP output. (Bad presets: test_presets_bad.sh.)
set -u
. "${SRCDIR:-.}/tests/tap.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plasticity-bad.XXXXXX")
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
quick="$SRCDIR/experiments/quick.yaml"
n=0

# expect STATUS MESSAGE DESCRIPTION -- ARGS...: run, then check status,
# stderr (exactly one line) and that --out was not created.
expect() {
	local status=$1 msg=$2 what=$3
	shift 4
	n=$((n + 1))
	PLASTICITY_DATA= "$PLASTICITY" run "$@" --out "$tmp/out$n" >/dev/null 2>"$tmp/err"
	local got=$?
	if [ "$got" = "$status" ] && [ "$(cat "$tmp/err")" = "plasticity: $msg" ] && [ ! -e "$tmp/out$n" ]; then
		tap_result 0 "$what"
	else
		tap_result 1 "$what"
		printf '#   status %s (want %s)\n#   stderr: %s\n#   want:   plasticity: %s\n' \
			"$got" "$status" "$(head -3 "$tmp/err")" "$msg"
	fi
}

# A dataset directory with one file replaced by a broken one.
broken() { # NAME FILE KIND
	local d="$tmp/$1"
	"$GEN_IDX" "$d" --train 10 --test 10 >/dev/null
	rm -f "$d/$2"
	"$GEN_IDX" --corrupt "$3" "$d/$2" >/dev/null
	echo "$d"
}

img=train-images-idx3-ubyte
lab=train-labels-idx1-ubyte
d=$(broken empty $img empty)
expect 65 "$d/$img: empty file" "IDX: empty file" -- "$quick" --data-dir "$d"
d=$(broken short $img short-header)
expect 65 "$d/$img: truncated header" "IDX: truncated header" -- "$quick" --data-dir "$d"
d=$(broken body $img truncated-body)
expect 65 "$d/$img: truncated: expected 10 images (7856 bytes), file ends after 4036 bytes" \
	"IDX: truncated body" -- "$quick" --data-dir "$d"
d=$(broken magic $img wrong-magic)
expect 65 "$d/$img: wrong magic number 0x00000802 (expected 2051 for images)" \
	"IDX: wrong magic" -- "$quick" --data-dir "$d"
d=$(broken dims $img wrong-dims)
expect 65 "$d/$img: images are 32x32, expected 28x28" "IDX: wrong dimensions" -- "$quick" --data-dir "$d"
d=$(broken zero $img zero-images)
expect 65 "$d/$img: no images" "IDX: zero images" -- "$quick" --data-dir "$d"
d=$(broken label $lab label-range)
expect 65 "$d/$lab: label 12 at index 5 is outside 0..9" "IDX: label above 9" -- "$quick" --data-dir "$d"
d=$(broken trailing $img trailing-bytes)
expect 65 "$d/$img: 7 unexpected bytes after the data" "IDX: trailing bytes" -- "$quick" --data-dir "$d"
d=$(broken gz $img.gz bad-gzip)
rm -f "$d/$img"
expect 65 "$d/$img.gz: corrupt gzip stream: invalid block type" "IDX: corrupt gzip stream" \
	-- "$quick" --data-dir "$d"
"$GEN_IDX" --mismatch "$tmp/mm" >/dev/null
expect 65 "$(PLASTICITY_DATA= "$PLASTICITY" run "$quick" --data-dir "$tmp/mm" --out "$tmp/probe" 2>&1 >/dev/null | sed 's/^plasticity: //')" \
	"IDX: image and label counts differ" -- "$quick" --data-dir "$tmp/mm"
ok_if "grep -q 'images, but .* labels' '$tmp/err'" "... the message names both counts"
"$GEN_IDX" "$tmp/dir" --train 10 --test 10 >/dev/null
rm "$tmp/dir/$img" && mkdir "$tmp/dir/$img"
expect 66 "$tmp/dir/$img: is a directory" "IDX: a directory where a file is expected" -- "$quick" --data-dir "$tmp/dir"
if [ "$(id -u)" = 0 ]; then
	tap_result 0 "IDX: an unreadable file # SKIP root reads anything"
else
	"$GEN_IDX" "$tmp/unread" --train 10 --test 10 >/dev/null
	chmod 000 "$tmp/unread/$img"
	expect 66 "$tmp/unread/$img: cannot open: Permission denied" "IDX: an unreadable file" \
		-- "$quick" --data-dir "$tmp/unread"
fi

"$GEN_IDX" "$tmp/good" --train 100 --test 50 >/dev/null
g="$tmp/good"
expect 78 "override 'tasks=0': tasks: must be between 1 and 100000, got 0" "override: tasks=0" \
	-- "$quick" tasks=0 --data-dir "$g"
expect 78 "override 'methods.0.rho=0.1': methods[0]: rho applies only to optimizer sam" \
	"override: rho given to sgd" -- "$quick" methods.0.rho=0.1 --data-dir "$g"
expect 78 "override 'colour=red': unknown key 'colour'" "override: unknown key" \
	-- "$quick" colour=red --data-dir "$g"
expect 78 "override 'methods.0.lr=nan': methods[0].lr: must be a finite number, got 'nan'" \
	"override: NaN learning rate" -- "$quick" methods.0.lr=nan --data-dir "$g"
touch "$tmp/afile"
n=$((n + 1))
PLASTICITY_DATA= "$PLASTICITY" run "$quick" tasks=1 runs=1 --data-dir "$g" --out "$tmp/afile/run" >/dev/null 2>"$tmp/err"
is "$?:$(cat "$tmp/err")" "73:plasticity: $tmp/afile/run: cannot create directory: Not a directory" \
	"output: a run directory that cannot be created"
mkdir -p "$tmp/full"
echo keep >"$tmp/full/notes.txt"
PLASTICITY_DATA= "$PLASTICITY" run "$quick" tasks=1 runs=1 --data-dir "$g" --out "$tmp/full" >/dev/null 2>"$tmp/err"
is "$?:$(cat "$tmp/err")" \
	"73:plasticity: $tmp/full: run directory exists and is not empty (use --force to overwrite)" \
	"output: an existing run directory is refused"
is "$(cat "$tmp/full/notes.txt")" "keep" "... and what it held is untouched"

# A full disk: files may grow to 2 KiB only (SIGXFSZ ignored, so writes fail).
(
	trap '' XFSZ
	ulimit -f 2
	PLASTICITY_DATA= exec "$PLASTICITY" run "$quick" tasks=40 runs=2 'hidden=[16]' \
		--data-dir "$g" --out "$tmp/disk" --jobs 1 --quiet >/dev/null 2>"$tmp/err"
)
is "$?" 74 "output: a full disk exits 74"
ok_if "grep -q '^plasticity: $tmp/disk/.*: cannot write: File too large$' '$tmp/err'" \
	"... naming the file that could not be written"
ok_if "[ -z \"\$(find '$tmp/disk' -name '*.tmp.*')\" ]" "... leaving no temporary file"
ok_if "head -1 '$tmp/disk/results.csv' | grep -q '^method_index,method,' && [ \"\$(tail -c1 '$tmp/disk/results.csv' | od -An -c | tr -d ' ')\" = '\\n' ]" \
	"... and results.csv whole (header, complete last line)"
ok_if "PLASTICITY_DATA= '$PLASTICITY' run '$tmp/disk/preset.yaml' --print-config >/dev/null" \
	"... and preset.yaml loadable"

expect 64 "--jobs: expected 1..1024, got 'abc'" "option: --jobs abc" -- "$quick" --jobs abc
expect 64 "--jobs: expected 1..1024, got '4294967298'" \
	"option: --jobs 4294967298 is refused, not cut to 2" -- "$quick" --jobs 4294967298

# A write error on standard output is an error, not a silent exit 0.
if [ -w /dev/full ]; then
	for args in "run $quick --print-config" "--help" "--info"; do
		# shellcheck disable=SC2086
		"$PLASTICITY" $args >/dev/full 2>"$tmp/err"
		is "$?:$(cat "$tmp/err")" "74:plasticity: standard output: write error: No space left on device" \
			"stdout: '$args' into /dev/full exits 74"
	done
fi

# A gzip whose header claims far more than it could hold is refused before
# anything is allocated (10M images, 7.8 GB, in a 2.3 MB file holding 512 MB:
# before, the reader grew its buffer to 512 MB as the data arrived).
"$GEN_IDX" "$tmp/bomb" --train 10 --test 10 >/dev/null
rm -f "$tmp/bomb/train-images-idx3-ubyte"*
{ printf '\000\000\010\003\000\230\226\200\000\000\000\034\000\000\000\034'; head -c 536870912 /dev/zero; } |
	gzip -1 >"$tmp/bomb/train-images-idx3-ubyte.gz"
bombsize=$(stat -c %s "$tmp/bomb/train-images-idx3-ubyte.gz")
# (AddressSanitizer reserves terabytes of address space: no limit there.)
vlimit=400000
(ulimit -v $vlimit && "$PLASTICITY" --version) >/dev/null 2>&1 || vlimit=unlimited
(
	ulimit -v $vlimit
	PLASTICITY_DATA= exec "$PLASTICITY" run "$quick" --data-dir "$tmp/bomb" --out "$tmp/bombout" >/dev/null 2>"$tmp/err"
)
is "$?:$(cat "$tmp/err")" "65:plasticity: $tmp/bomb/train-images-idx3-ubyte.gz: header claims 10000000 images (7840000000 bytes), more than 64 times the $bombsize-byte gzip file; not a dataset" \
	"a gzip declaring 10M images is refused under a 400 MB memory limit, naming the file"

# Checks in the type the engine uses (float32), and cross-key checks after
# every override, so that the order of overrides never matters.
expect 78 "override 'methods.lr=1e-50': methods[0].lr: 1e-50 is 0 or subnormal as a float32, the engine's type (smallest normal: 1.17549e-38)" \
	"override: lr=1e-50 is 0 as a float32" -- "$quick" methods.lr=1e-50
expect 78 "override 'methods.momentum=0.999999999': methods[0].momentum: 0.999999999 is 1 as a float32, the engine's type, which must be < 1" \
	"override: momentum=0.999999999 is 1 as a float32" -- "$quick" methods.momentum=0.999999999
for order in "setting=class tasks=45" "tasks=45 setting=class"; do
	# shellcheck disable=SC2086
	"$PLASTICITY" run "$quick" $order --print-config >"$tmp/cfg" 2>"$tmp/err"
	is "$?:$(grep -E '^(setting|tasks):' "$tmp/cfg" | tr '\n' ' ')" "0:setting: class tasks: 45 " \
		"overrides in either order: $order"
done
expect 78 "overrides: tasks must be <= 45 for setting class" \
	"a cross-key error after several overrides names them all" -- "$quick" setting=class tasks=46

# Nesting is refused in milliseconds, not after libyaml's quadratic load.
awk 'BEGIN { printf "hidden: "; for (i = 0; i < 400000; i++) printf "["; print "" }' >"$tmp/deep.yaml"
start=$(date +%s%N)
"$PLASTICITY" run "$tmp/deep.yaml" --print-config >/dev/null 2>"$tmp/err"
st=$?
ms=$((($(date +%s%N) - start) / 1000000))
ok_if "[ $st -eq 78 ] && [ $ms -lt 2000 ] && grep -q 'deep.yaml:1:24: nested more than 16 deep' '$tmp/err'" \
	"a preset of 400,000 nested '[' is refused in ${ms} ms"

done_testing
