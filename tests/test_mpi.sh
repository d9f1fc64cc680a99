#!/usr/bin/env bash
# One grid over the processes of an MPI job (cluster.h), on this machine:
# mpirun --oversubscribe, over shared memory and over TCP on loopback.
# Checks that 1, 2 and 3 processes give the threaded grid's files, that a
# killed or silent rank ends in a clean error and a resumable directory,
# that resuming under another N is exact, that other data on a rank is
# refused by host before anything is written, and that the UI drives the
# grid as rank 0. TAP output.
set -u
. "${SRCDIR:-.}/tests/tap.sh"

if [ "${HAVE_MPI:-no}" != yes ] || [ -z "${MPIRUN:-}" ] || ! [ -x "$MPIRUN" ]; then
	echo "1..0 # SKIP built without MPI (configure found no Open MPI)"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/plasticity-mpi.XXXXXX")
sock="plasticity-mpi-$$"
. "${SRCDIR:-.}/tests/tmux.sh"
# Only this shell cleans up: a background job killed between its fork and
# its exec (a kill right after a start) would otherwise run this trap
# in the child, deleting $tmp under the rest of the test.
trap 'if [ "$BASHPID" = "$$" ]; then T kill-server 2>/dev/null; pkill -KILL -f "$tmp/" 2>/dev/null; rm -rf "$tmp"; fi' EXIT
"$GEN_IDX" "$tmp/data" --train 600 --test 200 >/dev/null
"$GEN_IDX" "$tmp/other" --train 601 --test 200 >/dev/null
export PLASTICITY_DATA="$tmp/data"
# As root (CI) mpirun wants both; a container may forbid the single-copy
# (ptrace) path of shared memory.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
# Under AddressSanitizer, no leak check: Open MPI's plugins keep memory
# until exit and are unloaded by then, so LeakSanitizer can name neither
# them nor a suppression for them (memory errors are still caught).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
mpi() { "$MPIRUN" --oversubscribe "$@"; }
tcp="--mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo"

cat >"$tmp/small.yaml" <<'YAML'
name: small
setting: domain
tasks: 4
hidden: [32, 32]
batch_size: 16
runs: 2
seed: 3
accuracy_matrix: true
save_weights: last
methods:
  - optimizer: sgd
    lr: 0.05
  - optimizer: sam
    lr: 0.05
    rho: 0.05
  - optimizer: gnp
    lr: 0.05
    lambda: 0.01
    r: 0.01
YAML
# Long enough (about 3 s on one core) to kill a rank in the middle.
sed -e 's/^tasks: 4/tasks: 40\nepochs: 3/' -e 's/^runs: 2/runs: 3/' -e 's/^batch_size: 16/batch_size: 1/' \
	-e 's/lr: 0.05/lr: 0.01/' -e '/save_weights/d' "$tmp/small.yaml" >"$tmp/slow.yaml"

# results.csv and summary.csv without their timing columns
# (seconds, samples_per_s), preset.yaml without its comment (it has the
# time it was written); every other file as it is.
untimed() {
	awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) skip[i] = $i == "seconds" || $i ~ /samples/ }
		{ o = ""; for (i = 1; i <= NF; i++) if (!skip[i]) o = o (o == "" ? "" : ",") $i; print o }' "$1"
}
same_dir() { # A B: the same run directory, timing aside
	[ "$(untimed "$1/results.csv")" = "$(untimed "$2/results.csv")" ] &&
		[ "$(untimed "$1/summary.csv")" = "$(untimed "$2/summary.csv")" ] || return 1
	[ "$(grep -v '^#' "$1/preset.yaml")" = "$(grep -v '^#' "$2/preset.yaml")" ] || return 1
	for f in accuracy_matrix.csv comparisons.csv methods.csv; do
		cmp -s "$1/$f" "$2/$f" || return 1
	done
	[ "$(cd "$1" && ls weights 2>/dev/null)" = "$(cd "$2" && ls weights 2>/dev/null)" ] || return 1
	for w in "$1"/weights/*; do
		[ -e "$w" ] || continue
		cmp -s "$w" "$2/weights/${w##*/}" || return 1
	done
}
# The pid of rank R of the job whose run directory is DIR (any rank's
# command line names it).
rank_pid() { # R DIR
	for p in $(pgrep -f -- "$2"); do
		tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" && { echo "$p"; return 0; }
	done
	return 1
}
wait_rows() { # DIR N: results.csv holds at least N rows (20 s at most)
	for _ in $(seq 1 400); do
		[ "$(($(wc -l <"$1/results.csv" 2>/dev/null || echo 1) - 1))" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
# start_slow N NAME: slow.yaml under mpirun -n N into $tmp/NAME (stderr in
# NAME.err) in the background, mpirun itself (not a function's subshell) so
# a signal to $job goes to it as the terminal's would; returns once 30
# tasks are in results.csv.
start_slow() {
	"$MPIRUN" --oversubscribe -n "$1" "$PLASTICITY" run "$tmp/slow.yaml" --out "$tmp/$2" --jobs 1 --quiet \
		>/dev/null 2>"$tmp/$2.err" &
	job=$!
	wait_rows "$tmp/$2" 30
}
no_ranks_left() { # DIR: no process of that job is left (5 s at most)
	for _ in $(seq 1 100); do
		pgrep -f -- "$1" >/dev/null || return 0
		sleep 0.05
	done
	return 1
}

"$PLASTICITY" run "$tmp/small.yaml" --out "$tmp/ref" --jobs 2 --quiet >"$tmp/ref.out" 2>&1
is "$?" 0 "the threaded grid (--jobs 2) runs"

for n in 1 2 3; do
	mpi -n $n "$PLASTICITY" run "$tmp/small.yaml" --out "$tmp/n$n" --jobs 1 --quiet >"$tmp/n$n.out" 2>"$tmp/n$n.err"
	is "$?" 0 "mpirun -n $n exits 0"
	ok_if "same_dir '$tmp/n$n' '$tmp/ref'" \
		"mpirun -n $n --jobs 1: results, summary, accuracy matrix, comparisons and weights are the threaded grid's"
done
is "$(untimed "$tmp/n3.out" | md5sum)" "$(untimed "$tmp/ref.out" | md5sum)" "rank 0 prints the summary, once"
ok_if "[ ! -s '$tmp/n3.err' ]" "--quiet: no rank prints anything"
mpi -n 2 $tcp "$PLASTICITY" run "$tmp/small.yaml" --out "$tmp/tcp" --jobs 2 --quiet >/dev/null 2>"$tmp/tcp.err"
is "$?" 0 "mpirun -n 2 --jobs 2 over TCP on loopback exits 0"
ok_if "same_dir '$tmp/tcp' '$tmp/ref'" "over TCP with 2 jobs a rank: the threaded grid's files"

mpi -n 3 "$PLASTICITY" run "$tmp/small.yaml" --out "$tmp/banner" --jobs 1 >/dev/null 2>"$tmp/banner.err"
ok_if "grep -q '3 jobs on 3 processes' '$tmp/banner.err'" "the banner counts every rank's jobs and the processes"
is "$(grep -c 'task 4/4: acc' "$tmp/banner.err")" 6 "rank 0 prints every run's last task, whichever rank trained it"

# A rank killed mid-grid (SIGKILL): one message naming it, every task kept.
"$PLASTICITY" run "$tmp/slow.yaml" --out "$tmp/slowref" --jobs 2 --quiet >/dev/null 2>&1
start_slow 3 kill
victim=$(rank_pid 2 "$tmp/kill")
kill -KILL "$victim"
wait "$job"
st=$?
ok_if "[ $st -ne 0 ]" "a killed rank ends the job with an error (mpirun: $st)"
ok_if "grep -qE \"rank 2 \\(pid $victim on host $(hostname)\\) died\" '$tmp/kill.err'" \
	"rank 0 names the lost rank, its pid and its host"
ok_if "grep -q 'continue with plasticity run --resume $tmp/kill' '$tmp/kill.err'" "and says how to continue"
rows=$(($(wc -l <"$tmp/kill/results.csv") - 1))
ok_if "[ $rows -ge 30 ] && [ $rows -lt 360 ]" "results.csv keeps the finished tasks ($rows of 360)"
ok_if "no_ranks_left '$tmp/kill'" "no process of the job is left"
cp -r "$tmp/kill" "$tmp/kill1"
mpi -n 2 "$PLASTICITY" run --resume "$tmp/kill" --jobs 1 --quiet >/dev/null 2>&1
is "$?" 0 "resumed under mpirun -n 2"
ok_if "same_dir '$tmp/kill' '$tmp/slowref'" "resumed under 2 processes: the uninterrupted grid's files"
"$PLASTICITY" run --resume "$tmp/kill1" --quiet >/dev/null 2>&1
ok_if "same_dir '$tmp/kill1' '$tmp/slowref'" "resumed in one process: the same"

# Stopped (SIGINT to mpirun, as Ctrl-C), then resumed under 3 processes.
start_slow 2 int
kill -INT "$job"
wait "$job"
ok_if "grep -qE 'plasticity: (terminated|interrupted); [0-9]+ of 360 tasks finished, kept in' '$tmp/int.err'" \
	"Ctrl-C: rank 0 stops the grid and says what is kept"
ok_if "no_ranks_left '$tmp/int'" "Ctrl-C stops every rank"
mpi -n 3 "$PLASTICITY" run --resume "$tmp/int" --jobs 1 --quiet >/dev/null 2>&1
is "$?" 0 "an interrupted 2-process grid resumes under 3"
ok_if "same_dir '$tmp/int' '$tmp/slowref'" "resumed under another N: the uninterrupted grid's files"

# A rank that stops answering (SIGSTOP: its process is there, its
# heartbeats are not) is lost after its timeout, 10 s.
start_slow 3 stop
victim=$(rank_pid 1 "$tmp/stop")
kill -STOP "$victim"
wait "$job"
ok_if "grep -qE 'rank 1 \\(pid $victim on host [^)]*\\) has sent nothing for 1[0-9.]+ s' '$tmp/stop.err'" \
	"a silent rank is named once its heartbeat is 10 s late"
ok_if "no_ranks_left '$tmp/stop'" "the job ends (the silent rank too)"
mpi -n 2 "$PLASTICITY" run --resume "$tmp/stop" --jobs 1 --quiet >/dev/null 2>&1
ok_if "same_dir '$tmp/stop' '$tmp/slowref'" "and its directory resumes exactly"

# Other data on one rank: refused by host before anything is written.
mpi -n 2 "$PLASTICITY" run "$tmp/small.yaml" --out "$tmp/mix" --quiet : \
	-n 1 -x PLASTICITY_DATA="$tmp/other" "$PLASTICITY" run "$tmp/small.yaml" --out "$tmp/mix" --quiet \
	>/dev/null 2>"$tmp/mix.err"
ok_if "grep -qE \"^plasticity: rank 2 \\(pid [0-9]+ on host $(hostname)\\): its mnist data \\($tmp/other\\) is not rank 0's .*CRC-32\" '$tmp/mix.err'" \
	"a rank with other data is named, with both folders"
is "$(grep -c '^plasticity:' "$tmp/mix.err")" 1 "one message, from rank 0"
ok_if "[ ! -e '$tmp/mix' ]" "no run directory is made"
mpi -n 2 "$PLASTICITY" run "$tmp/small.yaml" --out "$tmp/none" --quiet : \
	-n 1 env -u PLASTICITY_DATA XDG_DATA_HOME="$tmp/nowhere" "$PLASTICITY" run "$tmp/small.yaml" --out "$tmp/none" --quiet \
	>/dev/null 2>&1
ok_if "same_dir '$tmp/none' '$tmp/ref'" "a rank that finds no data of its own reads rank 0's folder"
mpi -n 3 "$PLASTICITY" run "$tmp/nosuch.yaml" >/dev/null 2>"$tmp/bad.err"
is "$(grep -c '^plasticity:' "$tmp/bad.err")" 1 "a preset error is reported once"
ok_if "grep -q 'nosuch.yaml' '$tmp/bad.err'" "naming the preset"

# The UI as rank 0: refused while mpirun forwards its stdin, else it
# trains the grid over every rank.
mpi -n 2 "$PLASTICITY" ui "$tmp/small.yaml" </dev/null >/dev/null 2>"$tmp/uistdin.err"
ok_if "grep -q \"mpirun --stdin none\" '$tmp/uistdin.err'" "ui under mpirun without --stdin none says what to run"
if command -v tmux >/dev/null; then
	mkdir -p "$tmp/w"
	T -f /dev/null new-session -d -s keep -x 80 -y 24 "sleep 600"
	T -f /dev/null new-session -d -s ui -x 110 -y 32 \
		"cd '$tmp/w' && env LANG=C.UTF-8 LC_ALL=C.UTF-8 '$MPIRUN' --oversubscribe --stdin none -n 3 \
		 '$PLASTICITY' ui '$tmp/small.yaml' --jobs 1 2>'$tmp/ui.err'; echo EXIT=\$? >'$tmp/ui.exit'; sleep 60"
	ok_if "wait_for 'Settings'" "mpirun --stdin none -n 3 plasticity ui: the UI opens on rank 0"
	T send-keys -t ui r
	ok_if "wait_for '^done: 24 tasks'" "r trains the grid over the 3 ranks"
	T send-keys -t ui q
	for _ in $(seq 1 100); do [ -s "$tmp/ui.exit" ] && break; sleep 0.05; done
	is "$(cat "$tmp/ui.exit" 2>/dev/null)" "EXIT=0" "q ends every rank, status 0"
	uidir=$(ls -d "$tmp"/w/runs/small-* 2>/dev/null | head -1)
	ok_if "[ -n '$uidir' ] && same_dir '$uidir' '$tmp/ref'" "the UI's run directory is the threaded grid's"
else
	tap_result 0 "# SKIP tmux is not installed"
fi
done_testing
