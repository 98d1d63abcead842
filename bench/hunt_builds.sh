#!/usr/bin/env bash
# `vigil hunt` of several builds side by side on one input: runs alternate
# between the builds, page cache warm, median wall time and peak memory of N
# runs from /usr/bin/time, and each build's time as a ratio of the first's.
#
#   bench/hunt_builds.sh INPUT [RULES] [RUNS] -- BINARY...
#
# RULES defaults to ../shared/sigma/rules; RUNS to 7. Prints a Markdown table
# headed with the machine and date, for bench/RESULTS.md.
set -euo pipefail

input=$1; shift
rules=../shared/sigma/rules
runs=7
if [[ ${1:-} != -- ]]; then rules=$1; shift; fi
if [[ ${1:-} != -- ]]; then runs=$1; shift; fi
[[ ${1:-} == -- ]] || { echo "usage: $0 INPUT [RULES] [RUNS] -- BINARY..." >&2; exit 2; }
shift
builds=("$@")
((${#builds[@]})) || { echo "name at least one binary" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

find "$input" -type f -print0 | xargs -0 cat >/dev/null
for ((i = 0; i < runs; i++)); do
    for b in "${!builds[@]}"; do
        /usr/bin/time -f "%e %M" -o "$out/time" "${builds[$b]}" hunt "$input" --rules "$rules" -q \
            --format jsonl -o "$out/timeline-$b.jsonl" >/dev/null 2>&1
        read -r secs kb <"$out/time"
        echo "$secs" >>"$out/secs-$b"
        echo "$kb" >>"$out/kb-$b"
    done
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
echo "$(date -u '+%Y-%m-%d %H:%M UTC') — $cpu, $(nproc) cores; input \`$input\`, rules \`$rules\`, $runs alternating runs"
echo
echo "| build | median wall (s) | × first | median peak RSS (MB) | detections |"
echo "|---|---|---|---|---|"
first=""
for b in "${!builds[@]}"; do
    secs=$(median <"$out/secs-$b")
    kb=$(median <"$out/kb-$b")
    first=${first:-$secs}
    lines=$(wc -l <"$out/timeline-$b.jsonl")
    ratio=$(awk -v a="$secs" -v f="$first" 'BEGIN {printf "%.3f", a / f}')
    echo "| \`${builds[$b]}\` | $secs | $ratio | $((kb / 1024)) | $lines |"
done
