#!/usr/bin/env bash
# Prints the totals per target from the runs recorded in fuzz/RESULTS.md:
# seconds, share of the hour, executions, best coverage, artifacts written.
#
#   fuzz/totals.sh
set -euo pipefail
results="$(cd "$(dirname "$0")" && pwd)/RESULTS.md"
echo '| target | cumulative seconds | of 3,600 | executions | best cov | artifacts written |'
echo '|---|---|---|---|---|---|'
awk -F'|' '/^\| 20[0-9][0-9]-/ {
    t = $3; gsub(/ /, "", t)
    seconds[t] += $4; executions[t] += $5
    if ($7 + 0 > cov[t]) cov[t] = $7 + 0
    artifacts[t] += $11
}
END {
    for (t in seconds)
        printf "| `%s` | %d | %d %% | %d | %d | %d |\n", t, seconds[t], seconds[t] * 100 / 3600, executions[t], cov[t], artifacts[t]
}' "$results" | sort
