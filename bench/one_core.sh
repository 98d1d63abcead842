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
# The CPU columns count the watcher's own processor time instead (user and
# system, all threads, from the shell's `times`) over the input, minus a run
# over empty input right after it (rule loading): on a shared machine whose
# other tenants take the processor away, wall time varies more than this.
# It also counts what the window leaves out (opening and closing the store,
# freeing memory at exit), so it is a figure to compare builds by, not the
# same rate as the wall-time one.
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

# cpu_of BINARY FILE: runs the watcher over FILE (its log in $out/log) and
# prints the processor seconds it used.
cpu_of() {
    rm -f "$out/store"*
    (
        taskset -c "$cpu" "$1" watch --threads 1 --stdin --exit-at-end "${rule_args[@]}" \
            --store "$out/store" --no-output <"$2" 2>"$out/log" >/dev/null || {
            echo "$1 failed:" >&2
            tail -5 "$out/log" >&2
            exit 1
        }
        times
    ) | tail -1 | awk '{
        total = 0
        for (i = 1; i <= 2; i++) { split($i, t, "m"); total += t[1] * 60 + t[2] }
        printf "%.3f", total
    }'
}

# rate_of BINARY: prints "events seconds cpu-seconds" of one run.
rate_of() {
    local full empty
    full=$(cpu_of "$1" "$input")
    [[ -n $full ]] || exit 1
    cp "$out/log" "$out/log.full"
    empty=$(cpu_of "$1" /dev/null)
    mv "$out/log.full" "$out/log"
    printf '%s ' "$(awk -v a="$full" -v b="$empty" 'BEGIN {printf "%.3f", a - b}')" >"$out/cpu"
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
print(events, (end - start).total_seconds(), end=" ")
PY
    cat "$out/cpu"
    echo
}

for ((run = 1; run <= runs; run++)); do
    for i in "${!binaries[@]}"; do
        rate_of "${binaries[$i]}" >>"$out/runs.$i"
    done
done

echo "| binary | events | seconds (median of $runs) | events/s | every run, events/s | CPU seconds (median) | events per CPU second |"
echo "|---|---|---|---|---|---|---|"
for i in "${!binaries[@]}"; do
    events=$(head -1 "$out/runs.$i" | cut -d' ' -f1)
    median=$(cut -d' ' -f2 "$out/runs.$i" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    cpu_median=$(cut -d' ' -f3 "$out/runs.$i" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    every=$(awk '{printf "%s%.0f", (NR > 1 ? ", " : ""), $1 / $2}' "$out/runs.$i")
    awk -v name="${binaries[$i]}" -v events="$events" -v median="$median" -v every="$every" \
        -v cpu_median="$cpu_median" \
        'BEGIN {printf "| %s | %d | %.3f | %.0f | %s | %.3f | %.0f |\n", name, events, median, events / median, every, cpu_median, events / cpu_median}'
done
