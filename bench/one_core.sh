#!/usr/bin/env bash
# `vigil watch` on one core: every thread of the watcher pinned to one CPU
# (taskset), one matching thread, JSON lines from a file on standard input,
# detections into the store. The rate is events over the time between the
# watcher's own "watching" log line (rules loaded) and its "stopped" line
# (input ended, detections stored), so rule loading is not counted.
#
# Several binaries alternate, run after run, for a side-by-side comparison
# on a noisy machine. Prints a Markdown table with the median of N runs.
#
#   bench/one_core.sh INPUT.jsonl [RULES|builtin] [RUNS] -- BINARY...
#
# INPUT: Windows events as JSON lines (e.g. the `windows/` files of
# `vigil simulate --out DIR --hosts 12 --days 1 --rate 400`, concatenated).
# RULES: a Sigma rule folder (default ../shared/sigma/rules/windows), or
# `builtin` for Vigil's own pack. CPU: the environment's CPU (default 1).
set -euo pipefail

input=${1:?usage: $0 INPUT.jsonl [RULES|builtin] [RUNS] -- BINARY...}
shift
rules=../shared/sigma/rules/windows
runs=3
if (($#)) && [[ $1 != -- ]]; then rules=$1; shift; fi
if (($#)) && [[ $1 != -- ]]; then runs=$1; shift; fi
[[ ${1:-} == -- ]] && shift
(($#)) || { echo "usage: $0 INPUT.jsonl [RULES|builtin] [RUNS] -- BINARY..." >&2; exit 2; }
binaries=("$@")
cpu=${CPU:-1}
rule_args=()
[[ $rules != builtin ]] && rule_args=(--rules "$rules")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# rate_of BINARY: prints "events seconds" of one run.
rate_of() {
    rm -f "$out/store"*
    taskset -c "$cpu" "$1" watch --threads 1 --stdin --exit-at-end "${rule_args[@]}" \
        --store "$out/store" --no-output <"$input" 2>"$out/log" || {
        echo "$1 failed:" >&2
        tail -5 "$out/log" >&2
        exit 1
    }
    python3 - "$out/log" <<'PY'
import datetime, json, sys
start = end = events = None
for line in open(sys.argv[1]):
    try:
        record = json.loads(line)
    except ValueError:
        continue
    when = datetime.datetime.fromisoformat(record["time"][:26])
    if record.get("msg") == "watching":
        start = when
    elif record.get("msg") == "stopped":
        end, events = when, int(record["events"])
print(events, (end - start).total_seconds())
PY
}

for ((run = 1; run <= runs; run++)); do
    for i in "${!binaries[@]}"; do
        rate_of "${binaries[$i]}" >>"$out/runs.$i"
    done
done

echo "| binary | events | seconds (median of $runs) | events/s | every run, events/s |"
echo "|---|---|---|---|---|"
for i in "${!binaries[@]}"; do
    events=$(head -1 "$out/runs.$i" | cut -d' ' -f1)
    median=$(cut -d' ' -f2 "$out/runs.$i" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    every=$(awk '{printf "%s%.0f", (NR > 1 ? ", " : ""), $1 / $2}' "$out/runs.$i")
    awk -v name="${binaries[$i]}" -v events="$events" -v median="$median" -v every="$every" \
        'BEGIN {printf "| %s | %d | %.3f | %.0f | %s |\n", name, events, median, events / median, every}'
done
