#!/usr/bin/env bash
# Two kvserver binaries (say, before and after a change) under the same kvbench load, alternating ROUNDS
# times so that machine noise hits both alike. Prints requests/s and the server's CPU time per request
# (steadier on a shared machine) for each run.
#
#   bash scripts/compare-servers.sh ROUNDS OLD_KVSERVER NEW_KVSERVER kvbench-args…
#   e.g. bash scripts/compare-servers.sh 5 /tmp/kvserver-old .build/release/kvserver \
#            put --conns 4 --clients 4 --pipeline 16 --total 300000 --key-space-size 1000
#
# Uses the release kvbench (built first). Each run starts a fresh server on 127.0.0.1 and stops it.
# Give --total as a plain number (it divides the server CPU time).
# SCRAPE_NEW=1 scrapes NEW's /metrics with curl once a second during its runs (compare a binary with
# itself to see what scraping costs).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 4 ] || { sed -n '2,10p' "$0"; exit 2; }
ROUNDS=$1 OLD=$2 NEW=$3
shift 3
swift build -c release --product kvbench >/dev/null
BENCH=$(swift build -c release --show-bin-path)/kvbench
TICKS=$(getconf CLK_TCK)

one() {  # binary port scrape kvbench-args… → "requests/s µs-of-server-CPU-per-request"
    local binary=$1 port=$2 scrape=$3
    shift 3
    "$binary" --listen-client-urls "127.0.0.1:$port" --log-level error &
    local pid=$!
    sleep 0.3
    local before after rate total
    before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    local scraper=""
    if [ "$scrape" = 1 ]; then
        (for _ in $(seq 600); do curl -s "http://127.0.0.1:$port/metrics" >/dev/null || true; sleep 1; done) &
        scraper=$!
    fi
    rate=$("$BENCH" "$@" --endpoints "127.0.0.1:$port" --name run 2>&1 | sed -n 's/^run.requests_per_sec: \([0-9.]*\).*/\1/p')
    total=$(printf '%s\n' "$@" | awk 'prev == "--total" {print; exit} {prev = $0}')
    after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    if [ -n "$scraper" ]; then kill "$scraper"; wait "$scraper" 2>/dev/null || true; fi
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    echo "$rate $(awk -v t=$((after - before)) -v hz="$TICKS" -v n="${total:-10000}" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}')"
}

for round in $(seq "$ROUNDS"); do
    echo "round $round: old $(one "$OLD" 24101 0 "$@") | new $(one "$NEW" 24102 "${SCRAPE_NEW:-0}" "$@")   (req/s, µs server CPU/req)"
done
