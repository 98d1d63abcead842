#!/usr/bin/env bash
# `vigil hunt` of the same Windows records in every shape collectors
# write (JSON and event XML), side by side: runs alternate between the shapes, median wall time of
# N, and each shape's time as a ratio of evtx_dump's. The folders come from
#
#   cargo run --release -p vigil-sources --example write_shapes -- ../shared/corpus/evtx SHAPES
#
#   bench/hunt_shapes.sh SHAPES [RULES] [RUNS]
#
# RULES defaults to ../shared/sigma/rules; RUNS to 7. VIGIL defaults to
# target/release/vigil. Prints a Markdown table headed with the machine.
set -euo pipefail

shapes=$1
rules=${2:-../shared/sigma/rules}
runs=${3:-7}
vigil=${VIGIL:-target/release/vigil}
names=(evtx_dump winlogbeat6 ecs nxlog wazuh xml)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cat "$shapes"/*/* >/dev/null
for ((i = 0; i < runs; i++)); do
    for name in "${names[@]}"; do
        /usr/bin/time -f "%e" -o "$out/time" "$vigil" hunt "$shapes/$name" --rules "$rules" -q \
            --format jsonl -o "$out/$name.jsonl" >/dev/null 2>&1
        cat "$out/time" >>"$out/secs-$name"
    done
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
events=$(cat "$shapes"/evtx_dump/*.jsonl | wc -l)
echo "$(date -u '+%Y-%m-%d %H:%M UTC') — $cpu, $(nproc) cores; $events records in each shape, rules \`$rules\`, $runs alternating runs"
echo
echo "| shape | median wall (s) | µs per event | × evtx_dump | detections |"
echo "|---|---|---|---|---|"
base=""
for name in "${names[@]}"; do
    secs=$(median <"$out/secs-$name")
    base=${base:-$secs}
    per=$(awk -v s="$secs" -v n="$events" 'BEGIN {printf "%.1f", s * 1e6 / n}')
    ratio=$(awk -v a="$secs" -v f="$base" 'BEGIN {printf "%.2f", a / f}')
    echo "| $name | $secs | $per | $ratio | $(wc -l <"$out/$name.jsonl") |"
done
