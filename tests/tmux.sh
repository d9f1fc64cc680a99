# tmux.sh - the UI tests' view of the screen: the real program in a detached
# tmux session named ui on a server of its own ($sock), read back with
# capture-pane. Source after setting sock.
T() { tmux -L "$sock" "$@"; }
screen() { T capture-pane -t ui -p; }
# Wait until the screen matches a regular expression (10 s at most: make
# check runs the training tests beside the UI's on the same cores).
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
