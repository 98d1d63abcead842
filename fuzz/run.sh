#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each, one at a time,
# niced, with libFuzzer's limits (1 GB of memory, 1 s per input), and appends
# the figures of each run to fuzz/RESULTS.md. Leaks are not findings: the
# product and shape names a mapping gives are kept for the whole run on purpose.
#
#   fuzz/run.sh SECONDS [TARGET]...
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`);
# builds the targets first (`cargo +nightly fuzz build`), seeds the corpora
# with fuzz/seed.sh when they are missing. A crash, hang or oversized
# allocation is written to fuzz/artifacts/TARGET/ and counted in the table.
set -uo pipefail

seconds="${1:?usage: fuzz/run.sh SECONDS [TARGET]...}"
shift
fuzz="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$fuzz")"
results="$fuzz/RESULTS.md"
cd "$repo" || exit 1

nice -n 19 cargo +nightly fuzz build || exit 1
[ -d "$fuzz/corpus" ] || "$fuzz/seed.sh"

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
binaries="$fuzz/target/x86_64-unknown-linux-gnu/release"

stat_of() { # NAME LOG
    grep -o "stat::$1: *[0-9]*" "$2" | tail -n 1 | grep -o '[0-9]*$'
}

for target in "${targets[@]}"; do
    corpus="$fuzz/corpus/$target"
    artifacts="$fuzz/artifacts/$target"
    logs="$fuzz/logs/$target"
    mkdir -p "$corpus" "$artifacts" "$logs"
    before=$(ls "$artifacts" | wc -l)
    started=$(date +%s)
    # -jobs=1 runs the fuzzer in a child whose output goes to fuzz-0.log.
    (cd "$logs" && rm -f fuzz-0.log && ASAN_OPTIONS=detect_leaks=0 nice -n 19 "$binaries/$target" "$corpus" \
        -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=1 -jobs=1 \
        -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$artifacts/" > run.log 2>&1)
    elapsed=$(( $(date +%s) - started ))
    log="$logs/fuzz-0.log"
    executions=$(stat_of number_of_executed_units "$log")
    speed=$(stat_of average_exec_per_sec "$log")
    rss=$(stat_of peak_rss_mb "$log")
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*')
    ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*')
    units=$(grep -o 'corp: [0-9]*' <<<"$last" | grep -o '[0-9]*')
    found=$(( $(ls "$artifacts" | wc -l) - before ))
    previous=$(awk -F'|' -v t=" $target " '$3 == t { s += $4 } END { print s + 0 }' "$results")
    total=$(( previous + elapsed ))
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
        "$(date -u +%Y-%m-%dT%H:%MZ)" "$target" "$elapsed" "${executions:-?}" "${speed:-?}" \
        "${cov:-?}" "${ft:-?}" "${units:-?}" "${rss:-?}" "$found" "$total" >> "$results"
    echo "$target: ${elapsed}s, ${executions:-?} executions, cov ${cov:-?}, ft ${ft:-?}, $found new artifacts (cumulative ${total}s)"
done
