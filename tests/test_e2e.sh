#!/usr/bin/env bash
# End-to-end: `plasticity run` on small generated IDX data. Checks the run
# directory's files, determinism across --jobs and repeats, and that Ctrl-C
# keeps every finished task's rows. TAP output.
set -u
. "${SRCDIR:-.}/tests/tap.sh"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plasticity-e2e.XXXXXX")
# Only this shell cleans up: a background job killed between its fork and
# its exec (a kill right after a start) would otherwise run this trap
# in the child, deleting $tmp under the rest of the test.
trap 'if [ "$BASHPID" = "$$" ]; then rm -rf "$tmp"; fi' EXIT
"$GEN_IDX" "$tmp/data" --train 600 --test 200 >/dev/null
export PLASTICITY_DATA="$tmp/data"
cat > "$tmp/small.yaml" <<'YAML'
name: small
setting: domain
tasks: 4
hidden: [32, 32]
batch_size: 16
runs: 2
seed: 3
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

# Everything but the timing columns (seconds, samples_per_s are the last two).
strip_times() { awk -F, -v OFS=, '{ NF -= 2; print }' "$1"; }

"$PLASTICITY" run "$tmp/small.yaml" --out "$tmp/a" --jobs 1 >"$tmp/a.out" 2>"$tmp/a.err"
is "$?" 0 "run exits 0"
for f in preset.yaml results.csv summary.csv; do
	ok_if "[ -s '$tmp/a/$f' ]" "run directory has $f"
done
is "$(head -1 "$tmp/a/results.csv")" \
	"method_index,method,optimizer,lr,rho,lambda,run,seed,task,digits,test_acc,train_loss,diverged,online_acc,dead_l1,dead_l2,dormant_l1,dormant_l2,erank_l1,erank_l2,arank_l1,arank_l2,wmag_l1,wmag_l2,wmag_l3,dist_init,grad_norm,sharpness,lambda_max,hessian_trace,probe_loss,probe_acc,redo_reset,redo_revived,redo_dormant,cbp_replaced,seconds,samples_per_s" \
	"results.csv header"
is "$(($(wc -l <"$tmp/a/results.csv") - 1))" 24 "results.csv has 3 methods x 2 runs x 4 tasks rows"
is "$(($(wc -l <"$tmp/a/summary.csv") - 1))" 3 "summary.csv has one row per method"
is "$(grep -c '^1,sam lr=0.05 rho=0.05,sam,0.05,0.05,,' "$tmp/a/results.csv")" 8 "sam rows name index, optimizer, lr and rho"
ok_if "grep -q '^method ' '$tmp/a.out' && grep -q '^gnp lr=0.05 lambda=0.01 r=0.01 ' '$tmp/a.out'" \
	"summary table printed on stdout"
ok_if "grep -q 'task 4/4: acc' '$tmp/a.err'" "not a terminal: one line per finished task on stderr"
ok_if "! ls '$tmp/a' | grep -q tmp" "no temporary files left behind"
last_acc=$(awk -F, 'NR>1 && $2=="sgd lr=0.05" && $9==4 {print $11; exit}' "$tmp/a/results.csv")
ok_if "awk 'BEGIN{exit !($last_acc > 0.5)}'" "sgd learns the generated task 4 (acc $last_acc)"

"$PLASTICITY" run "$tmp/a/preset.yaml" --out "$tmp/b" --jobs 2 --quiet >/dev/null 2>"$tmp/b.err"
is "$?" 0 "rerun from the saved preset.yaml with --jobs 2 exits 0"
is "$(strip_times "$tmp/b/results.csv" | md5sum)" "$(strip_times "$tmp/a/results.csv" | md5sum)" \
	"--jobs 1 and --jobs 2 give identical results.csv (timing columns aside)"
ok_if "[ ! -s '$tmp/b.err' ]" "--quiet prints nothing on stderr"
"$PLASTICITY" run "$tmp/small.yaml" --out "$tmp/c" --jobs 2 --quiet >/dev/null 2>&1
is "$(strip_times "$tmp/c/results.csv" | md5sum)" "$(strip_times "$tmp/b/results.csv" | md5sum)" \
	"two runs in a row give identical results.csv"
is "$(cut -d, -f1-16,18- "$tmp/c/summary.csv" | md5sum)" \
	"$(cut -d, -f1-16,18- "$tmp/a/summary.csv" | md5sum)" "summary.csv is deterministic too (samples/s aside)"

"$PLASTICITY" run "$tmp/small.yaml" --out "$tmp/a" >/dev/null 2>"$tmp/exists.err"
is "$?" 73 "an existing, non-empty run directory is refused"
is "$(cat "$tmp/exists.err")" \
	"plasticity: $tmp/a: run directory exists and is not empty (use --force to overwrite)" \
	"... with a message naming it"

"$PLASTICITY" run "$tmp/small.yaml" setting=class tasks=3 runs=1 --out "$tmp/cls" --quiet >/dev/null 2>&1
is "$?" 0 "class-incremental run exits 0"
is "$(awk -F, 'NR>1 {print $10}' "$tmp/cls/results.csv" | sort -u | tr '\n' ' ')" "0-1 0-2 0-3 " \
	"class tasks are digit pairs 0-1, 0-2, 0-3"

"$PLASTICITY" run "$tmp/small.yaml" accuracy_matrix=true runs=1 tasks=3 --out "$tmp/m" --quiet >/dev/null 2>&1
is "$(($(wc -l <"$tmp/m/accuracy_matrix.csv") - 1))" 18 "accuracy_matrix.csv: 3 methods x (1+2+3) cells"

# Ctrl-C in the middle: exit 130, finished tasks kept, files complete.
"$PLASTICITY" run "$tmp/small.yaml" tasks=200 runs=1 --out "$tmp/int" --jobs 1 >"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
for _ in $(seq 1 100); do
	[ "$(grep -c 'acc' "$tmp/int.err" 2>/dev/null)" -ge 3 ] && break
	sleep 0.1
done
kill -INT "$pid"
wait "$pid"
is "$?" 130 "SIGINT stops the grid with exit status 130"
rows=$(($(wc -l <"$tmp/int/results.csv") - 1))
done_lines=$(grep -c ' acc ' "$tmp/int.err")
ok_if "[ $rows -ge 3 ] && [ $rows -eq $done_lines ]" "results.csv keeps every finished task ($rows rows, $done_lines finished)"
ok_if "[ -s '$tmp/int/summary.csv' ] && grep -q interrupted '$tmp/int.err'" "summary.csv written and the interruption reported"
ok_if "! ls '$tmp/int' | grep -q tmp" "no temporary files after an interruption"

# SIGTERM and SIGHUP stop like Ctrl-C, each with its own exit status, and the
# directory resumes to the uninterrupted grid's results.
"$PLASTICITY" run "$tmp/small.yaml" tasks=30 runs=1 --out "$tmp/sigwhole" --jobs 1 --quiet >/dev/null 2>&1
for sig in TERM:143 HUP:129; do
	name=${sig%:*}
	"$PLASTICITY" run "$tmp/small.yaml" tasks=30 runs=1 --out "$tmp/sig$name" --jobs 1 >/dev/null 2>"$tmp/sig.err" &
	pid=$!
	for _ in $(seq 1 200); do
		[ "$(grep -c ' acc ' "$tmp/sig.err" 2>/dev/null)" -ge 3 ] && break
		sleep 0.01
	done
	kill -"$name" "$pid"
	wait "$pid"
	is "$?" "${sig#*:}" "SIG$name stops the grid with exit status ${sig#*:}"
	"$PLASTICITY" run --resume "$tmp/sig$name" --quiet >/dev/null 2>&1
	is "$?:$(strip_times "$tmp/sig$name/results.csv" | md5sum)" "0:$(strip_times "$tmp/sigwhole/results.csv" | md5sum)" \
		"... and the directory resumes to the uninterrupted results"
done
# SIGTERM at any moment of start-up: 143, and a directory, if there is one,
# that resumes (handlers are installed before anything is written).
bad=0
for delay in 0 0.002 0.005 0.01 0.02 0.04; do
	rm -rf "$tmp/early"
	"$PLASTICITY" run "$tmp/small.yaml" tasks=3 runs=1 --out "$tmp/early" --jobs 1 --quiet >/dev/null 2>"$tmp/early.err" &
	pid=$!
	sleep "$delay"
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	st=$?
	if [ -d "$tmp/early" ]; then
		"$PLASTICITY" run --resume "$tmp/early" --quiet >/dev/null 2>&1 || { bad=1; echo "# delay $delay: not resumable"; }
	fi
	[ "$st" = 143 ] || [ "$st" = 0 ] || { bad=1; echo "# delay $delay: exit $st: $(head -c 300 "$tmp/early.err")"; }
done
is "$bad" 0 "SIGTERM during start-up exits 143 (or finished) and leaves a resumable directory or none"

# SIGKILL in the middle of a task, then --resume: the same results as a
# grid that was never interrupted (timing columns aside).
cat >"$tmp/resume.yaml" <<'YAML'
name: resume
tasks: 40
hidden: [32, 32]
batch_size: 16
runs: 2
methods:
  - optimizer: sgd
    lr: 0.05
    momentum: 0.9
  - optimizer: gnp
    lr: 0.05
    lambda: 0.01
YAML
"$PLASTICITY" run "$tmp/resume.yaml" --out "$tmp/whole" --jobs 2 --quiet >/dev/null 2>&1
"$PLASTICITY" run "$tmp/resume.yaml" --out "$tmp/killed" --jobs 2 >/dev/null 2>"$tmp/killed.err" &
pid=$!
for _ in $(seq 1 200); do
	[ "$(grep -c ' acc ' "$tmp/killed.err" 2>/dev/null)" -ge 30 ] && break
	sleep 0.02
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null
killed_at=$(grep -c ' acc ' "$tmp/killed.err")
ok_if "[ $killed_at -lt 160 ] && ls '$tmp/killed/checkpoints' | grep -q 'ckpt$'" \
	"SIGKILL after $killed_at of 160 tasks leaves checkpoints behind"
"$PLASTICITY" run --resume "$tmp/killed" --jobs 2 >/dev/null 2>"$tmp/resume.err"
is "$?" 0 "--resume finishes the grid"
is "$(strip_times "$tmp/killed/results.csv" | md5sum)" "$(strip_times "$tmp/whole/results.csv" | md5sum)" \
	"the resumed results.csv equals the uninterrupted one"
ok_if "[ ! -e '$tmp/killed/checkpoints' ] && ! ls '$tmp/killed' | grep -q tmp" \
	"checkpoints and temporary files are gone after the resumed grid completes"
"$PLASTICITY" run --resume "$tmp/nowhere" >/dev/null 2>"$tmp/err"
is "$?" 66 "--resume of a missing directory exits 66"
"$PLASTICITY" run --resume "$tmp/killed" tasks=3 >/dev/null 2>"$tmp/err"
is "$?" 64 "--resume with KEY=VALUE is a usage error"

# One process at a time per run directory: a second --resume, and --force
# into a directory a live run writes, are refused naming the holder's pid.
"$PLASTICITY" run "$tmp/resume.yaml" --out "$tmp/live" --jobs 1 >/dev/null 2>"$tmp/live.err" &
pid=$!
for _ in $(seq 1 200); do
	[ "$(grep -c ' acc ' "$tmp/live.err" 2>/dev/null)" -ge 2 ] && break
	sleep 0.02
done
"$PLASTICITY" run --resume "$tmp/live" --jobs 1 >/dev/null 2>"$tmp/second.err"
is "$?" 73 "a second --resume of a directory in use exits 73"
is "$(cat "$tmp/second.err")" \
	"plasticity: $tmp/live: in use by process $pid (another plasticity run or UI writes it; wait for it or stop it)" \
	"... naming the process that holds it"
"$PLASTICITY" run "$tmp/resume.yaml" --out "$tmp/live" --force --jobs 1 >/dev/null 2>"$tmp/force.err"
is "$?" 73 "--force into a directory in use exits 73"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
"$PLASTICITY" run --resume "$tmp/live" --jobs 2 --quiet >/dev/null 2>&1
is "$?" 0 "after the holder is killed, --resume takes the lock and finishes"
is "$(strip_times "$tmp/live/results.csv" | md5sum)" "$(strip_times "$tmp/whole/results.csv" | md5sum)" \
	"... with the uninterrupted grid's results"

# A run directory records what it was made from (identity.yaml) and
# --resume refuses anything else, naming the file and the key.
"$PLASTICITY" run "$tmp/small.yaml" runs=1 tasks=2 --out "$tmp/id" --quiet >/dev/null 2>&1
ok_if "grep -q '^data_crc32: \"[0-9a-f]\{8\}\"' '$tmp/id/identity.yaml' && grep -q '^data_dir: ' '$tmp/id/identity.yaml'" \
	"identity.yaml records the data folder and its CRC-32"
cp -R "$tmp/id" "$tmp/id-edit"
sed -i 's/^batch_size: 16/batch_size: 64/' "$tmp/id-edit/preset.yaml"
"$PLASTICITY" run --resume "$tmp/id-edit" >/dev/null 2>"$tmp/err"
is "$?" 78 "an edited preset.yaml is refused (exit 78)"
is "$(cat "$tmp/err")" \
	"plasticity: $tmp/id-edit/preset.yaml: batch_size is 64, but this run was started with 16 (identity.yaml); a run directory resumes only what was run" \
	"... naming the key and both values"
cp -R "$tmp/id" "$tmp/id-lr"
sed -i '0,/^    lr: 0.05/s//    lr: 0.2/' "$tmp/id-lr/preset.yaml"
"$PLASTICITY" run --resume "$tmp/id-lr" >/dev/null 2>"$tmp/err"
ok_if "grep -q 'preset.yaml: methods.0.lr is 0.2, but this run was started with 0.05' '$tmp/err'" \
	"an edited method key is named as methods.N.KEY"
"$GEN_IDX" "$tmp/other" --train 601 --test 200 >/dev/null
"$PLASTICITY" run --resume "$tmp/id" --data-dir "$tmp/other" >/dev/null 2>"$tmp/err"
is "$?" 65 "resuming on other data is refused (exit 65)"
ok_if "grep -q 'identity.yaml: data_crc32: the data in $tmp/other has CRC-32' '$tmp/err'" \
	"... naming data_crc32 and the folder"
rm "$tmp/id-edit/identity.yaml"
"$PLASTICITY" run --resume "$tmp/id-edit" >/dev/null 2>"$tmp/err"
is "$?" 66 "a run directory without identity.yaml is not resumed (66)"

# Paths with a newline, '#', quotes and bytes that are not UTF-8 are YAML
# values, never comment text: the run resumes from that data folder.
weird="$tmp/we"$'\n'"name: x #\"'"$'\xff\xfe'
mkdir -p "$weird-data"
cp "$tmp/data"/* "$weird-data/"
"$PLASTICITY" run "$tmp/small.yaml" runs=1 tasks=2 --data-dir "$weird-data" --out "$weird" --quiet >/dev/null 2>"$tmp/err"
is "$?" 0 "a run with a newline, '#', quotes and non-UTF-8 bytes in --out and --data-dir"
ok_if '! grep -q "^name: x" "$weird/preset.yaml" "$weird/identity.yaml"' \
	"... no path text becomes a YAML key"
# Keep only the header: --resume then trains every run again, on the recorded data.
head -1 "$weird/results.csv" >"$tmp/header.csv" && mv "$tmp/header.csv" "$weird/results.csv"
env -u PLASTICITY_DATA "$PLASTICITY" run --resume "$weird" --quiet >/dev/null 2>"$tmp/err"
is "$?" 0 "... and --resume reads its data from the recorded folder, byte for byte"
is "$(strip_times "$weird/results.csv" | md5sum)" \
	"$("$PLASTICITY" run "$tmp/small.yaml" runs=1 tasks=2 --out "$tmp/plain" --quiet >/dev/null 2>&1; strip_times "$tmp/plain/results.csv" | md5sum)" \
	"... with the same results as a plain path"

# Diagnostics: measured by default (Hessian ones every hessian_every tasks),
# none at all with diagnostics=none.
col() { # NAME FILE: the values of a column, one per line
	awk -F, -v n="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next } { print $c }' "$2"
}
"$PLASTICITY" run "$tmp/small.yaml" runs=1 tasks=4 hessian_every=2 --out "$tmp/diag" --quiet >/dev/null 2>&1
is "$(col lambda_max "$tmp/diag/results.csv" | head -4 | sed 's/[0-9.e+-]\{1,\}/x/' | tr '\n' ' ')" " x  x " \
	"lambda_max is measured on tasks 2 and 4 only (hessian_every=2)"
ok_if "col dead_l1 '$tmp/diag/results.csv' | grep -qE '^[01]\.[0-9]{6}$' && col erank_l2 '$tmp/diag/results.csv' | grep -qE '^[0-9]+\.[0-9]{4}$' && col online_acc '$tmp/diag/results.csv' | grep -qE '^0\.[0-9]{6}$'" \
	"dead units, effective rank and online accuracy are in every row by default"
ok_if "head -1 '$tmp/diag/summary.csv' | grep -q ',sharpness_first,sharpness_last,' && [ -n \"\$(col grad_norm_last '$tmp/diag/summary.csv' | head -1)\" ]" \
	"summary.csv has each diagnostic's first/last-10% means"
"$PLASTICITY" run "$tmp/small.yaml" runs=1 tasks=4 diagnostics=none --out "$tmp/nodiag" --quiet >/dev/null 2>&1
is "$(col dead_l1 "$tmp/nodiag/results.csv" | tr -d '\n')$(col sharpness "$tmp/nodiag/results.csv" | tr -d '\n')" "" \
	"diagnostics=none measures nothing"
is "$(col test_acc "$tmp/nodiag/results.csv" | md5sum)" "$(col test_acc "$tmp/diag/results.csv" | md5sum)" \
	"... and probing never changes what the network learns"
"$PLASTICITY" run "$tmp/small.yaml" diagnostics=dead,wobble --print-config >/dev/null 2>"$tmp/err"
is "$?:$(cat "$tmp/err")" "78:plasticity: override 'diagnostics=dead,wobble': diagnostics: unknown metric 'wobble' (dead, dormant, rank, weights, grad, sharpness, loss, hessian, trace, default, all or none)" \
	"an unknown diagnostic is refused naming it"

# Paired statistics on matched seeds: comparisons.csv and the printed table.
"$PLASTICITY" run "$tmp/small.yaml" runs=3 tasks=3 --out "$tmp/cmp" --quiet >"$tmp/cmp.out" 2>/dev/null
is "$(head -1 "$tmp/cmp/comparisons.csv")" "kind,method_index,method,baseline_index,baseline,metric,n,value,ci_lo,ci_hi,p,p_holm" \
	"comparisons.csv header"
is "$(grep -c '^method,' "$tmp/cmp/comparisons.csv"):$(grep -c '^paired,[12],.*,0,sgd lr=0.05,' "$tmp/cmp/comparisons.csv")" "9:6" \
	"3 metrics per method, and 2 methods x 3 metrics paired against the baseline (method 0)"
ok_if "awk -F, '\$1 == \"paired\" { if (\$11 < 0.25 || \$11 > 1 || \$12 < \$11) bad = 1 } END { exit bad }' '$tmp/cmp/comparisons.csv'" \
	"with 3 pairs every exact p is at least 2/8, and Holm never lowers it"
ok_if "grep -q '^paired differences (run i of every method shares seed i)' '$tmp/cmp.out' && grep -qE '^gnp lr=0.05 lambda=0.01 r=0.01 +sgd lr=0.05 +plasticity_loss +3 ' '$tmp/cmp.out'" \
	"plasticity run prints the paired differences after the summary"
"$PLASTICITY" run "$tmp/small.yaml" runs=2 tasks=2 compare=all --out "$tmp/cmpall" --quiet >/dev/null 2>&1
is "$(grep -c '^paired,' "$tmp/cmpall/comparisons.csv")" 9 "compare: all pairs 3 methods 3 ways, 3 metrics each"
"$PLASTICITY" run "$tmp/small.yaml" baseline=3 --print-config >/dev/null 2>"$tmp/err"
is "$?:$(cat "$tmp/err")" "78:plasticity: override 'baseline=3': baseline: method 3, but there are 3 methods" \
	"a baseline past the last method is refused"

# Exact GNP beside the finite-difference one, from an override: its own
# label and methods.csv value, and numbers of its own (a different step).
"$PLASTICITY" run "$tmp/small.yaml" runs=1 tasks=2 methods.2.exact=true,false --out "$tmp/exact" --quiet >/dev/null 2>&1
is "$(cut -d, -f2,9 "$tmp/exact/methods.csv" | tail -2 | tr '\n' ' ')" "gnp lr=0.05 lambda=0.01 exact,true gnp lr=0.05 lambda=0.01 r=0.01,false " \
	"exact: true is a GNP method of its own, labelled and listed"
is "$(awk -F, '$1 >= 2 && $9 == 2 { print $12 }' "$tmp/exact/results.csv" | sort -u | wc -l)" 2 \
	"exact and finite-difference GNP train to different losses"

# The run directory describes itself: methods.csv has every key of every
# method, by index.
cures=sgd,0.9,0.999,1e-08,0,1,0,init,step,none,625,0.1,0,0.99,100,false,false
is "$(cat "$tmp/a/methods.csv")" "method_index,method,optimizer,lr,rho,adaptive,lambda,r,exact,momentum,weight_decay,base,beta1,beta2,eps,l2_init,shrink,perturb,perturb_dist,shrink_perturb_at,redo,redo_every,redo_tau,cbp_rate,cbp_decay,cbp_maturity,layer_norm,from_scratch
0,sgd lr=0.05,sgd,0.05,,,,,,0,0,$cures
1,sam lr=0.05 rho=0.05,sam,0.05,0.05,false,,,,0,0,$cures
2,gnp lr=0.05 lambda=0.01 r=0.01,gnp,0.05,,,0.01,0.01,false,0,0,$cures" "methods.csv lists every method key by index"

# The accuracy matrix survives SIGKILL and --resume, and resuming a finished
# directory changes nothing.
cat >"$tmp/mat.yaml" <<'YAML'
name: mat
tasks: 12
hidden: [32]
batch_size: 16
runs: 2
accuracy_matrix: true
methods:
  - optimizer: sgd
    lr: 0.05
  - optimizer: sgd
    lr: 0.05
  - optimizer: sgd
    lr: 0.012345678
  - optimizer: sgd
    lr: 0.012345679
YAML
"$PLASTICITY" run "$tmp/mat.yaml" --out "$tmp/mwhole" --jobs 2 --quiet >/dev/null 2>&1
"$PLASTICITY" run "$tmp/mat.yaml" --out "$tmp/mkilled" --jobs 2 >/dev/null 2>"$tmp/mkilled.err" &
pid=$!
for _ in $(seq 1 400); do
	[ "$(grep -c ' acc ' "$tmp/mkilled.err" 2>/dev/null)" -ge 40 ] && break
	sleep 0.01
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null
killed_at=$(grep -c ' acc ' "$tmp/mkilled.err")
ok_if "[ $killed_at -lt 96 ]" "accuracy-matrix grid killed after $killed_at of 96 tasks"
"$PLASTICITY" run --resume "$tmp/mkilled" --jobs 2 --quiet >/dev/null 2>"$tmp/err"
is "$?" 0 "... --resume finishes it"
is "$(strip_times "$tmp/mkilled/results.csv" | md5sum)" "$(strip_times "$tmp/mwhole/results.csv" | md5sum)" \
	"... results.csv equals the uninterrupted one"
is "$(md5sum <"$tmp/mkilled/accuracy_matrix.csv")" "$(md5sum <"$tmp/mwhole/accuracy_matrix.csv")" \
	"... and so does accuracy_matrix.csv"
is "$(($(wc -l <"$tmp/mwhole/accuracy_matrix.csv") - 1))" $((4 * 2 * 78)) "the matrix has every cell (4 methods x 2 runs x 78)"
is "$(awk -F, 'NR>1 && $1==0' "$tmp/mwhole/results.csv" | cut -d, -f3-13 | md5sum)" \
	"$(awk -F, 'NR>1 && $1==1' "$tmp/mwhole/results.csv" | cut -d, -f3-13 | md5sum)" \
	"two identical methods get identical rows"
is "$(awk -F, 'NR>1 && ($1==2 || $1==3) {print $1 "," $2 "," $4}' "$tmp/mkilled/results.csv" | sort | uniq -c | tr -s ' ')" \
" 24 2,sgd lr=0.0123457,0.012345678
 24 3,sgd lr=0.0123457,0.012345679" \
	"lr differing in the 8th significant digit stay two methods (one label, own rows, exact lr)"
cp -R "$tmp/mwhole" "$tmp/mfinished"
"$PLASTICITY" run --resume "$tmp/mfinished" --jobs 2 --quiet >/dev/null 2>&1
is "$?" 0 "resuming a finished directory exits 0"
for f in results.csv accuracy_matrix.csv methods.csv preset.yaml identity.yaml; do
	is "$(strip_times "$tmp/mfinished/$f" | md5sum)" "$(strip_times "$tmp/mwhole/$f" | md5sum)" \
		"... and leaves $f as it was"
done

# results.csv is read strictly: a bad field, an unknown method, a duplicate
# row and a field that contradicts preset.yaml are errors naming line and field.
bad_results() { # SED-EXPRESSION WANT-MESSAGE DESCRIPTION
	rm -rf "$tmp/bad" && cp -R "$tmp/mwhole" "$tmp/bad"
	sed -i "$1" "$tmp/bad/results.csv"
	"$PLASTICITY" run --resume "$tmp/bad" --quiet >/dev/null 2>"$tmp/err"
	is "$?-$(cat "$tmp/err")" "65-plasticity: $tmp/bad/results.csv:$2" "$3"
}
bad_results '3s/^\(\([^,]*,\)\{10\}\)[^,]*/\1abc/' \
	"3: field 11 (test_acc): 'abc' is not a number" "a test_acc of abc is refused"
bad_results '3s/^\(\([^,]*,\)\{10\}\)[^,]*/\11.5/' \
	"3: field 11 (test_acc): '1.5' is not a fraction in [0, 1]" "a test_acc of 1.5 is refused"
bad_results '3s/^\(\([^,]*,\)\{13\}\)[^,]*/\1-0.25/' \
	"3: field 14 (online_acc): '-0.25' is not a fraction in [0, 1]" "an online_acc of -0.25 is refused"
bad_results '3s/^0,sgd lr=0.05,sgd,0.05,,,1,1,2,/0,sgd lr=0.05,sgd,0.05,,,1,1,2x,/' \
	"3: field 9 (task): '2x' is not a whole number" "a task of 2x is refused"
bad_results '3s/^0,/7,/' \
	"3: method_index 7 is out of range (preset.yaml has 4)" "a row of an unknown method is refused"
bad_results '3p' "4: a second row for method 0 run 1 task 2" "a duplicated row is refused"
bad_results '3s/,sgd lr=0.05,sgd,0.05,/,sgd lr=0.2,sgd,0.05,/' \
	"3: field 2 (method): 'sgd lr=0.2' does not match preset.yaml (method 0, run 1: 'sgd lr=0.05')" \
	"a label that contradicts preset.yaml is refused"
bad_results '1s/test_acc/test_accuracy/' "1: unknown column 'test_accuracy'" "an unknown column is refused"

# A diverged run stays stopped on resume: not trained again, reported, exit 1.
cat >"$tmp/div.yaml" <<'YAML'
name: div
tasks: 6
hidden: [32]
batch_size: 16
runs: 2
methods:
  - optimizer: sgd
    lr: 0.05
  - optimizer: sgd
    lr: 10
    weight_decay: 1
YAML
"$PLASTICITY" run "$tmp/div.yaml" --out "$tmp/div" --quiet >/dev/null 2>&1
is "$?" 1 "a grid with diverged runs exits 1"
cp -R "$tmp/div" "$tmp/div-resumed"
"$PLASTICITY" run --resume "$tmp/div-resumed" --quiet >/dev/null 2>"$tmp/err"
is "$?:$(cat "$tmp/err")" "1:plasticity: 2 runs diverged (see results.csv)" \
	"--resume of it exits 1 too and says so"
is "$(strip_times "$tmp/div-resumed/results.csv" | md5sum)" "$(strip_times "$tmp/div/results.csv" | md5sum)" \
	"... without training the diverged runs again"

# Checkpoints are checked against the run they are restored into.
cat >"$tmp/ck.yaml" <<'YAML'
name: ck
tasks: 30
hidden: [32]
batch_size: 16
runs: 1
methods:
  - optimizer: sgd
    lr: 0.05
YAML
kill_after() { # N-TASKS DIR PRESET [KEY=VALUE]
	local dir=$2 preset=$3
	shift 3
	# The log exists before the loop reads it: the background job opens it
	# only after the fork, and an empty grep -c would end the loop at once.
	: >"$dir.err"
	"$PLASTICITY" run "$preset" "$@" --out "$dir" --jobs 1 >/dev/null 2>"$dir.err" &
	local pid=$!
	while [ "$(grep -c ' acc ' "$dir.err" 2>/dev/null)" -lt 5 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.005
	done
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
}
"$PLASTICITY" run "$tmp/ck.yaml" --out "$tmp/ckwhole" --quiet >/dev/null 2>&1
kill_after 5 "$tmp/ck1" "$tmp/ck.yaml"
kill_after 5 "$tmp/ck2" "$tmp/ck.yaml" methods.lr=0.2
ok_if "[ -s '$tmp/ck1/checkpoints/m0-r0.ckpt' ] && [ -s '$tmp/ck2/checkpoints/m0-r0.ckpt' ]" \
	"two interrupted grids left checkpoints"
cp -R "$tmp/ck1" "$tmp/ck-foreign"
cp "$tmp/ck2/checkpoints/m0-r0.ckpt" "$tmp/ck-foreign/checkpoints/m0-r0.ckpt"
"$PLASTICITY" run --resume "$tmp/ck-foreign" --quiet >/dev/null 2>"$tmp/err"
is "$?" 65 "a checkpoint copied from another preset is refused (65)"
ok_if "grep -q 'm0-r0.ckpt: written for a run with lr 0.2, this run has 0.05' '$tmp/err'" \
	"... naming the key that differs"
cp -R "$tmp/ck1" "$tmp/ck-trunc"
truncate -s 1000 "$tmp/ck-trunc/checkpoints/m0-r0.ckpt"
"$PLASTICITY" run --resume "$tmp/ck-trunc" --quiet >/dev/null 2>"$tmp/err"
is "$?" 65 "a truncated checkpoint stops the resume (65)"
ok_if "grep -q 'truncated checkpoint; run 1 of method 0 (sgd lr=0.05) can only be trained again from its first task: resume with --retrain-broken' '$tmp/err'" \
	"... saying which run would be trained again and how"
"$PLASTICITY" run --resume "$tmp/ck-trunc" --retrain-broken --quiet >/dev/null 2>"$tmp/err"
is "$?" 0 "--retrain-broken trains that run again"
is "$(strip_times "$tmp/ck-trunc/results.csv" | md5sum)" "$(strip_times "$tmp/ckwhole/results.csv" | md5sum)" \
	"... to the uninterrupted grid's results"

# The default run directory: headless, a runs/ that cannot be made is an
# error (73) naming it; only the UI falls back to the state folder.
mkdir -p "$tmp/blocked" && touch "$tmp/blocked/runs"
(cd "$tmp/blocked" && XDG_STATE_HOME="$tmp/state" "$PLASTICITY" run "$tmp/small.yaml" tasks=1 --quiet \
	>/dev/null 2>"$tmp/err")
is "$?" 73 "run: a default run directory that cannot be created exits 73"
ok_if "grep -q '^plasticity: runs/small-[0-9-]*: cannot create directory' '$tmp/err' && [ ! -e '$tmp/state' ]" \
	"... naming it, and nothing goes elsewhere"
(cd "$tmp/blocked" && XDG_STATE_HOME="$tmp/state" "$PLASTICITY" run "$tmp/small.yaml" tasks=2 runs=1 \
	--out "$tmp/blocked-out" --quiet >/dev/null 2>&1)
ok_if "[ \$? -eq 0 ] && [ \$((\$(wc -l <'$tmp/blocked-out/results.csv') - 1)) -eq 6 ] && [ ! -e '$tmp/blocked-out/checkpoints' ]" \
	"run through the session: every row written, checkpoints removed"

# A relative --data-dir is recorded as an absolute folder: a resume from
# elsewhere still finds the data.
(cd "$tmp" && env -u PLASTICITY_DATA "$PLASTICITY" run small.yaml tasks=2 runs=1 --data-dir data \
	--out rel --quiet >/dev/null 2>&1)
ok_if "grep -qx 'data_dir: \"$(cd "$tmp/data" && pwd -P)\"' '$tmp/rel/identity.yaml'" \
	"a relative --data-dir is recorded as its absolute folder"
(cd / && env -u PLASTICITY_DATA "$PLASTICITY" run --resume "$tmp/rel" --quiet >/dev/null 2>"$tmp/err")
is "$?-$(cat "$tmp/err")" "0-" "... so --resume from another working directory finds it"

# The plasticity-loss window and the collapse column reach every file.
"$PLASTICITY" run "$tmp/small.yaml" window=2 --out "$tmp/win" --jobs 2 >"$tmp/win.out" 2>/dev/null
ok_if "grep -q 'first/last: mean test accuracy over the first/last 2 of 4 tasks' '$tmp/win.out'" \
	"window=2: the summary says it compares the first and last 2 of 4 tasks"
ok_if "head -1 '$tmp/win/summary.csv' | grep -q ',diverged,collapsed,'" "summary.csv has a collapsed column beside diverged"
ok_if "awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[\$i] = i; next }
	{ d = \$c[\"first_mean\"] - \$c[\"last_mean\"] - \$c[\"plasticity_loss\"]; if (d > 1e-5 || d < -1e-5) bad++ }
	END { exit bad }' '$tmp/win/summary.csv'" \
	"... and plasticity_loss = first_mean - last_mean over that window, per method"
want=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	$c["method_index"] == 0 && $c["task"] <= 2 { s += $c["test_acc"]; n++ } END { printf "%.6f", s / n }' "$tmp/win/results.csv")
got=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } NR == 2 { print $c["first_mean"] }' "$tmp/win/summary.csv")
ok_if "awk 'BEGIN { d = $got - $want; exit !(d < 2e-6 && d > -2e-6) }'" \
	"... first_mean $got is the mean of tasks 1-2 over runs in results.csv ($want)"
# The plasticity gap: with a from-scratch method in the grid, gap.csv holds
# from-scratch accuracy minus each method's, per task (mean over runs),
# recomputed here from results.csv; the summary and summary.csv carry the
# last window's.
"$PLASTICITY" run "$tmp/small.yaml" methods.1.optimizer=sgd methods.1.from_scratch=true \
	methods.2.cbp_rate=0.01 methods.2.redo=task --out "$tmp/gap" --jobs 2 >"$tmp/gap.out" 2>/dev/null
is "$?" 0 "a grid with a from-scratch method, ReDo and continual backprop runs"
ok_if "[ \"\$(head -1 '$tmp/gap/gap.csv')\" = 'method_index,method,task,gap,gap_se,runs' ] &&
	[ \$(grep -c '^1,sgd lr=0.05 scratch,[1-4],0.000000,0.000000,2\$' '$tmp/gap/gap.csv') -eq 4 ]" \
	"gap.csv: per method and task; the from-scratch method's own gap is 0"
want=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	{ a[$c["method_index"] "," $c["run"] "," $c["task"]] = $c["test_acc"] }
	END { for (m = 0; m <= 2; m += 2) for (t = 1; t <= 4; t++) {
		s = 0; for (r = 1; r <= 2; r++) s += a["1," r "," t] - a[m "," r "," t]
		printf "%d %d %.4f\n", m, t, s / 2 } }' "$tmp/gap/results.csv")
got=$(awk -F, 'NR > 1 && $1 != 1 { printf "%d %d %.4f\n", $1, $3, $4 }' "$tmp/gap/gap.csv")
is "$got" "$want" "... each gap is from-scratch accuracy minus the method's, same run and task, from results.csv"
ok_if "grep -q '^method .* samples/s  gap\$' '$tmp/gap.out' && grep -q '^gap: from-scratch accuracy minus' '$tmp/gap.out'" \
	"the printed summary has a gap column and says what it is"
ok_if "awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[\$i] = i; next }
	NR == 3 && \$c[\"gap_last\"] != \"0.000000\" { bad++ } NR == 2 && \$c[\"gap_last\"] == \"\" { bad++ }
	END { exit bad }' '$tmp/gap/summary.csv'" \
	"summary.csv: gap_last for every method, 0 for the from-scratch one"
ok_if "awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[\$i] = i; next }
	\$c[\"method_index\"] == 2 { n += \$c[\"cbp_replaced\"] != \"\" && \$c[\"redo_reset\"] != \"\" }
	\$c[\"method_index\"] == 0 && (\$c[\"cbp_replaced\"] != \"\" || \$c[\"redo_reset\"] != \"\") { bad++ }
	END { exit bad || n != 8 }' '$tmp/gap/results.csv'" \
	"results.csv: ReDo and continual-backprop counts on the method that uses them, empty elsewhere"
done_testing
