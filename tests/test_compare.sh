#!/usr/bin/env bash
# plasticity compare and ui --open with several run directories: methods
# side by side, paired only where the runs share seeds, data and settings.
# TAP output.
set -u
. "${SRCDIR:-.}/tests/tap.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plasticity-compare.XXXXXX")
sock="plasticity-cmp-$$"
. "${SRCDIR:-.}/tests/tmux.sh"
# Only this shell cleans up: a background job killed between its fork and
# its exec (a kill right after a start) would otherwise run this trap
# in the child, deleting $tmp under the rest of the test.
trap 'if [ "$BASHPID" = "$$" ]; then T kill-server 2>/dev/null; rm -rf "$tmp"; fi' EXIT
"$GEN_IDX" "$tmp/data" --train 600 --test 200 >/dev/null
export PLASTICITY_DATA="$tmp/data"
cat >"$tmp/c.yaml" <<'YAML'
name: cmp
tasks: 4
hidden: [16]
batch_size: 16
runs: 3
methods:
  - optimizer: sgd
    lr: 0.05
  - optimizer: sam
    lr: 0.05
    rho: 0.05
YAML
run() { "$PLASTICITY" run "$tmp/c.yaml" "$@" --jobs 2 --quiet >/dev/null 2>&1; }
run --out "$tmp/A"
run methods.1.rho=0.2 --out "$tmp/B"
run seed=9 --out "$tmp/C"
run tasks=3 --out "$tmp/D"

"$PLASTICITY" compare "$tmp/A" "$tmp/B" >"$tmp/out" 2>"$tmp/err"
is "$?" 0 "compare A B exits 0"
ok_if "grep -qx 'A: $tmp/A' '$tmp/out' && grep -qx 'B: $tmp/B' '$tmp/out'" "... naming each directory by its letter"
ok_if "grep -qE '^A: sgd lr=0.05 +3 ' '$tmp/out' && grep -qE '^B: sam lr=0.05 rho=0.2 +3 ' '$tmp/out'" \
	"... every method of both in one summary, labelled A: and B:"
ok_if "grep -qE '^B: sam lr=0.05 rho=0.2 +A: sgd lr=0.05 +plasticity_loss +3 ' '$tmp/out'" \
	"... and paired differences across the directories, against A's baseline"
# Sharpness against plasticity: Pearson r over one point per method and run,
# recomputed here from the two results.csv files (window 1 of 4 tasks: the
# plasticity loss is task 1's accuracy minus task 4's).
want=$(awk -F, 'FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; f++; next }
	{ k = f SUBSEP $c["method_index"] SUBSEP $c["run"]; s[k] += $c["sharpness"]; n[k]++
	  if ($c["task"] == 1) a1[k] = $c["test_acc"]; if ($c["task"] == 4) a4[k] = $c["test_acc"] }
	END { for (k in s) { x = s[k] / n[k]; y = a1[k] - a4[k]; N++; sx += x; sy += y; sxx += x * x; syy += y * y; sxy += x * y }
	      r = (sxy - sx * sy / N) / sqrt((sxx - sx * sx / N) * (syy - sy * sy / N)); printf "%d %+.3f", N, r }' \
	"$tmp/A/results.csv" "$tmp/B/results.csv")
got=$(awk '$1 == "sharpness" && $2 ~ /^[0-9]+$/ { print $2, $3 }' "$tmp/out")
is "$got" "$want" "compare: sharpness's r with plasticity loss over 12 method-runs, as recomputed from results.csv"
ok_if "grep -qE '^grad_norm +12 ' '$tmp/out' && ! grep -qE '^lambda_max' '$tmp/out'" \
	"... grad_norm too; lambda_max, never measured, is left out"

# How the runs are compared can be changed without retraining: baseline,
# compare and window; anything else is refused.
"$PLASTICITY" compare "$tmp/A" baseline=1 >"$tmp/out1" 2>&1
ok_if "grep -qE '^A: sgd lr=0.05 +A: sam lr=0.05 rho=0.05 +plasticity_loss +3 ' '$tmp/out1'" \
	"compare DIR baseline=1: every method against method 1"
"$PLASTICITY" compare "$tmp/A" tasks=2 >/dev/null 2>"$tmp/err1"
is "$?:$(cat "$tmp/err1")" "64:plasticity: compare: 'tasks=2': only baseline, compare and window can be set here" \
	"compare refuses to override what ran"
"$PLASTICITY" compare "$tmp/A" baseline=5 >/dev/null 2>"$tmp/err1"
is "$?" 64 "compare refuses a baseline past the last method"

# The pairing is real: B's SGD is A's SGD (same seeds), so their difference is 0.
ok_if "grep -E '^B: sgd lr=0.05 +A: sgd lr=0.05 +mean_acc' '$tmp/out' | grep -q '+0.0000 \[+0.0000, +0.0000\]'" \
	"... where B's sgd is A's sgd run for run: difference exactly 0"

"$PLASTICITY" compare "$tmp/A" "$tmp/C" >"$tmp/out" 2>"$tmp/err"
is "$?" 65 "compare with another seed exits 65"
is "$(cat "$tmp/err")" "plasticity: compare: no paired statistics: $tmp/C differs from $tmp/A in seed (1 vs 9), so run i of one is not run i of the other" \
	"... naming the key and both values"
ok_if "grep -qE '^B: sgd lr=0.05 ' '$tmp/out' && ! grep -q 'paired differences' '$tmp/out'" \
	"... after the summary, with no paired rows"
"$PLASTICITY" compare "$tmp/A" "$tmp/D" >/dev/null 2>"$tmp/err"
is "$?-$(cat "$tmp/err")" "65-plasticity: compare: $tmp/D: 3 tasks, but $tmp/A has 4: a grid compares equal task counts" \
	"other task counts are refused"
"$PLASTICITY" compare "$tmp/A" "$tmp/nowhere" >/dev/null 2>"$tmp/err"
is "$?" 66 "a missing directory exits 66"
"$PLASTICITY" compare >/dev/null 2>&1
is "$?" 64 "compare with nothing to compare is a usage error"

if ! command -v tmux >/dev/null; then
	tap_result 0 "ui --open A B # SKIP tmux is not installed"
	done_testing
	exit
fi
T -f /dev/null new-session -d -s keep -x 80 -y 24 "sleep 120"
T -f /dev/null new-session -d -s ui -x 110 -y 30 \
	"cd '$tmp' && env LANG=C.UTF-8 LC_ALL=C.UTF-8 '$PLASTICITY' ui --open '$tmp/A' '$tmp/B'; echo EXIT=\$? >'$tmp/exit'; sleep 60"
ok_if "wait_for 'read-only view'" "ui --open A B opens both"
ok_if "screen | grep -qE '^● A: sgd lr=0.05 ' && screen | grep -qE '^■ A: sam lr=0.05 rho=0.05 ' &&
	screen | grep -qE '^◆ B: sam (lr=0.05 )?rho=0.2 '" "... every method in the table, labelled by directory"
ok_if "screen | grep -q 'run directories (read-only): A: $tmp/A  B: $tmp/B'" "... and both directories named"
ok_if "screen | grep -qE 'accuracy, one axis [01]\.[0-9]{2}-[01]\.[0-9]{2} \(y: per row\)'" \
	"sparklines share one axis, its range printed once"
T send-keys -t ui y
ok_if "wait_for 'accuracy, each row its own scale \(y: one axis\)'" "y: each row on its own scale, and the title says so"
T send-keys -t ui q
for _ in $(seq 1 100); do [ -s "$tmp/exit" ] && break; sleep 0.05; done
is "$(cat "$tmp/exit" 2>/dev/null)" "EXIT=0" "q leaves with status 0"
T kill-session -t ui
rm -f "$tmp/exit"
T -f /dev/null new-session -d -s ui -x 110 -y 30 \
	"cd '$tmp' && env LANG=C.UTF-8 LC_ALL=C.UTF-8 '$PLASTICITY' ui --open '$tmp/A' '$tmp/C'; sleep 60"
ok_if "wait_for 'no paired statistics: .*C differs from .*A in seed'" "ui --open A C says why nothing is paired"
ok_if "! screen | grep -q 'p.loss vs base'" "... and shows no paired column"
T send-keys -t ui f
ok_if "wait_for 'figures: [0-9]+ PNG files in .*A/figures-compare/'" "f there writes the figures beside A's"
ok_if "[ -s '$tmp/A/figures-compare/accuracy.png' ] && [ ! -e '$tmp/A/figures-compare/comparison.png' ]" \
	"... with no paired comparison figure, since the runs do not pair"
T send-keys -t ui w
ok_if "wait_for '^exported '" "w exports the merged view"
exported=$(screen | sed -n 's/^exported \([^ ]*\).*/\1/p' | head -1)
ok_if "[ -n '$exported' ] && [ -s '$tmp/$exported/summary.csv' ] && [ ! -e '$tmp/$exported/comparisons.csv' ]" \
	"... without comparisons.csv ($exported)"
# A method whose runs sit at chance is flagged on screen, not read as plasticity:
# A's SAM rows rewritten to 0.1 (domain chance) on every task.
cp -R "$tmp/A" "$tmp/Z"
awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; print; next }
	$c["method_index"] == 1 { $c["test_acc"] = "0.100000" } { print }' "$tmp/A/results.csv" >"$tmp/Z/results.csv"
T kill-session -t ui
T -f /dev/null new-session -d -s ui -x 110 -y 30 \
	"cd '$tmp' && env LANG=C.UTF-8 LC_ALL=C.UTF-8 '$PLASTICITY' ui --open '$tmp/Z'; sleep 60"
ok_if "wait_for 'read-only view' && screen | grep -qE '^■ sam( lr=0.05 rho=0.05)? \\[3 collapsed\\] '" \
	"runs at chance are marked [3 collapsed] in the table"
ok_if "screen | grep -qE '^● sgd lr=0.05 +\\*?3 '" "... and the other method is not"

# The help is taller than 24 lines: it scrolls.
T resize-window -t ui -x 80 -y 24 2>/dev/null || T kill-session -t ui
T send-keys -t ui '?'
ok_if "wait_for 'Down/Up: scroll'" "the help says it scrolls on a 24-line screen"
for _ in $(seq 1 40); do T send-keys -t ui Down; done
ok_if "wait_for 'sparklines share one y-axis'" "... and Down reaches its last lines"

# Fork: e on an opened run edits a copy of its preset, r trains it into a new
# run directory, reusing the runs of the methods left alone.
T kill-session -t ui
T -f /dev/null new-session -d -s ui -x 110 -y 40 \
	"cd '$tmp' && env LANG=C.UTF-8 LC_ALL=C.UTF-8 PLASTICITY_DATA='$tmp/data' '$PLASTICITY' ui --open '$tmp/A' --jobs 1; sleep 60"
ok_if "wait_for 'read-only view'" "ui --open A"
T send-keys -t ui e
ok_if "wait_for 'editing a copy of the opened preset: r trains it into a new run directory'" \
	"e on an opened run edits a copy of its preset"
ok_if "! screen | grep -q 'read-only view'" "... which is no longer read-only"
for _ in $(seq 1 24); do T send-keys -t ui Down; done
T send-keys -t ui Enter BSpace BSpace BSpace BSpace BSpace 0 . 1 Enter Escape
sleep 0.2
T send-keys -t ui r
for _ in $(seq 1 400); do screen | grep -qE '^done: 24 tasks' && break; sleep 0.05; done
ok_if "screen | grep -qE '^done: 24 tasks in [0-9]+ s \\(3 of 6 runs reused\\)'" \
	"r trains the fork, reusing the opened run's unchanged method (3 of 6 runs)"
dir=$(screen | sed -n 's/^ run directory: \(runs\/cmp-[0-9-]*\) *$/\1/p')
ok_if "[ -n '$dir' ] && [ -s '$tmp/$dir/results.csv' ] && grep -q '^1,sam lr=0.05 rho=0.1,' '$tmp/$dir/results.csv'" \
	"... into a new run directory ($dir)"
# Reused, not trained again: even the timing columns are A's.
ok_if "[ \"\$(grep '^0,' '$tmp/$dir/results.csv')\" = \"\$(grep '^0,' '$tmp/A/results.csv')\" ]" \
	"... whose sgd rows are A's to the byte, timings included"
ok_if "screen | grep -qE '\\(e\\) ?sam (lr=0.05 )?rho=0.05'" "... with the opened method it changed kept as an earlier curve"
T send-keys -t ui w
ok_if "wait_for 'exported .* \\(earlier curves in earlier.csv\\)'" "w exports the earlier curves too"
exported=$(screen | sed -n 's/^exported \(.*\) (earlier curves.*/\1/p' | head -1)
ok_if "[ \"\$(head -1 '$tmp/$exported/earlier.csv')\" = 'curve,method_index,method,task,test_acc' ] &&
	[ \$(grep -c '^1,1,sam lr=0.05 rho=0.05,' '$tmp/$exported/earlier.csv') -eq 4 ]" \
	"... earlier.csv: the earlier curve's 4 tasks"
# A sweep typed into the form: one method per value (the cursor is still on
# method 2's rho from the edit above).
T send-keys -t ui e
T send-keys -t ui Enter BSpace BSpace BSpace BSpace BSpace 0 . 1 , 0 . 3 Enter
# Down, as a person would, until method 3 and its rho are on the screen
# (method 2's adaptive, momentum, weight_decay and 8 remedy switches, then
# method 3's optimizer and lr: 13 rows), each key once the last is drawn.
for _ in $(seq 1 20); do
	screen | grep -qE 'method 3 +sam' && screen | grep -qE 'ρ \(radius\) +0.3 ' && break
	T send-keys -t ui Down
	sleep 0.1
done
ok_if "wait_for 'method 3 +sam' && screen | grep -qE 'ρ \\(radius\\) +0.3 '" \
	"rho=0.1,0.3 typed in the form makes method 2 two SAM methods"
T send-keys -t ui Escape
done_testing
