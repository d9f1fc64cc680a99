#!/usr/bin/env bash
# plasticity plot on a small generated run: the files it writes in each
# format, where they go, and how bad input is refused. TAP output.
set -u
. "${SRCDIR:-.}/tests/tap.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plasticity-plot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$GEN_IDX" "$tmp/data" --train 600 --test 200 >/dev/null
export PLASTICITY_DATA="$tmp/data"
cat >"$tmp/p.yaml" <<'YAML'
name: plotted
tasks: 4
hidden: [16, 16]
batch_size: 16
runs: 2
accuracy_matrix: true
methods:
  - optimizer: sgd
    lr: 0.05
  - optimizer: sam
    lr: 0.05
    rho: 0.05
YAML
"$PLASTICITY" run "$tmp/p.yaml" --out "$tmp/run" --jobs 1 --quiet >/dev/null 2>&1
is "$?" 0 "a small grid with the accuracy matrix runs"

magic() { head -c "$2" "$1" | od -An -c | tr -d ' \n'; }

"$PLASTICITY" plot "$tmp/run" >"$tmp/out" 2>"$tmp/err"
is "$?" 0 "plot DIR exits 0"
ok_if "grep -qE '^plasticity: [0-9]+ figures in [0-9.]+ s$' '$tmp/err'" "... and says how many figures it drew, and how fast"
for f in accuracy comparison matrix-1 matrix-2 diag-dead diag-erank diag-sharpness; do
	ok_if "grep -qx '$tmp/run/figures/$f.png' '$tmp/out' && [ \"\$(magic '$tmp/run/figures/$f.png' 4)\" = 211PNG ]" \
		"... $f.png, a PNG in DIR/figures/, named on stdout"
done
is "$(wc -l <"$tmp/out")" "$(ls "$tmp/run/figures" | wc -l)" "... one line per file, nothing else in the folder"
ok_if "[ ! -e '$tmp/run/figures/diag-lambda_max.png' ]" "... and no figure for lambda_max, never measured"
ok_if "[ ! -e '$tmp/run/figures/gap.png' ] && [ ! -e '$tmp/run/figures/diag-redo_reset.png' ]" \
	"... nor for the plasticity gap or ReDo, with no from-scratch or ReDo method"
# With a from-scratch method and ReDo: the gap figure and ReDo's counts.
"$PLASTICITY" run "$tmp/p.yaml" methods.1.from_scratch=true methods.0.redo=task \
	--out "$tmp/gaprun" --jobs 1 --quiet >/dev/null 2>&1
"$PLASTICITY" plot "$tmp/gaprun" >"$tmp/out" 2>/dev/null
ok_if "grep -qx '$tmp/gaprun/figures/gap.png' '$tmp/out' && grep -qx '$tmp/gaprun/figures/diag-redo_reset.png' '$tmp/out'" \
	"a grid with a from-scratch method and ReDo: gap.png and diag-redo_reset.png"
# A results.csv from before the remedies' columns (redo_*, cbp_replaced) still
# reads: they were not measured.
cp -r "$tmp/gaprun" "$tmp/older" && rm -rf "$tmp/older/figures"
awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^(redo_|cbp_)/) drop[i] = 1 }
	{ out = ""; for (i = 1; i <= NF; i++) if (!(i in drop)) out = out (out == "" ? "" : ",") $i; print out }' \
	"$tmp/gaprun/results.csv" >"$tmp/older/results.csv"
"$PLASTICITY" plot "$tmp/older" >"$tmp/out" 2>"$tmp/err"
st=$?
ok_if "[ $st -eq 0 ] && ! grep -q redo_reset '$tmp/older/results.csv' && grep -qx '$tmp/older/figures/gap.png' '$tmp/out' &&
	! grep -q 'diag-redo' '$tmp/out'" \
	"a results.csv without the remedies' columns (written before them) plots, with no ReDo figure"

"$PLASTICITY" plot "$tmp/run" --format svg --out "$tmp/svg/fig" >"$tmp/out" 2>/dev/null
is "$?" 0 "--format svg --out PREFIX exits 0"
ok_if "[ -s '$tmp/svg/fig-accuracy.svg' ] && head -c 200 '$tmp/svg/fig-accuracy.svg' | grep -q '<svg' &&
	tail -c 20 '$tmp/svg/fig-accuracy.svg' | grep -q '</svg>'" "... PREFIX-accuracy.svg, a whole SVG document"
"$PLASTICITY" plot "$tmp/run" --format pdf --out "$tmp/pdf/" >/dev/null 2>&1
ok_if "[ \"\$(magic '$tmp/pdf/accuracy.pdf' 5)\" = '%PDF-' ] && tail -c 8 '$tmp/pdf/accuracy.pdf' | grep -q '%%EOF'" \
	"--format pdf --out FOLDER/: FOLDER/accuracy.pdf, a whole PDF"

"$PLASTICITY" plot "$tmp/run" --format bmp >/dev/null 2>"$tmp/err"
is "$?" 64 "--format bmp: usage error (64)"
is "$(cat "$tmp/err")" "plasticity: plot: --format: expected png, svg or pdf, got 'bmp'" "... naming the value"
"$PLASTICITY" plot >/dev/null 2>"$tmp/err"
is "$?" 64 "plot without DIR: 64"
"$PLASTICITY" plot "$tmp/nowhere" >/dev/null 2>"$tmp/err"
is "$?" 66 "a missing run directory: 66"
ok_if "[ \$(wc -l <'$tmp/err') -eq 1 ] && grep -q 'nowhere' '$tmp/err'" "... one line naming it"
mkdir -p "$tmp/ro" && chmod 555 "$tmp/ro"
if [ "$(id -u)" = 0 ]; then
	"$PLASTICITY" plot "$tmp/run" --out /proc/plasticity-no/fig >/dev/null 2>"$tmp/err"
else
	"$PLASTICITY" plot "$tmp/run" --out "$tmp/ro/x/fig" >/dev/null 2>"$tmp/err"
fi
is "$?" 73 "an uncreatable prefix: 73"
ok_if "[ \$(wc -l <'$tmp/err') -eq 1 ]" "... one line: $(cat "$tmp/err")"

# A broken results.csv is refused before anything is drawn.
cp -r "$tmp/run" "$tmp/bad" && rm -rf "$tmp/bad/figures"
sed -i '3s/,0\.[0-9]*,/,abc,/' "$tmp/bad/results.csv"
"$PLASTICITY" plot "$tmp/bad" >/dev/null 2>"$tmp/err"
is "$?" 65 "a corrupt results.csv: 65"
ok_if "grep -q 'results.csv:3' '$tmp/err' && [ ! -e '$tmp/bad/figures' ]" "... naming its line, nothing drawn"
done_testing
