#!/usr/bin/env bash
# bench-grpc.sh - etcd's own load generator (`benchmark`, grpc-go) against etcd 3.4 --unsafe-no-fsync
# and against kvserver (release), in ONE run, same shapes, 256-byte values. Prints a table of
# requests/s, p99 and server CPU per request, with the ratio kvserver / etcd.
#
#   bash scripts/bench-grpc.sh             # ~3 min plus the release build
#   SCALE=0.3 bash scripts/bench-grpc.sh   # fewer requests per figure (a quick look)
#   SKIP_ETCD=1 bash scripts/bench-grpc.sh # kvserver only
#
# Needs etcd and the `benchmark` tool: bash ../shared/clients/install.sh. Servers listen on 127.0.0.1
# only (etcd 25000/25001, kvserver 25200), one at a time (client and server share the cores); each is
# stopped by the PID recorded here, every client run is bounded by `timeout`. Raw outputs: $OUT.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${BENCH:-$ROOT/../shared/clients/bin/benchmark}
OUT=${OUT:-/tmp/perf-results/grpc}
SCALE=${SCALE:-1}
ETCD_PORT=25000 KV_PORT=25200
SERVER_PID=
export GRPC_GO_LOG_SEVERITY_LEVEL=error
mkdir -p "$OUT"; rm -f "$OUT"/*.txt "$OUT/results.tsv"
[ -x "$BENCH" ] || { echo "bench-grpc: $BENCH missing: bash ../shared/clients/install.sh" >&2; exit 1; }

n() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s); if (v < 500) v = 500; print v }'; }
VAL=$(head -c 256 /dev/zero | tr '\0' v)

# shellcheck source=scripts/server-control.sh
source "$ROOT/scripts/server-control.sh"

# CPU seconds (user + system) a process has used.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$1/stat"; }

# fig SYSTEM ID ENDPOINT TOTAL benchmark-args...: one row of results.tsv
fig() {
    local system=$1 id=$2 ep=$3 total=$4; shift 4
    local f="$OUT/$system.$id.txt" c0 c1
    c0=$(cpu_s "$SERVER_PID")
    timeout 300 "$BENCH" --endpoints "$ep" "$@" >"$f" 2>&1
    local rc=$?
    c1=$(cpu_s "$SERVER_PID")
    [ $rc -eq 0 ] || echo "bench-grpc: $system $id failed (rc=$rc): $(tail -3 "$f")" >&2
    local rps p99
    # The last summary is the figure (watch prints watch creation first, then events received).
    rps=$(awk '/Requests\/sec:/ { v = $2 } END { printf "%d", v }' "$f")
    p99=$(awk '/99%/ && /in/ { gsub(/secs/, "", $3); printf "%.2f", $3 * 1000; exit }' "$f")
    local cpu_us
    cpu_us=$(awk -v a="$c0" -v b="$c1" -v n="$total" 'BEGIN { if (n > 0) printf "%.1f", (b - a) * 1e6 / n; else print "-" }')
    printf '%s\t%s\t%s\t%s\t%s\n' "$id" "$system" "${rps:-0}" "${p99:--}" "$cpu_us" >>"$OUT/results.tsv"
}

run_figures() { # SYSTEM ENDPOINT
    local system=$1 ep=$2
    ETCDCTL_API=3 etcdctl --endpoints="$ep" put rangekey "$VAL" >/dev/null
    fig "$system" put.c1 "$ep" "$(n 20000)" put --conns=1 --clients=1 --total="$(n 20000)" --key-size=8 --val-size=256 --key-space-size=100000
    fig "$system" put.c1000 "$ep" "$(n 200000)" put --conns=100 --clients=1000 --total="$(n 200000)" --key-size=8 --val-size=256 --key-space-size=100000
    fig "$system" range.c1 "$ep" "$(n 20000)" range rangekey --conns=1 --clients=1 --total="$(n 20000)"
    fig "$system" range.c1000 "$ep" "$(n 200000)" range rangekey --conns=100 --clients=1000 --total="$(n 200000)"
    fig "$system" range.s.c1000 "$ep" "$(n 200000)" range rangekey --consistency=s --conns=100 --clients=1000 --total="$(n 200000)"
    fig "$system" lease-keepalive "$ep" "$(n 100000)" lease-keepalive --conns=10 --clients=100 --total="$(n 100000)"
    # 10 streams x 100 watchers on one key; every put is delivered to 1000 watchers.
    fig "$system" watch "$ep" "$(( $(n 2000) * 1000 ))" watch --conns=10 --clients=10 --streams=10 --watch-per-stream=100 \
        --put-total="$(n 2000)" --put-rate=1000000 --key-size=8
}

echo "# building kvserver (release)" >&2
(cd "$ROOT" && swift build -c release --product kvserver >"$OUT/build.log" 2>&1) || { echo "bench-grpc: build failed: $OUT/build.log" >&2; exit 1; }
KVSERVER=$(cd "$ROOT" && swift build -c release --show-bin-path)/kvserver

if [ "${SKIP_ETCD:-0}" != 1 ]; then
    echo "# etcd $(etcd --version | awk '/etcd Version/ { print $3 }') --unsafe-no-fsync" >&2
    rm -rf /tmp/perf-grpc-etcd
    etcd --name bench --data-dir /tmp/perf-grpc-etcd --unsafe-no-fsync \
        --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
        --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
        --initial-cluster "bench=http://127.0.0.1:$((ETCD_PORT + 1))" --quota-backend-bytes=8589934592 >"$OUT/etcd.log" 2>&1 &
    SERVER_PID=$!
    wait_port $ETCD_PORT || { echo "bench-grpc: etcd did not start: $OUT/etcd.log" >&2; exit 1; }
    sleep 1
    run_figures etcd "127.0.0.1:$ETCD_PORT"
    stop_server
    rm -rf /tmp/perf-grpc-etcd
fi

echo "# kvserver (release)" >&2
"$KVSERVER" --listen-client-urls "http://127.0.0.1:$KV_PORT" --log-level warn >"$OUT/kvserver.log" 2>&1 &
SERVER_PID=$!
wait_port $KV_PORT || { echo "bench-grpc: kvserver did not start: $OUT/kvserver.log" >&2; exit 1; }
run_figures kvserver "127.0.0.1:$KV_PORT"
stop_server

printf '%-16s %12s %9s %8s %12s %9s %8s %8s\n' figure "etcd req/s" "p99 ms" "cpu µs" "kvserver" "p99 ms" "cpu µs" ratio
for id in put.c1 put.c1000 range.c1 range.c1000 range.s.c1000 lease-keepalive watch; do
    awk -F'\t' -v id="$id" '
        $1 == id && $2 == "etcd" { er = $3; ep = $4; ec = $5 }
        $1 == id && $2 == "kvserver" { kr = $3; kp = $4; kc = $5 }
        END { printf "%-16s %12s %9s %8s %12s %9s %8s %8s\n", id, er ? er : "-", ep ? ep : "-", ec ? ec : "-",
              kr ? kr : "-", kp ? kp : "-", kc ? kc : "-", (er > 0 && kr > 0) ? sprintf("%.2fx", kr / er) : "-" }
    ' "$OUT/results.tsv"
done
echo "(requests/s as etcd's benchmark reports them; cpu = server CPU per request; watch: events received/s, 1000 watchers of one key)"
