#!/usr/bin/env bash
# Start-up time and idle memory of a kvserver binary:
#   scripts/measure-startup.sh [path/to/kvserver] [runs]
# - exec: mean wall time of `kvserver --version` (process start, runtime load, exit)
# - ready: mean time from exec until the client port answers `PING` (a TCP connect and one line)
# - rss: VmRSS of an idle server 0.5 s after it is ready
set -u
BIN=${1:-.build/release/kvserver}
RUNS=${2:-30}
PORT=24799
now() { date +%s%N; }
total=0
for _ in $(seq "$RUNS"); do s=$(now); "$BIN" --version >/dev/null; total=$((total + $(now) - s)); done
echo "exec: $((total / RUNS / 1000)) µs (mean of $RUNS runs of --version)"
total=0; rss=0
for _ in $(seq "$RUNS"); do
    s=$(now)
    "$BIN" --listen-client-urls "http://127.0.0.1:$PORT" --log-level error >/dev/null 2>&1 &
    pid=$!
    until { exec 3<>"/dev/tcp/127.0.0.1/$PORT"; } 2>/dev/null; do :; done
    printf 'PING\n' >&3; read -r _ <&3; exec 3>&-
    total=$((total + $(now) - s))
    sleep 0.5
    rss=$((rss + $(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")))
    kill "$pid"; wait "$pid" 2>/dev/null
done
echo "ready: $((total / RUNS / 1000)) µs (mean of $RUNS starts until PING is answered)"
echo "rss: $((rss / RUNS)) kB (idle, mean)"
