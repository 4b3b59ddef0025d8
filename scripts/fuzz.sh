#!/usr/bin/env bash
# Runs every Go fuzz target in the module for $FUZZTIME each (default 10000x:
# ten thousand executions). go test accepts one -fuzz target per package run,
# so targets run one by one.
#
# The budget is a count, not a duration, on purpose: with a duration, Go 1.26's
# fuzz coordinator can fail a target with a bare "context deadline exceeded"
# at the deadline on a loaded machine, with no crasher (golang/go#75804, fixed
# in Go 1.27). A count has no deadline to race.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10000x}
count=0
while IFS= read -r file; do
	dir=$(dirname "$file")
	for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
		echo "fuzz ./$dir $target ($fuzztime)"
		go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "./$dir"
		count=$((count + 1))
	done
done < <(git ls-files --cached --others --exclude-standard -- '*_test.go' | sort)
echo "fuzz: $count targets ran for $fuzztime each"
