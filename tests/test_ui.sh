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
T() { tmux -L "$sock" "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
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

screen() { T capture-pane -t ui -p; }
# Killing the last session makes the tmux server exit, and a new-session
# sent while it exits can be lost (seen when make check runs tests side by
# side): a second session keeps the server up between the UI's sessions.
retire_ui() { T kill-session -t ui; }
# Wait until the screen matches a regular expression (10 s at most: make
# check runs the training tests beside this one on the same cores).
wait_for() {
	for _ in $(seq 1 200); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
# Wait until the screen no longer matches (5 s at most).
wait_gone() {
	for _ in $(seq 1 100); do
		screen | grep -qE -- "$1" || return 0
		sleep 0.05
	done
	return 1
}
tasks_done() { screen | sed -n 's/^ *\([0-9]*\)\/[0-9]* tasks \[.*/\1/p' | head -1; }

T -f /dev/null new-session -d -s keep -x 80 -y 24 "sleep 600"
T -f /dev/null new-session -d -s ui -x 100 -y 30 \
	"cd '$tmp' && env LANG=C.UTF-8 LC_ALL=C.UTF-8 PLASTICITY_DATA='$tmp/data' XDG_CONFIG_HOME='$tmp/config' \
	 '$PLASTICITY' ui '$tmp/ui.yaml' --jobs 1; echo EXIT=\$? >'$tmp/exit'; stty -a >'$tmp/stty'; sleep 60"
ok_if "wait_for 'Settings'" "the UI opens"
ok_if "screen | grep -qE 'tasks +400' && screen | grep -qE 'hidden +64,64'" "the form shows the preset's values"
ok_if "screen | grep -qE 'method 2 +sam' && screen | grep -qE 'ε \\(rho\\) +0.05'" "methods show optimizer and epsilon"

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
ok_if "screen | LC_ALL=C.UTF-8 grep -qP '● sgd lr=0.1 +[\\x{2800}-\\x{28FF}]+ '" "... and the curve is drawn in braille"
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
T -f /dev/null new-session -d -s ui -x 100 -y 30 \
	"env LANG=C.UTF-8 LC_ALL=C.UTF-8 '$PLASTICITY' ui --open '$tmp/batch'; echo EXIT=\$? >'$tmp/exit'; sleep 60"
ok_if "wait_for 'read-only view'" "ui --open shows a run directory read-only"
ok_if "screen | grep -qE '^■ sam lr=0.05 rho=0.05 +\\*?1 +\\*?5 '" "... with its table filled (1 run, 5 tasks)"
T send-keys -t ui r
sleep 0.3
ok_if "screen | grep -q 'viewing'" "... and r does not start training there"
T send-keys -t ui q
for _ in $(seq 1 100); do [ -s "$tmp/exit" ] && break; sleep 0.05; done
is "$(cat "$tmp/exit" 2>/dev/null)" "EXIT=0" "q leaves the viewer with status 0"

# No command at all: the default preset, from the source tree's experiments/.
rm -f "$tmp/exit"
retire_ui
(cd "$SRCDIR" && T -f /dev/null new-session -d -s ui -x 100 -y 30 \
	"env LANG=C.UTF-8 LC_ALL=C.UTF-8 '$PLASTICITY'; echo EXIT=\$? >'$tmp/exit'; sleep 60")
ok_if "wait_for 'plasticity [0-9.]+ +quick'" "plasticity with no command opens the UI on the quick preset"
T send-keys -t ui F10
for _ in $(seq 1 100); do [ -s "$tmp/exit" ] && break; sleep 0.05; done
is "$(cat "$tmp/exit" 2>/dev/null)" "EXIT=0" "F10 quits"

done_testing
