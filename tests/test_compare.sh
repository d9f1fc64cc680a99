#!/usr/bin/env bash
# plasticity compare and ui --open with several run directories: methods
# side by side, paired only where the runs share seeds, data and settings.
# TAP output.
set -u
. "${SRCDIR:-.}/tests/tap.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plasticity-compare.XXXXXX")
sock="plasticity-cmp-$$"
T() { tmux -L "$sock" "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
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
screen() { T capture-pane -t ui -p; }
wait_for() {
	for _ in $(seq 1 200); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
T -f /dev/null new-session -d -s ui -x 110 -y 30 \
	"env LANG=C.UTF-8 LC_ALL=C.UTF-8 '$PLASTICITY' ui --open '$tmp/A' '$tmp/B'; echo EXIT=\$? >'$tmp/exit'; sleep 60"
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
	"env LANG=C.UTF-8 LC_ALL=C.UTF-8 '$PLASTICITY' ui --open '$tmp/A' '$tmp/C'; sleep 60"
ok_if "wait_for 'no paired statistics: .*C differs from .*A in seed'" "ui --open A C says why nothing is paired"
ok_if "! screen | grep -q 'p.loss vs base'" "... and shows no paired column"
# The help is taller than 24 lines: it scrolls.
T resize-window -t ui -x 80 -y 24 2>/dev/null || T kill-session -t ui
T send-keys -t ui '?'
ok_if "wait_for 'Down/Up: scroll'" "the help says it scrolls on a 24-line screen"
for _ in $(seq 1 40); do T send-keys -t ui Down; done
ok_if "wait_for 'sparklines share one y-axis'" "... and Down reaches its last lines"
done_testing
