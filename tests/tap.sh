# tap.sh - TAP helpers for the shell tests: is, ok_if, done_testing.
tap_n=0
tap_failed=0

tap_result() { # STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

is() { # GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		tap_result 0 "$3"
	else
		tap_result 1 "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

ok_if() { # SHELL-CONDITION DESCRIPTION
	if eval "$1"; then tap_result 0 "$2"; else tap_result 1 "$2"; fi
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}
