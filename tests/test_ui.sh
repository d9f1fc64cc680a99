#!/usr/bin/env bash
# The interactive front end, driven as a person would: the real program in a
# detached tmux session, keys sent with send-keys, the screen read back with
# capture-pane. TAP output.
set -u
. "${SRCDIR:-.}/tests/tap.sh"

if ! command -v tmux >/dev/null; then
	echo "1..0 # SKIP tmux is not installed"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/plasticity-ui.XXXXXX")
sock="plasticity-test-$$"
. "${SRCDIR:-.}/tests/tmux.sh"
# Only this shell cleans up: a background job killed between its fork and
# its exec (a kill right after a start) would otherwise run this trap
# in the child, deleting $tmp under the rest of the test.
trap 'if [ "$BASHPID" = "$$" ]; then T kill-server 2>/dev/null; rm -rf "$tmp"; fi' EXIT
"$GEN_IDX" "$tmp/data" --train 3000 --test 500 >/dev/null
cp -r "$SRCDIR/themes" "$tmp/themes" # as when run from the source tree
cat >"$tmp/ui.yaml" <<'YAML'
name: uitest
tasks: 400
hidden: [64, 64]
batch_size: 32
runs: 1
methods:
  - optimizer: sgd
    lr: 0.05
  - optimizer: sam
    lr: 0.05
    rho: 0.05
YAML

# Killing the last session makes the tmux server exit, and a new-session
# sent while it exits can be lost (seen when make check runs tests side by
# side): a second session keeps the server up between the UI's sessions.
retire_ui() { T kill-session -t ui; }
tasks_done() { screen | sed -n 's/^ *\([0-9]*\)\/[0-9]* tasks \[.*/\1/p' | head -1; }

T -f /dev/null new-session -d -s keep -x 80 -y 24 "sleep 600"
T -f /dev/null new-session -d -s ui -x 100 -y 30 \
	"cd '$tmp' && env LANG=C.UTF-8 LC_ALL=C.UTF-8 PLASTICITY_DATA='$tmp/data' XDG_CONFIG_HOME='$tmp/config' \
	 '$PLASTICITY' ui '$tmp/ui.yaml' --jobs 1; echo EXIT=\$? >'$tmp/exit'; stty -a >'$tmp/stty'; sleep 60"
ok_if "wait_for 'Settings'" "the UI opens"
ok_if "screen | grep -qE 'tasks +400' && screen | grep -qE 'hidden +64,64'" "the form shows the preset's values"
ok_if "screen | grep -qE 'method 1 +sgd' && screen | grep -qE '^ +l2_init +0 ' && screen | grep -qE '^ +redo +none '" \
	"method 1 shows its optimizer and the switches of the remedies"

# Edit method 1's learning rate to something invalid.
T send-keys -t ui e
for _ in $(seq 1 11); do T send-keys -t ui Down; done
T send-keys -t ui Enter BSpace BSpace BSpace BSpace - 1
ok_if "wait_for 'must be > 0, got -1'" "an invalid learning rate shows the error beside the field"
T send-keys -t ui BSpace BSpace 0 . 1 Enter
ok_if "wait_for 'lr +0.1 '" "a valid learning rate is accepted"
T send-keys -t ui Escape
sleep 0.2

# Start and watch the sparklines and the table fill in.
T send-keys -t ui r
ok_if "wait_for 'running'" "r starts training"
ok_if "wait_for '^ *[0-9]+/800 tasks'" "the progress line counts tasks"
ok_if "screen | grep -qE '^ run directory: runs/uitest-[0-9]{8}-[0-9]{6}'" "the status area names the run directory"
ok_if "wait_for '● sgd lr=0.1 +[▁▂▃▄▅▆▇█]+ +[01]\\.[0-9]{3}'" "the sgd sparkline fills in with its latest value"
ok_if "screen | grep -qE '^● sgd lr=0.1 +\\*?[0-9]+ +\\*?[0-9]+ +\\*?[01]\\.[0-9]{3}'" "the table shows sgd's tasks and accuracy"

T send-keys -t ui p
ok_if "wait_for '^ paused'" "p pauses"
sleep 0.3
a=$(tasks_done)
sleep 1
b=$(tasks_done)
is "$b" "$a" "no task finishes while paused ($a)"
T send-keys -t ui p
ok_if "wait_for '^ running'" "p resumes"
sleep 1
c=$(tasks_done)
ok_if "[ '$c' -gt '$a' ]" "training continues after resume ($a -> $c)"

T resize-window -t ui -x 60 -y 20
ok_if "wait_for 'terminal too small \\(need 80x24\\)'" "60x20 shows the too-small message"
T resize-window -t ui -x 100 -y 30
ok_if "wait_for 'Settings' && ! screen | grep -q 'too small'" "enlarging restores the layout"

T send-keys -t ui '?'
ok_if "wait_for 'plasticity loss = first - last'" "? shows the help with metric definitions"
T send-keys -t ui Escape
ok_if "wait_gone 'plasticity loss = first'" "any key closes the help"
T send-keys -t ui x
ok_if "wait_for '^ stopped'" "x stops the run"

T send-keys -t ui t
ok_if "wait_for 'theme high-contrast'" "t switches to the next theme"
T send-keys -t ui g
ok_if "wait_for 'sparklines: braille'" "g switches the sparkline style"
ok_if "screen | LC_ALL=C.UTF-8 grep -qP '● sgd.*? [\\x{2800}-\\x{28FF}]+'" "... and the curve is drawn in braille"
T send-keys -t ui 8
ok_if "wait_for '\\^mean'" "8 sorts the table by mean"
T send-keys -t ui s
ok_if "wait_for 'Save preset as'" "s asks for a name"
T send-keys -t ui C-u
for _ in $(seq 1 10); do T send-keys -t ui BSpace; done
T send-keys -t ui m y - p r e s e t Enter
ok_if "wait_for 'saved .*my-preset.yaml'" "the preset is saved"
"$PLASTICITY" run "$tmp/config/plasticity/presets/my-preset.yaml" --print-config >"$tmp/saved.yaml" 2>&1
is "$?" 0 "the saved preset loads with plasticity run --print-config"
ok_if "grep -q 'lr: 0.1$' '$tmp/saved.yaml' && grep -q '^tasks: 400$' '$tmp/saved.yaml'" "... with the edited learning rate"

T send-keys -t ui w
ok_if "wait_for 'exported runs/uitest-'" "w exports the run directory"
exported=$(ls -d "$tmp"/runs/uitest-* 2>/dev/null | head -1)
ok_if "[ -s '$exported/results.csv' ] && [ -s '$exported/summary.csv' ] && [ -s '$exported/preset.yaml' ]" \
	"... with results.csv, summary.csv and preset.yaml"

T send-keys -t ui q
for _ in $(seq 1 100); do [ -s "$tmp/exit" ] && break; sleep 0.05; done
is "$(cat "$tmp/exit" 2>/dev/null)" "EXIT=0" "q exits with status 0"
ok_if "grep -q ' icanon' '$tmp/stty' && grep -q ' echo ' '$tmp/stty'" "the terminal is restored (canonical mode, echo)"

# A second session: no UTF-8 locale, no color; Ctrl-C in the middle of a run.
rm -f "$tmp/exit" "$tmp/stty"
retire_ui
(cd "$tmp" && T -f /dev/null new-session -d -s ui -x 90 -y 26 \
	"env LANG=C LC_ALL=C NO_COLOR=1 PLASTICITY_DATA='$tmp/data' XDG_CONFIG_HOME='$tmp/config' \
	 '$PLASTICITY' ui '$tmp/ui.yaml' --jobs 1 2>'$tmp/ui.err'; echo EXIT=\$? >'$tmp/exit'; stty -a >'$tmp/stty'; sleep 60")
ok_if "wait_for 'Settings'" "the UI opens in the C locale"
T send-keys -t ui r
ok_if "wait_for '\\| o sgd lr=0.05 +[_.~=+*#-]+ +[01][.][0-9]{3}'" "a non-UTF-8 locale gets ASCII glyphs and sparklines"
ok_if "! screen | LC_ALL=C grep -qP '[\\x80-\\xff]'" "... and no UTF-8 bytes on screen"
sleep 0.5
T send-keys -t ui C-c
for _ in $(seq 1 100); do [ -s "$tmp/exit" ] && break; sleep 0.05; done
is "$(cat "$tmp/exit" 2>/dev/null)" "EXIT=130" "Ctrl-C exits with status 130"
ok_if "grep -q ' icanon' '$tmp/stty' && grep -q ' echo ' '$tmp/stty'" "... with the terminal restored"
kept=$(sed -n 's/.* tasks kept in \(.*\)$/\1/p' "$tmp/ui.err")
ok_if "[ -n '$kept' ] && [ -s '$tmp/$kept/results.csv' ] && [ -s '$tmp/$kept/summary.csv' ]" \
	"... and the finished tasks are kept in a run directory ($kept)"

# A finished batch run, looked at later.
PLASTICITY_DATA="$tmp/data" "$PLASTICITY" run "$tmp/ui.yaml" tasks=5 --out "$tmp/batch" --quiet >/dev/null 2>"$tmp/batch.err" ||
	sed 's/^/# batch run: /' "$tmp/batch.err"
rm -f "$tmp/exit"
retire_ui
# 130 columns: the table also has its "loss vs base" column (two methods).
T -f /dev/null new-session -d -s ui -x 130 -y 30 \
	"env LANG=C.UTF-8 LC_ALL=C.UTF-8 '$PLASTICITY' ui --open '$tmp/batch'; echo EXIT=\$? >'$tmp/exit'; sleep 60"
ok_if "wait_for 'read-only view'" "ui --open shows a run directory read-only"
ok_if "screen | grep -qE '^■ sam lr=0.05 rho=0.05 +\\*?1 +\\*?5 '" "... with its table filled (1 run, 5 tasks)"
T send-keys -t ui r
sleep 0.3
ok_if "screen | grep -q 'viewing'" "... and r does not start training there"
ok_if "screen | grep -qE '^  method .* p.loss vs base' && screen | grep -qE '^● sgd lr=0.05 .* base\$' && screen | grep -qE '^■ sam lr=0.05 rho=0.05 .* [+-][0-9]\.[0-9]{3}[ *]?\$'" \
	"the table shows each method's paired difference to the baseline (base: sgd)"
# m shows a diagnostic as the table's last column, the latest task's value.
T send-keys -t ui m
ok_if "wait_for '^  method .* online_acc\$'" "m adds a diagnostic column to the table (online_acc)"
ok_if "screen | grep -qE '^■ sam lr=0.05 rho=0.05 .* [0-9.]+\$'" "... with each method's latest value"
T send-keys -t ui m
ok_if "wait_for '^  method .* dead\$'" "m again: the next diagnostic (dead)"
# The diagnostics view of the finished run: v switches to it.
T send-keys -t ui v
ok_if "wait_for '^ diagnostics on the probe set'" "v switches to the diagnostics view"
ok_if "screen | grep -qE '^ online_acc +axis [0-9.]+ \.\. [0-9.]+' && screen | grep -qE '^ dead \(mean of layers\) +axis'" \
	"... one line per metric with its shared axis (online_acc, dead, ...)"
ok_if "screen | grep -qE '^ ■ sam lr=0.05 rho=0.05 +[^ ]+ +[0-9.]+$'" \
	"... and a sparkline per method, in the method's glyph, with its latest value"
T send-keys -t ui l
ok_if "wait_for '^ dead +axis .* layer 1'" "l shows one layer (layer 1)"
T send-keys -t ui '?'
ok_if "wait_for 'dormant +units with s_i <= dormant_tau'" "? there defines every metric"
T send-keys -t ui Escape
T send-keys -t ui v
ok_if "wait_for '^ accuracy matrix: row'" "v again: the accuracy-matrix view"
T send-keys -t ui v
ok_if "wait_for 'read-only view'" "... and again returns to the main view"
T send-keys -t ui q
for _ in $(seq 1 100); do [ -s "$tmp/exit" ] && break; sleep 0.05; done
is "$(cat "$tmp/exit" 2>/dev/null)" "EXIT=0" "q leaves the viewer with status 0"

# The accuracy-matrix heatmap of a run that recorded it, with backward
# transfer and forgetting checked against accuracy_matrix.csv in awk.
PLASTICITY_DATA="$tmp/data" "$PLASTICITY" run "$tmp/ui.yaml" tasks=4 accuracy_matrix=true setting=class train_examples=30 \
	--out "$tmp/heat" --quiet >/dev/null 2>&1
bwt=$(awk -F, 'NR > 1 && $1 == 0 { r[$4, $5] += $6; n[$4, $5]++ }
	END { for (j = 1; j < 4; j++) s += r[4, j] / n[4, j] - r[j, j] / n[j, j]; printf "%+.4f", s / 3 }' \
	"$tmp/heat/accuracy_matrix.csv")
rm -f "$tmp/exit"
retire_ui
T -f /dev/null new-session -d -s ui -x 100 -y 30 \
	"env LANG=C.UTF-8 LC_ALL=C.UTF-8 '$PLASTICITY' ui --open '$tmp/heat'; echo EXIT=\$? >'$tmp/exit'; sleep 60"
ok_if "wait_for 'read-only view'" "ui --open on a run with the accuracy matrix"
T send-keys -t ui v
sleep 0.2
T send-keys -t ui v
ok_if "wait_for '^ accuracy matrix: row = after task i'" "v twice: the heatmap view"
ok_if "screen | grep -qE '^ ● sgd lr=0.05' && screen | grep -qE '^ [ .:=+*#%@-]{1,4} +(tasks 4|BWT|forgetting)?'" \
	"... one method's lower triangle, shaded"
shown=$(screen | sed -n 's/.*BWT *\([-+][0-9.]*\).*/\1/p' | head -1)
ok_if "[ -n '$shown' ] && awk 'BEGIN { d = ($shown) - ($bwt); exit !(d < 1e-4 && d > -1e-4) }'" \
	"... with backward transfer $shown, as computed from accuracy_matrix.csv ($bwt)"
T send-keys -t ui ']'
ok_if "wait_for '^ ■ sam lr=0.05 rho=0.05'" "] shows the next method"
T send-keys -t ui '?'
ok_if "wait_for 'BWT +backward transfer \\(Lopez-Paz'" "? there defines BWT and forgetting"
T send-keys -t ui Escape
T send-keys -t ui f
ok_if "wait_for 'figures: [0-9]+ PNG files in .*heat/figures/'" "f writes the figures and names their folder"
ok_if "[ -s '$tmp/heat/figures/accuracy.png' ] && [ -s '$tmp/heat/figures/matrix-2.png' ] &&
	[ \"\$(head -c 4 '$tmp/heat/figures/accuracy.png' | od -An -c | tr -d ' ')\" = '211PNG' ]" \
	"... accuracy and both matrices as PNG files"
T send-keys -t ui q
for _ in $(seq 1 100); do [ -s "$tmp/exit" ] && break; sleep 0.05; done

# No command at all: the default preset, from the source tree's experiments/.
rm -f "$tmp/exit"
retire_ui
(cd "$SRCDIR" && T -f /dev/null new-session -d -s ui -x 100 -y 30 \
	"env LANG=C.UTF-8 LC_ALL=C.UTF-8 '$PLASTICITY'; echo EXIT=\$? >'$tmp/exit'; sleep 60")
ok_if "wait_for 'plasticity [0-9.]+ +quick'" "plasticity with no command opens the UI on the quick preset"
T send-keys -t ui F10
for _ in $(seq 1 100); do [ -s "$tmp/exit" ] && break; sleep 0.05; done
is "$(cat "$tmp/exit" 2>/dev/null)" "EXIT=0" "F10 quits"

# ---- The UI's grid is a run directory like plasticity run's -------------
cat >"$tmp/r.yaml" <<'YAML'
name: uiresume
tasks: 60
hidden: [32]
batch_size: 32
runs: 2
accuracy_matrix: true
methods:
  - optimizer: sgd
    lr: 0.05
  - optimizer: sam
    lr: 0.05
    rho: 0.05
YAML
PLASTICITY_DATA="$tmp/data" "$PLASTICITY" run "$tmp/r.yaml" --out "$tmp/ref" --quiet --jobs 1 >/dev/null 2>&1
# A results file without its timing columns (they differ from run to run).
untimed() {
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds" || $i == "train_seconds" || $i == "samples_per_s") skip[i] = 1 }
		{ o = ""; for (i = 1; i <= NF; i++) if (!skip[i]) o = o (o == "" ? "" : ",") $i; print o }' "$1"
}
same_as_ref() { # DIR: results and accuracy matrix equal the uninterrupted headless run
	[ "$(untimed "$1/results.csv")" = "$(untimed "$tmp/ref/results.csv")" ] &&
		cmp -s "$1/accuracy_matrix.csv" "$tmp/ref/accuracy_matrix.csv"
}
# launch W H CWD ARGS...: the UI in a fresh tmux session; its pid in $tmp/pid.
launch() {
	local w=$1 h=$2 dir=$3
	shift 3
	rm -f "$tmp/exit" "$tmp/pid"
	T kill-session -t ui 2>/dev/null
	T -f /dev/null new-session -d -s ui -x "$w" -y "$h" \
		"cd $dir && sh -c 'echo \$\$ >$tmp/pid; exec env LANG=C.UTF-8 LC_ALL=C.UTF-8 PLASTICITY_DATA=$tmp/data XDG_CONFIG_HOME=$tmp/config XDG_STATE_HOME=$tmp/state $PLASTICITY ui $* --jobs 1' 2>$tmp/ui.err; echo EXIT=\$? >$tmp/exit; sleep 60"
	[ -n "${NOWAIT:-}" ] || wait_for 'run directory:'
}
wait_exit() { for _ in $(seq 1 200); do [ -s "$tmp/exit" ] && break; sleep 0.05; done; cat "$tmp/exit" 2>/dev/null; }
wait_tasks() { # at least N tasks done (20 s at most)
	for _ in $(seq 1 400); do [ "$(tasks_done)" -ge "$1" ] 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
wait_long() { for _ in $(seq 1 600); do screen | grep -qE -- "$1" && return 0; sleep 0.05; done; return 1; }
kept_dir() { sed -n 's/.* tasks kept in \(.*\)$/\1/p' "$tmp/ui.err" | head -1; }

# The main view at 80x24, before training: the layout, pinned (memory and version aside).
launch 80 24 "$tmp" "$tmp/ui.yaml"
screen | sed -E 's/[0-9]+ MB/N MB/; s/plasticity [0-9][0-9.]* /plasticity V /; s/r takes ~[0-9:]+/r takes ~T/' >"$tmp/golden.txt"
ok_if "diff -u '$SRCDIR/tests/ui-main-80x24.golden' '$tmp/golden.txt' >&2" "the main view at 80x24 matches its golden screen"

# q after a finished grid: the results are in the run directory, and q says where.
mkdir -p "$tmp/w1"
launch 100 30 "$tmp/w1" "$tmp/r.yaml" tasks=3
T send-keys -t ui r
ok_if "wait_long '^done: 12 tasks'" "a short grid finishes in the UI"
first=$(screen | sed -n 's/^ run directory: \(runs\/uiresume-[0-9-]*\) *$/\1/p')
T send-keys -t ui r # a second grid: a second run directory
for _ in $(seq 1 400); do
	dir=$(screen | sed -n 's/^ run directory: \(runs\/uiresume-[0-9-]*\) *$/\1/p')
	[ "$dir" != "$first" ] && screen | grep -qE '^done: 12 tasks' && break
	sleep 0.05
done
T send-keys -t ui q
is "$(wait_exit)" "EXIT=0" "q after the grid exits with status 0"
ok_if "[ -n '$dir' ] && [ '$dir' != '$first' ] && grep -qx 'plasticity: results in $dir' '$tmp/ui.err'" "... and says where the results are ($dir)"
ok_if "grep -qx 'plasticity: earlier results in $first' '$tmp/ui.err' && [ -s '$tmp/w1/$first/summary.csv' ]" \
	"... and where the earlier grid's are ($first)"
is "$(tail -n +2 "$tmp/w1/$dir/results.csv" 2>/dev/null | wc -l)" 12 "... and results.csv holds every row"
ok_if "[ -s '$tmp/w1/$dir/summary.csv' ] && [ -s '$tmp/w1/$dir/identity.yaml' ] && [ ! -e '$tmp/w1/$dir/checkpoints' ]" \
	"... with summary and identity, and no checkpoints left"

# q while training, answered y: finished tasks kept, run --resume completes them.
mkdir -p "$tmp/w2"
launch 100 30 "$tmp/w2" "$tmp/r.yaml"
T send-keys -t ui r
wait_tasks 5
T send-keys -t ui q
ok_if "wait_for 'Finished tasks are kept in runs/uiresume-'" "the quit prompt says where finished tasks are kept"
T send-keys -t ui y
is "$(wait_exit)" "EXIT=0" "y quits with status 0"
kept=$(kept_dir)
ok_if "[ -n '$kept' ] && [ \$(tail -n +2 '$tmp/w2/$kept/results.csv' | wc -l) -ge 5 ]" "... keeping the finished tasks in $kept"
ok_if "grep -q 'plasticity ui --resume $kept' '$tmp/ui.err'" "... and says how to continue"
(cd "$tmp/w2" && PLASTICITY_DATA="$tmp/data" "$PLASTICITY" run --resume "$kept" --quiet --jobs 1 >/dev/null 2>&1)
is "$?" 0 "run --resume completes the UI's grid"
ok_if "same_as_ref '$tmp/w2/$kept'" "... with results identical to an uninterrupted headless run"

# Ctrl-C while training: the same.
mkdir -p "$tmp/w3"
launch 100 30 "$tmp/w3" "$tmp/r.yaml"
T send-keys -t ui r
wait_tasks 5
T send-keys -t ui C-c
is "$(wait_exit)" "EXIT=130" "Ctrl-C while training exits with status 130"
kept=$(kept_dir)
(cd "$tmp/w3" && PLASTICITY_DATA="$tmp/data" "$PLASTICITY" run --resume "$kept" --quiet --jobs 1 >/dev/null 2>&1)
ok_if "[ -n '$kept' ] && same_as_ref '$tmp/w3/$kept'" "... and run --resume completes it identically ($kept)"

# SIGKILL mid-grid, then ui --resume: training continues at once and completes.
mkdir -p "$tmp/w4"
launch 100 30 "$tmp/w4" "$tmp/r.yaml"
T send-keys -t ui r
wait_tasks 5
dir=$(screen | sed -n 's/^ run directory: \(runs\/uiresume-[0-9-]*\) *$/\1/p')
kill -KILL "$(cat "$tmp/pid")"
is "$(wait_exit)" "EXIT=137" "SIGKILL ends the UI mid-grid"
launch 100 30 "$tmp/w4" --resume "$dir"
ok_if "screen | grep -qE '^ run directory: $dir *\$'" "ui --resume shows the run directory"
ok_if "wait_long '^done: 240 tasks'" "... continues training it at once, to the end"
T send-keys -t ui q
is "$(wait_exit)" "EXIT=0" "... and q exits with status 0"
ok_if "[ -n '$dir' ] && same_as_ref '$tmp/w4/$dir'" "... with results identical to an uninterrupted headless run"
NOWAIT=1 launch 100 30 "$tmp/w4" --resume "$dir" tasks=5
is "$(wait_exit)" "EXIT=64" "ui --resume refuses KEY=VALUE"

# Rerun only what changed: after an edit of method 2's rho, r trains method 2
# again and keeps method 1's finished runs (same seeds, so the same numbers).
mkdir -p "$tmp/w6"
launch 110 40 "$tmp/w6" "$tmp/r.yaml" tasks=3
ok_if "screen | grep -qE 'idle +elapsed 00:00  r takes ~[0-9:]+ '" "before a start the status line estimates how long r takes"
T send-keys -t ui r
ok_if "wait_long '^done: 12 tasks'" "a first grid"
first=$(screen | sed -n 's/^ run directory: \(runs\/uiresume-[0-9-]*\) *$/\1/p')
T send-keys -t ui e
for _ in $(seq 1 24); do T send-keys -t ui Down; done
T send-keys -t ui Enter BSpace BSpace BSpace BSpace BSpace 0 . 1 Enter
ok_if "wait_for 'ρ \\(radius\\) +0.1 '" "the form edits method 2's rho"
T send-keys -t ui Escape
sleep 0.2
T send-keys -t ui r
ok_if "wait_long '^done: 12 tasks in [0-9]+ s \\(2 of 4 runs reused\\)'" \
	"r after the edit reuses method 1's 2 runs, trains the rest and says so"
second=$(screen | sed -n 's/^ run directory: \(runs\/uiresume-[0-9-]*\) *$/\1/p')
ok_if "[ -n '$first' ] && [ '$first' != '$second' ] &&
	[ \"\$(untimed '$tmp/w6/$first/results.csv' | grep '^0,')\" = \"\$(untimed '$tmp/w6/$second/results.csv' | grep '^0,')\" ] &&
	[ \$(untimed '$tmp/w6/$second/results.csv' | grep -c '^1,sam lr=0.05 rho=0.1,') -eq 6 ]" \
	"... into its own run directory: method 1's rows as before, method 2's trained at rho 0.1"
ok_if "! screen | grep -qE '\\(e\\) ?sgd' && screen | grep -qE '\\(e\\) ?sam lr=0.05 rho=0.05'" \
	"only the changed method's earlier curve is kept to compare"
T send-keys -t ui q
wait_exit >/dev/null

# A working directory that cannot be written: the state folder takes the run,
# and Ctrl-C loses nothing. (Root writes anywhere: a file named runs blocks it too.)
mkdir -p "$tmp/w5" && touch "$tmp/w5/runs" && chmod a-w "$tmp/w5"
launch 100 30 "$tmp/w5" "$tmp/r.yaml"
T send-keys -t ui r
ok_if "wait_for 'run directory: $tmp/state/plasticity/runs/uiresume-'" "a read-only working directory falls back to the state folder"
wait_tasks 3
T send-keys -t ui C-c
is "$(wait_exit)" "EXIT=130" "Ctrl-C there exits with status 130"
kept=$(kept_dir)
ok_if "case '$kept' in '$tmp'/state/plasticity/runs/uiresume-*) [ \$(tail -n +2 '$kept/results.csv' | wc -l) -ge 3 ];; *) false;; esac" \
	"... and the finished tasks are kept there ($kept)"
chmod u+w "$tmp/w5"
T kill-session -t ui

done_testing
