#!/usr/bin/env bash
# End to end `vigil hunt` against decode-only `evtx_dump -o jsonl` (one
# process per file, as the speed issue measures it), side by side in one run:
# runs alternate, median of N, page cache warm, wall time and peak memory
# from /usr/bin/time.
#
#   bench/side_by_side.sh DIR... [-- RUNS]
#
# Environment: VIGIL (default target/release/vigil), EVTX_DUMP (default
# evtx_dump on PATH; `cargo install evtx --version 0.15.1`), RULES (default
# ../shared/sigma/rules). Prints a Markdown table.
set -euo pipefail

vigil=${VIGIL:-target/release/vigil}
evtx_dump=${EVTX_DUMP:-evtx_dump}
rules=${RULES:-../shared/sigma/rules}
runs=3
dirs=()
while (($#)); do
    if [[ $1 == -- ]]; then runs=$2; shift 2; else dirs+=("$1"); shift; fi
done
((${#dirs[@]})) || { echo "usage: $0 DIR... [-- RUNS]" >&2; exit 2; }
command -v "$evtx_dump" >/dev/null || { echo "no $evtx_dump: cargo install evtx --version 0.15.1" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# time_of CMD...: prints "seconds kilobytes" of one run.
time_of() {
    /usr/bin/time -f "%e %M" -o "$out/time" "$@" >/dev/null 2>&1
    cat "$out/time"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "| input | events | evtx_dump, one file at a time | evtx_dump, two at a time | Vigil hunt | Vigil / evtx_dump two at a time | Vigil max RSS |"
echo "|---|---|---|---|---|---|---|"
for dir in "${dirs[@]}"; do
    find "$dir" -name '*.evtx' -print0 >"$out/files"
    # Warm the page cache.
    xargs -0 cat <"$out/files" >/dev/null
    : >"$out/seq"; : >"$out/par"; : >"$out/vigil"; : >"$out/rss"
    for ((i = 0; i < runs; i++)); do
        time_of xargs -0 -n1 "$evtx_dump" -o jsonl <"$out/files" | cut -d' ' -f1 >>"$out/seq"
        time_of xargs -0 -n1 -P2 "$evtx_dump" -o jsonl <"$out/files" | cut -d' ' -f1 >>"$out/par"
        read -r secs kb < <(time_of "$vigil" hunt "$dir" --rules "$rules" -q --format jsonl -o "$out/timeline.jsonl")
        echo "$secs" >>"$out/vigil"
        echo "$kb" >>"$out/rss"
    done
    events=$("$vigil" hunt "$dir" --rules "$rules" --format jsonl -o "$out/timeline.jsonl" 2>&1 | awk '/^events:/ {print $2}')
    seq=$(median <"$out/seq"); par=$(median <"$out/par"); hunt=$(median <"$out/vigil"); rss=$(median <"$out/rss")
    printf "| %s | %s | %s s | %s s | %s s | %.2f× | %.0f MB |\n" \
        "$dir" "$events" "$seq" "$par" "$hunt" "$(echo "$hunt / $par" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
done
