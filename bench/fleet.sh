#!/usr/bin/env bash
# The fleet on NATS JetStream on this machine: events/s with 1, 2 and 4
# workers against a single `vigil watch`, and shipped-to-acknowledged
# latency at a fixed rate. Starts its own nats-server (loopback, a temporary
# store) and prints Markdown for bench/FLEET.md.
#
#   bench/fleet.sh [EVENTS] [RATE]
#
# VIGIL: the binary (default target/release/vigil). Events: a simulated
# estate's Windows events (evtx_dump JSON, about 1.2 KB a line), built-in rules.
#
# Throughput: the stream is filled first (`vigil ship`), then W workers
# drain it (`--exit-at-end`); the rate is events over the time from the
# first worker's "working" log line (rules loaded, consumer bound) to the
# last one's "stopped" line. A single `vigil watch --stdin --exit-at-end`
# over the same lines is timed the same way ("watching" to "stopped").
# CPU seconds of the workers and of nats-server over each run are given, to
# see what saturates the 2 cores.
set -euo pipefail

events=${1:-200000}
rate=${2:-5000}
vigil=${VIGIL:-target/release/vigil}
work=$(mktemp -d)
trap 'kill "${server_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nats-server -js -a 127.0.0.1 -p "$port" -sd "$work/js" >"$work/nats.log" 2>&1 &
server_pid=$!
url="nats://127.0.0.1:$port"
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

"$vigil" simulate --out "$work/sim" --hosts 12 --days 1 --rate 400 >/dev/null 2>&1
: >"$work/events.jsonl"
while [ "$(wc -l <"$work/events.jsonl")" -lt "$events" ]; do
    cat "$work"/sim/windows/*.jsonl >>"$work/events.jsonl"
done
head -n "$events" "$work/events.jsonl" >"$work/input.jsonl"

# Seconds between the first line holding $2 and the last holding $3 of the logs $1...
span() {
    python3 - "$@" <<'PY'
import json, sys, datetime
logs, start, stop = sys.argv[1].split(), sys.argv[2], sys.argv[3]
starts, stops = [], []
for path in logs:
    for line in open(path):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        t = datetime.datetime.fromisoformat(record["time"]).timestamp()
        if record.get("msg") == start:
            starts.append(t)
        if record.get("msg") == stop:
            stops.append(t)
print(f"{max(stops) - min(starts):.3f}")
PY
}
cpu_of() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }

echo "### $(date -u '+%Y-%m-%d %H:%M UTC') — $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, shared with other builds"
echo
echo "\`bench/fleet.sh $events $rate\` — $events events, built-in rules, nats-server $(nats-server --version | awk '{print $2}') on loopback"
echo
echo "| run | seconds | events/s | events/s per worker | worker CPU s | events per worker CPU s | nats-server CPU s |"
echo "|---|---|---|---|---|---|---|"

/usr/bin/time -f '%U %S' -o "$work/single.cpu" "$vigil" watch --stdin --exit-at-end --no-output \
    --threads 1 --store "$work/single.db" <"$work/input.jsonl" 2>"$work/single.log"
s=$(span "$work/single.log" watching stopped)
cpu=$(awk '{print $1 + $2}' "$work/single.cpu")
echo "| single vigil watch (stdin, 1 thread) | $s | $(python3 -c "print(round($events/$s))") | — | $cpu | $(python3 -c "print(round($events/max($cpu, 0.01)))") | — |"

for workers in 1 2 4; do
    stream="BENCH$workers"
    before=$(cpu_of "$server_pid")
    "$vigil" ship "$work/input.jsonl" --nats "$url" --stream "$stream" 2>"$work/ship-$workers.log"
    stored=$(python3 -c "print(round($(cpu_of "$server_pid") - $before, 2))")
    echo "nats-server CPU s storing the shipped events: $stored" >>"$work/ship-$workers.log"
    before=$(cpu_of "$server_pid")
    pids=()
    for n in $(seq "$workers"); do
        /usr/bin/time -f '%U %S' -o "$work/w$workers-$n.cpu" "$vigil" watch --nats "$url" --stream "$stream" \
            --exit-at-end --store "$work/w$workers-$n.db" --no-output 2>"$work/w$workers-$n.log" &
        pids+=($!)
    done
    wait "${pids[@]}"
    after=$(cpu_of "$server_pid")
    logs=$(ls "$work"/w"$workers"-*.log | tr '\n' ' ')
    s=$(span "$logs" working stopped)
    cpu=$(cat "$work"/w"$workers"-*.cpu | awk '{t += $1 + $2} END {print t}')
    eps=$(python3 -c "print(round($events/$s))")
    echo "| $workers worker(s) | $s | $eps | $(python3 -c "print(round($eps/$workers))") | $cpu | $(python3 -c "print(round($events/max($cpu, 0.01)))") | $(python3 -c "print(round($after-$before, 2))") |"
done
echo
sed 's/^/ship (stream filled before the workers start): /' "$work"/ship-1.log
echo

# Latency: two workers already waiting, events shipped at a fixed rate;
# each worker records, per event, the time from `vigil ship` stamping it to
# its acknowledgement (detections stored and published).
latency_events=$((rate * 20))
head -n "$latency_events" "$work/input.jsonl" >"$work/latency.jsonl"
pids=()
for n in 1 2; do
    "$vigil" watch --nats "$url" --stream LATENCY --store "$work/l-$n.db" --no-output 2>"$work/l-$n.log" &
    pids+=($!)
done
sleep 2
"$vigil" ship "$work/latency.jsonl" --nats "$url" --stream LATENCY --rate "$rate" 2>"$work/ship-l.log"
sleep 3
kill -TERM "${pids[@]}"
wait "${pids[@]}" || true
echo "Latency at $rate events/s ($latency_events events, 2 workers), shipped → acknowledged, per worker (upper bounds of power-of-two buckets):"
echo
for n in 1 2; do
    python3 - "$work/l-$n.log" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("msg") == "stopped":
        print(f"* worker: {r['events']} events, p50 ≤ {r['latency_p50_ms']} ms, p99 ≤ {r['latency_p99_ms']} ms")
PY
done
