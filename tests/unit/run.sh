#!/bin/sh
# Run each unit-test program; sum their RESULT lines into one.
p=0; f=0
for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	echo "$out" | grep -v '^RESULT'
	line=$(echo "$out" | grep '^RESULT' | tail -1)
	if [ -z "$line" ]; then echo "FAIL $t crashed (exit $rc)"; f=$((f + 1)); continue; fi
	set -- $line; p=$((p + $2)); f=$((f + $3))
	shift 3 2>/dev/null
done
echo "RESULT $p $f"
