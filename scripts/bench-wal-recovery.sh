#!/usr/bin/env bash
# bench-wal-recovery.sh - how long a start takes to replay the write-ahead log, by log length: N puts
# (256-byte values, 100k distinct keys) into a data dir with no snapshot (--snapshot-count above N),
# then kill -9 and a timed restart. Prints records, log bytes, the replay time kvserver logs, and the
# time from exec to "ready to serve client requests".
#
#   bash scripts/bench-wal-recovery.sh [N ...]      # default: 100000 300000 1000000
#
# kvserver listens on 127.0.0.1:25210 only and is stopped by the PID recorded here; data under
# /tmp/perf-wal-recovery.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=/tmp/perf-wal-recovery
PORT=25210
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
trap cleanup EXIT
[ -x "$ROOT/.build/release/kvserver" ] && [ -x "$ROOT/.build/release/kvbench" ] || {
    (cd "$ROOT" && swift build -c release --product kvserver >/dev/null && swift build -c release --product kvbench >/dev/null) || exit 1
}
wait_ready() { # wait_ready LOG
    for _ in $(seq 1 600); do grep -q "ready to serve client requests" "$1" 2>/dev/null && return 0; sleep 0.05; done
    return 1
}
printf '%-10s %-12s %-12s %-14s %s\n' records log_MiB replay_ms ready_ms log_line
for N in ${@:-100000 300000 1000000}; do
    rm -rf "$DATA"; mkdir -p "$DATA"
    "$ROOT/.build/release/kvserver" --listen-client-urls 127.0.0.1:$PORT --data-dir "$DATA/d" --wal-sync none \
        --snapshot-count $((N * 2)) --snapshot-log-bytes $((N * 1024)) --log-level info 2>"$DATA/load.log" &
    PID=$!
    wait_ready "$DATA/load.log" || { echo "kvserver did not start" >&2; exit 1; }
    timeout 600 "$ROOT/.build/release/kvbench" put --endpoints 127.0.0.1:$PORT --conns 4 --clients 64 --pipeline 16 \
        --total "$N" --val-size 256 --key-space-size 100000 --timeout 590s >"$DATA/kvbench.txt" 2>&1 || { echo "load failed" >&2; exit 1; }
    sleep 0.5   # the log writer has written everything (none mode: no sync)
    kill -9 "$PID"; wait "$PID" 2>/dev/null; PID=
    bytes=$(du -sb "$DATA/d/wal" | cut -f1)
    start=$(date +%s%N)
    "$ROOT/.build/release/kvserver" --listen-client-urls 127.0.0.1:$PORT --data-dir "$DATA/d" --log-level info 2>"$DATA/start.log" &
    PID=$!
    wait_ready "$DATA/start.log" || { echo "restart did not become ready: $(tail -3 "$DATA/start.log")" >&2; exit 1; }
    ready=$(( ($(date +%s%N) - start) / 1000000 ))
    line=$(grep "replayed write-ahead log" "$DATA/start.log" | sed 's/.*replayed write-ahead log [^:]*: //')
    replay=$(echo "$line" | sed -n 's/.* in \([0-9]*\) ms.*/\1/p')
    printf '%-10s %-12s %-12s %-14s %s\n' "$N" "$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')" "$replay" "$ready" "$line"
    kill "$PID"; wait "$PID" 2>/dev/null; PID=
done
