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

# A timeout that re-runs alone in under a second came from the machine being
# busy (libFuzzer's timer is wall-clock): it is moved to starved/, said so in
# the log, and fuzzing goes on for the rest of the target's time. A crash, an
# oversized allocation or a timeout that re-runs slow ends the target's run.
only_starved() { # ARTIFACTS TARGET -- moves starved timeouts; false if a real finding is left
    local artifact real=0
    for artifact in $(find "$1" -maxdepth 1 -type f -newer "$1/.run-start"); do
        case "$(basename "$artifact")" in
        timeout-*)
            if ASAN_OPTIONS=detect_leaks=0 timeout 10 "$binaries/$2" -timeout=1 -rss_limit_mb=1024 "$artifact" >/dev/null 2>&1; then
                mkdir -p "$1/starved" && mv "$artifact" "$1/starved/"
                echo "$2: $(basename "$artifact") re-ran in under a second: the machine was busy, fuzzing goes on"
            else
                real=1
            fi
            ;;
        *) real=1 ;;
        esac
    done
    [ "$real" -eq 0 ]
}

for target in "${targets[@]}"; do
    corpus="$fuzz/corpus/$target"
    artifacts="$fuzz/artifacts/$target"
    logs="$fuzz/logs/$target"
    mkdir -p "$corpus" "$artifacts" "$logs"
    before=$(find "$artifacts" -maxdepth 1 -type f ! -name '.*' | wc -l)
    started=$(date +%s)
    executions=0
    log="$logs/fuzz-0.log"
    while :; do
        remaining=$(( seconds - ($(date +%s) - started) ))
        [ "$remaining" -ge 5 ] || break
        touch "$artifacts/.run-start"
        sleep 1
        # -jobs=1 runs the fuzzer in a child whose output goes to fuzz-0.log.
        (cd "$logs" && rm -f fuzz-0.log && ASAN_OPTIONS=detect_leaks=0 nice -n 19 "$binaries/$target" "$corpus" \
            -max_total_time="$remaining" -rss_limit_mb=1024 -timeout=1 -jobs=1 \
            -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$artifacts/" > run.log 2>&1)
        executions=$(( executions + $(stat_of number_of_executed_units "$log" || echo 0) ))
        only_starved "$artifacts" "$target" || break
    done
    elapsed=$(( $(date +%s) - started ))
    speed=$(( executions / (elapsed > 0 ? elapsed : 1) ))
    rss=$(stat_of peak_rss_mb "$log")
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*')
    ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*')
    units=$(grep -o 'corp: [0-9]*' <<<"$last" | grep -o '[0-9]*')
    found=$(( $(find "$artifacts" -maxdepth 1 -type f ! -name '.*' | wc -l) - before ))
    previous=$(awk -F'|' -v t=" $target " '$3 == t { s += $4 } END { print s + 0 }' "$results")
    total=$(( previous + elapsed ))
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
        "$(date -u +%Y-%m-%dT%H:%MZ)" "$target" "$elapsed" "${executions:-?}" "${speed:-?}" \
        "${cov:-?}" "${ft:-?}" "${units:-?}" "${rss:-?}" "$found" "$total" >> "$results"
    echo "$target: ${elapsed}s, ${executions:-?} executions, cov ${cov:-?}, ft ${ft:-?}, $found new artifacts (cumulative ${total}s)"
done
