#!/usr/bin/env bash
# embedis-server against redis-server under redis-benchmark, as BENCHMARKS.md reports it.
#
#   benches/redis-benchmark.sh [ROUNDS] [REQUESTS]     (defaults: 5 rounds of 200000 requests)
#
# Builds embedis-server (release), starts it and redis-server on free loopback ports, and runs
# `redis-benchmark -t set,get,incr,lpush -c 50` with -P 1 and -P 16 against both, ROUNDS times,
# alternating which server goes first (ABBA) so that drift in the machine's load hits both alike.
# For every test it prints the median requests per second of each server, the ratio of the
# medians (embedis / redis), the range of the per-round ratios, and each server's CPU time per
# request (user + system, read from /proc), which is far less noisy than throughput on a shared
# machine where redis-benchmark itself competes for the same cores.
set -euo pipefail

rounds=${1:-5}
requests=${2:-200000}
cd "$(dirname "$0")/.."

# With two or more cores, both servers run on CPU 1 and redis-benchmark on CPU 0, so that the
# scheduler does not move them onto each other's core mid-run (PIN=0 turns this off).
server_pin="" client_pin=""
if [[ ${PIN:-1} == 1 ]] && (($(nproc) >= 2)) && command -v taskset >/dev/null; then
    server_pin="taskset -c 1" client_pin="taskset -c 0"
fi

command -v redis-server >/dev/null || { echo "redis-server is not on PATH" >&2; exit 1; }
command -v redis-benchmark >/dev/null || { echo "redis-benchmark is not on PATH" >&2; exit 1; }
cargo build --release --quiet --bin embedis-server

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
embedis_port=$(free_port)
redis_port=$(free_port)
work=$(mktemp -d)
$server_pin ./target/release/embedis-server --port "$embedis_port" >"$work/embedis.log" 2>&1 &
embedis_pid=$!
$server_pin redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$work" >"$work/redis.log" 2>&1 &
redis_pid=$!
trap 'kill $embedis_pid $redis_pid 2>/dev/null; rm -rf "$work"' EXIT
for port in "$embedis_port" "$redis_port"; do
    until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done
done

# CPU time of a process in clock ticks (utime + stime).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# One run of one server: appends "server,pipeline,test,rps,server_cpu_ticks,client_cpu_percent".
run() {
    local name=$1 port=$2 pid=$3 pipeline=$4 test
    for test in set get incr lpush; do
        local before after rps client_cpu
        before=$(cpu_ticks "$pid")
        client_cpu=$( { TIMEFORMAT=%P; time $client_pin redis-benchmark -p "$port" -t "$test" -c 50 \
            -n "$requests" -P "$pipeline" --csv >"$work/run.csv" 2>/dev/null; } 2>&1)
        after=$(cpu_ticks "$pid")
        rps=$(awk -F'"' 'NR == 2 {print $4}' "$work/run.csv")
        echo "$name,$pipeline,${test^^},$rps,$((after - before)),$client_cpu" >>"$work/results.csv"
    done
}

for ((round = 1; round <= rounds; round++)); do
    for pipeline in 1 16; do
        if ((round % 2)); then
            run embedis "$embedis_port" "$embedis_pid" "$pipeline"
            run redis "$redis_port" "$redis_pid" "$pipeline"
        else
            run redis "$redis_port" "$redis_pid" "$pipeline"
            run embedis "$embedis_port" "$embedis_pid" "$pipeline"
        fi
    done
    echo "round $round of $rounds done" >&2
done

ticks_per_second=$(getconf CLK_TCK)
python3 - "$work/results.csv" "$requests" "$ticks_per_second" "$rounds" <<'EOF'
import csv, statistics, sys
path, requests, hz, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
runs = {}
client = {}
for server, pipeline, test, rps, ticks, client_cpu in csv.reader(open(path)):
    runs.setdefault((int(pipeline), test), {}).setdefault(server, []).append((float(rps), int(ticks)))
    client.setdefault((int(pipeline), test), []).append(float(client_cpu))
print(f"{rounds} rounds of {requests} requests, -c 50; medians; ratio = embedis / redis\n")
print("| test | -P | embedis req/s | redis req/s | ratio (per-round range) "
      "| CPU µs/request embedis | redis | CPU ratio | redis-benchmark's CPU |")
print("|---|---|---|---|---|---|---|---|---|")
for (pipeline, test), by_server in sorted(runs.items()):
    e, r = by_server["embedis"], by_server["redis"]
    e_rps = statistics.median(x for x, _ in e)
    r_rps = statistics.median(x for x, _ in r)
    per_round = [a / b for (a, _), (b, _) in zip(e, r)]
    e_cpu = statistics.median(t for _, t in e) / hz / requests * 1e6
    r_cpu = statistics.median(t for _, t in r) / hz / requests * 1e6
    print(f"| {test} | {pipeline} | {e_rps:,.0f} | {r_rps:,.0f} | **{e_rps / r_rps:.2f}x** "
          f"({min(per_round):.2f}–{max(per_round):.2f}) | {e_cpu:.2f} | {r_cpu:.2f} "
          f"| {e_cpu / r_cpu:.2f}x | {statistics.median(client[(pipeline, test)]):.0f}% |"
          .replace(",", " "))
EOF
