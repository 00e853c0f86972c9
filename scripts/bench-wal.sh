#!/usr/bin/env bash
# bench-wal.sh - durable writes, in ONE run on this machine: kvserver with a data dir (--wal-sync always
# and interval=1s) beside etcd 3.4 with its default fsync and Redis 7 with appendonly yes
# (appendfsync always and everysec), plus kvserver in memory as the ceiling. Same shapes everywhere:
# 256-byte values, random keys of a 100k key space, 50 clients on 50 connections (one request in
# flight each) and 1,000 clients on 100 connections. kvserver is driven by kvbench (its protocol) and
# by etcd's own `benchmark` (gRPC, the tool etcd is measured with); etcd by `benchmark`; Redis by
# redis-benchmark. Prints requests/s, the ratio to etcd and to Redis, and kvserver's syncs per second
# and writes per sync (group commit) from /metrics.
#
#   bash scripts/bench-wal.sh              # ~3 min plus the release build
#   SCALE=0.3 bash scripts/bench-wal.sh    # fewer requests per figure
#
# Needs etcd, etcd's benchmark (bash ../shared/clients/install.sh) and redis-server/redis-benchmark;
# a system that is missing is skipped with a note. Servers listen on 127.0.0.1 only (kvserver 25200,
# etcd 25000/25001, redis 25100), one at a time, each stopped by the PID recorded here; data dirs
# under /tmp/perf-wal; every client run is bounded by `timeout`. Raw outputs: $OUT.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-/tmp/perf-results/wal}
DATA=/tmp/perf-wal
SCALE=${SCALE:-1}
BENCH=${BENCH:-$ROOT/../shared/clients/bin/benchmark}
KV_PORT=25200 ETCD_PORT=25000 REDIS_PORT=25100
SERVER_PID=
export GRPC_GO_LOG_SEVERITY_LEVEL=error
mkdir -p "$OUT"; rm -f "$OUT"/*.txt "$OUT/results.tsv"

n() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s); if (v < 500) v = 500; print v }'; }

# shellcheck source=scripts/server-control.sh
source "$ROOT/scripts/server-control.sh"

metric() { curl -s "http://127.0.0.1:$KV_PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

# row SYSTEM SHAPE RPS [SYNCS_PER_S WRITES_PER_SYNC]
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:--}" "${5:--}" >>"$OUT/results.tsv"; }

start_kv() { # start_kv ARGS...
    rm -rf "$DATA/kv"; mkdir -p "$DATA"
    "$ROOT/.build/release/kvserver" --listen-client-urls "127.0.0.1:$KV_PORT" --log-level warn "$@" \
        2>"$OUT/kvserver.log" &
    SERVER_PID=$!
    wait_port $KV_PORT || { echo "bench-wal: kvserver did not start: $(tail -3 "$OUT/kvserver.log")" >&2; exit 1; }
}

# kv_fig SYSTEM SHAPE TOOL CONNS CLIENTS TOTAL
kv_fig() {
    local system=$1 shape=$2 tool=$3 conns=$4 clients=$5 total=$6 f="$OUT/$1.$2.$3.txt" rps
    local s0 r0 t0 s1 r1 t1
    s0=$(metric kvserver_wal_syncs_total); r0=$(metric kvserver_wal_synced_records_total); t0=$(date +%s.%N)
    if [ "$tool" = kvbench ]; then
        timeout 300 "$ROOT/.build/release/kvbench" put --endpoints "127.0.0.1:$KV_PORT" --conns "$conns" --clients "$clients" \
            --total "$total" --val-size 256 --key-space-size 100000 --timeout 280s >"$f" 2>&1
        rps=$(awk '$1 == "put.requests_per_sec:" { print $2 }' "$f")
    else
        timeout 300 "$BENCH" --endpoints "127.0.0.1:$KV_PORT" --conns "$conns" --clients "$clients" put --total "$total" \
            --val-size 256 --key-space-size 100000 >"$f" 2>&1
        rps=$(awk '/Requests\/sec:/ { v = $2 } END { print v }' "$f")
    fi
    t1=$(date +%s.%N); s1=$(metric kvserver_wal_syncs_total); r1=$(metric kvserver_wal_synced_records_total)
    if [ -n "$s0" ] && [ -n "$s1" ] && [ "$s1" != "$s0" ]; then
        row "$system ($tool)" "$shape" "$rps" \
            "$(awk -v a="$s0" -v b="$s1" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%.0f", (b - a) / (t1 - t0) }')" \
            "$(awk -v a="$s0" -v b="$s1" -v c="$r0" -v d="$r1" 'BEGIN { printf "%.1f", (d - c) / (b - a) }')"
    else
        row "$system ($tool)" "$shape" "$rps"
    fi
}

[ -x "$ROOT/.build/release/kvserver" ] && [ -x "$ROOT/.build/release/kvbench" ] || {
    echo "bench-wal: building release kvserver and kvbench" >&2
    (cd "$ROOT" && swift build -c release --product kvserver >/dev/null && swift build -c release --product kvbench >/dev/null) || exit 1
}
HAVE_BENCH=1; [ -x "$BENCH" ] || { HAVE_BENCH=0; echo "bench-wal: no etcd benchmark tool ($BENCH): bash ../shared/clients/install.sh" >&2; }

for mode in always interval=1s; do
    start_kv --data-dir "$DATA/kv" --wal-sync "$mode"
    kv_fig "kvserver wal $mode" "c50" kvbench 50 50 "$(n 40000)"
    kv_fig "kvserver wal $mode" "c1000" kvbench 100 1000 "$(n 100000)"
    if [ $HAVE_BENCH = 1 ] && [ "$mode" = always ]; then
        kv_fig "kvserver wal $mode" "c50" benchmark 50 50 "$(n 40000)"
        kv_fig "kvserver wal $mode" "c1000" benchmark 100 1000 "$(n 100000)"
    fi
    stop_server
done
start_kv
kv_fig "kvserver in memory" "c50" kvbench 50 50 "$(n 60000)"
kv_fig "kvserver in memory" "c1000" kvbench 100 1000 "$(n 100000)"
stop_server

if [ $HAVE_BENCH = 1 ] && command -v etcd >/dev/null; then
    rm -rf "$DATA/etcd"
    etcd --data-dir "$DATA/etcd" --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
        --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
        --initial-cluster "default=http://127.0.0.1:$((ETCD_PORT + 1))" --quota-backend-bytes 8589934592 >"$OUT/etcd.log" 2>&1 &
    SERVER_PID=$!
    if wait_port $ETCD_PORT; then
        for shape in c50 c1000; do
            if [ $shape = c50 ]; then conns=50 clients=50 total=$(n 20000); else conns=100 clients=1000 total=$(n 60000); fi
            f="$OUT/etcd.$shape.txt"
            timeout 300 "$BENCH" --endpoints "127.0.0.1:$ETCD_PORT" --conns $conns --clients $clients put --total "$total" \
                --val-size 256 --key-space-size 100000 >"$f" 2>&1
            row "etcd 3.4 (fsync)" $shape "$(awk '/Requests\/sec:/ { v = $2 } END { print v }' "$f")"
        done
    else
        echo "bench-wal: etcd did not start" >&2
    fi
    stop_server
else
    echo "bench-wal: etcd skipped (etcd or benchmark missing)" >&2
fi

if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
    for fsync in always everysec; do
        rm -rf "$DATA/redis"; mkdir -p "$DATA/redis"
        redis-server --port $REDIS_PORT --bind 127.0.0.1 --save '' --appendonly yes --appendfsync $fsync \
            --dir "$DATA/redis" --logfile "$OUT/redis.log" >/dev/null 2>&1 &
        SERVER_PID=$!
        wait_port $REDIS_PORT || { echo "bench-wal: redis did not start" >&2; continue; }
        for shape in c50 c1000; do
            if [ $shape = c50 ]; then clients=50 total=$(n 40000); else clients=1000 total=$(n 100000); fi
            f="$OUT/redis.$fsync.$shape.txt"
            timeout 300 redis-benchmark -p $REDIS_PORT -t set -c $clients -n "$total" -d 256 -r 100000 -q >"$f" 2>&1
            row "redis 7 appendfsync $fsync" $shape "$(tr '\r' '\n' <"$f" | awk '/^SET:/ { v = $2 } END { print v }')"
        done
        stop_server
    done
else
    echo "bench-wal: redis skipped (redis-server or redis-benchmark missing)" >&2
fi

echo
echo "durable puts, 256-byte values (requests/s; syncs/s and writes per sync for kvserver's log)"
awk -F'\t' '
    { sys[NR] = $1; shape[NR] = $2; rps[NR] = $3; syncs[NR] = $4; per[NR] = $5
      if ($1 ~ /^etcd/) etcd[$2] = $3
      if ($1 ~ /appendfsync always/) ra[$2] = $3
      if ($1 ~ /appendfsync everysec/) re[$2] = $3 }
    END {
      printf "%-36s %-6s %10s %10s %10s %9s %10s\n", "system", "shape", "req/s", "vs etcd", "vs redis", "syncs/s", "writes/sync"
      for (i = 1; i <= NR; i++) {
        e = (shape[i] in etcd && etcd[shape[i]] > 0) ? sprintf("%.2fx", rps[i] / etcd[shape[i]]) : "-"
        ref = (sys[i] ~ /interval/ || sys[i] ~ /everysec/) ? re[shape[i]] : ra[shape[i]]
        r = (ref > 0) ? sprintf("%.2fx", rps[i] / ref) : "-"
        printf "%-36s %-6s %10.0f %10s %10s %9s %10s\n", sys[i], shape[i], rps[i], e, r, syncs[i], per[i]
      }
    }' "$OUT/results.tsv"
