#!/bin/sh
# gen-corpus.sh - regenerate the fuzzers' seed corpora in tests/fuzz/corpus/.
#
#   sh tests/fuzz/gen-corpus.sh        (from the source tree's top)
#
# idx/: tiny IDX files, raw and gzip, valid and broken. Valid ones hold two
# items, as do fuzz_idx's companion files, so mutations reach the body.
# preset/: the shipped experiments, some bad presets and inputs with
# overrides (YAML, a NUL, then KEY=VALUE lines: see fuzz_preset.c).
# theme/: the shipped themes.
set -eu
cd "$(dirname "$0")/../.."
c=tests/fuzz/corpus
rm -rf "$c" && mkdir -p "$c/idx" "$c/preset" "$c/theme"

be32() { # big-endian 32-bit value
	printf "\\$(printf %03o $(($1 >> 24 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))"
	printf "\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 & 255)))"
}
image() { # one 28x28 image: a 16-byte pattern 49 times
	k=0
	while [ $k -lt 49 ]; do
		printf '\000\020\040\060\100\120\140\160\200\220\240\260\300\320\340\377'
		k=$((k + 1))
	done
}
images() { # COUNT IMAGES ROWS COLS
	be32 2051; be32 "$1"; be32 "$3"; be32 "$4"
	j=0
	while [ $j -lt "$2" ]; do image; j=$((j + 1)); done
}
labels() { # COUNT LABEL-BYTES
	be32 2049; be32 "$1"; printf "$2"
}

d=$c/idx
images 2 2 28 28 >"$d/images"
labels 2 '\003\007' >"$d/labels"
gzip -n -9 <"$d/images" >"$d/images.gz"
gzip -n -9 <"$d/labels" >"$d/labels.gz"
images 1 1 28 28 >"$d/images-count-1"
images 2 1 28 28 >"$d/images-truncated"
{ images 2 2 28 28; printf 'xyz'; } >"$d/images-extra-bytes"
images 2 2 27 28 >"$d/images-27x28"
{ be32 2051; be32 2; } >"$d/images-short-header"
{ be32 2051; be32 4294967295; be32 28; be32 28; } >"$d/images-huge-count"
{ be32 2051; be32 100000; be32 28; be32 28; image; } | gzip -n -9 >"$d/images-gz-lying-count"
labels 2 '\003\012' >"$d/labels-out-of-range"
labels 0 '' >"$d/labels-none"
labels 2 '\003' >"$d/labels-truncated"
{ be32 2051; be32 2; } >"$d/labels-images-magic"
printf '\037\213' >"$d/gzip-magic-only"
: >"$d/empty"
head -c 40 "$d/images.gz" >"$d/images-gz-truncated"
# the same stream with its CRC (8th byte from the end) flipped
n=$(wc -c <"$d/labels.gz")
{ head -c $((n - 8)) "$d/labels.gz"; printf '\377'; tail -c 7 "$d/labels.gz"; } \
	>"$d/labels-gz-bad-crc"
{ cat "$d/labels.gz" "$d/labels.gz"; } >"$d/labels-gz-two-members"

p=$c/preset
cp experiments/*.yaml "$p/"
for f in duplicate-key hidden-too-many-parameters lambda-on-sam lr-nan methods-empty \
	syntax-error tab-indent unknown-method-key; do
	cp "tests/presets-bad/$f.yaml" "$p/bad-$f.yaml"
done
{
	cat experiments/quick.yaml
	printf '\000tasks=5\nhidden=64,32\nmethods.lr=0.1\nmethods.1.optimizer=gnp\n'
	printf 'methods.2.rho=0.1\nsetting=class\ndata_dir=/tmp/data\nseed=18446744073709551615\n'
} >"$p/quick-overrides"
{
	printf 'name: o\nhidden: [8]\nmethods:\n  - optimizer: sam\n    adaptive: true\n'
	printf '\000hidden=[1, 2, 3]\nmethods.0.lambda=1\nmethods.0.optimizer=sgd\n'
	printf 'methods=[]\nname=a b\ndata_dir="x\\y"\nbatch_size=65536\n=\nmethods.9.lr=1\n'
} >"$p/small-overrides"
{
	printf 'name: u\nhidden: [4]\ndata_dir: "\\t\\x80\\N\\L\\P\\uFFFE \303\251 \342\202\254"\n'
	printf 'methods:\n  - {optimizer: gnp, r: 1e-300}\n'
	printf '\000data_dir=\302\205\342\200\251\360\237\231\202\nname=\303\251\n'
} >"$p/unicode-data-dir"
# Findings, fixed: overrides that are not UTF-8 (NULL dereference), or past U+10FFFF
# (written, then refused on reading back).
m='name: r\nhidden: [4]\nmethods:\n  - optimizer: sgd\n'
printf "$m"'\000batch_size=\377\nhidden=1,\377\n' >"$p/regress-override-not-utf8"
printf "$m"'\000data_dir=\366\221\236\232\n' >"$p/regress-override-past-10ffff"

cp themes/*.theme "$c/theme/"

# resume/: one valid run directory of fuzz_resume.c's tiny grid, killed after
# the first task of run 2 (its checkpoint included); written by the target
# itself, so `make fuzz` must have built it.
mkdir -p "$c/resume"
if [ -x tests/fuzz/fuzz_resume ]; then
	FUZZ_RESUME_SEED="$c/resume/valid-killed" tests/fuzz/fuzz_resume
else
	echo "gen-corpus.sh: build tests/fuzz/fuzz_resume (make fuzz) for resume/" >&2
fi
