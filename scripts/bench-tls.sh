#!/usr/bin/env bash
# bench-tls.sh - TLS against plaintext, in ONE run on this machine: kvserver (one server, a TLS and a
# plaintext listener) with kvbench, Redis 7 (--tls-port beside --port) with redis-benchmark, etcd 3.4 and
# kvserver over TLS with etcd's own benchmark (--cacert), and full handshakes per second with
# `openssl s_time -new` (TLS 1.3, P-256). 256-byte values, random keys of a 100k key space.
#
#   bash scripts/bench-tls.sh             # ~2 min plus the release build
#   SCALE=0.3 bash scripts/bench-tls.sh   # fewer requests per figure
#
# A throw-away CA and server certificate are made with `openssl` in $OUT. Servers listen on 127.0.0.1
# only (kvserver 25300/25301, redis 25120/25121, etcd 25000/25001), one at a time, each stopped by the PID
# recorded here; every client run is bounded by `timeout`. Systems that are not installed are skipped.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-/tmp/perf-results/tls}
SCALE=${SCALE:-1}
BENCH=${BENCH:-$ROOT/../shared/clients/bin/benchmark}
KV_TLS=25300 KV_PLAIN=25301 REDIS_TLS=25120 REDIS_PLAIN=25121 ETCD_PORT=25000
SERVER_PID=
export GRPC_GO_LOG_SEVERITY_LEVEL=error
mkdir -p "$OUT"; rm -f "$OUT"/*.txt "$OUT/results.tsv"
# shellcheck source=scripts/server-control.sh
source "$ROOT/scripts/server-control.sh"

n() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s); if (v < 500) v = 500; print v }'; }
row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$OUT/results.tsv"; }   # system figure tls plain

[ -x "$ROOT/.build/release/kvserver" ] && [ -x "$ROOT/.build/release/kvbench" ] || {
    (cd "$ROOT" && swift build -c release --product kvserver >/dev/null && swift build -c release --product kvbench >/dev/null) || exit 1
}
command -v openssl >/dev/null || { echo "bench-tls: the openssl command is needed" >&2; exit 1; }
(
    cd "$OUT" && EC="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    openssl req -x509 $EC -keyout ca-key.pem -out ca.pem -days 2 -subj '/CN=bench CA'
    openssl req $EC -keyout server-key.pem -out server.csr -subj '/CN=localhost'
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server.pem -days 2 -extfile ext.cnf
) >/dev/null 2>&1 || { echo "bench-tls: openssl could not make the certificates" >&2; exit 1; }
CA=$OUT/ca.pem CERT=$OUT/server.pem KEY=$OUT/server-key.pem

kvbench() { # kvbench FIGURE ENDPOINT-ARGS... -> requests/s
    local figure=$1; shift
    local args
    case $figure in
        put-c50) args="put --conns 50 --clients 50 --total $(n 60000) --val-size 256 --key-space-size 100000" ;;
        put-P16) args="put --conns 50 --clients 50 --pipeline 16 --total $(n 400000) --val-size 256 --key-space-size 100000" ;;
        get-c50) args="get --conns 50 --clients 50 --total $(n 60000) --key-space-size 1000" ;;
    esac
    # shellcheck disable=SC2086
    timeout 300 "$ROOT/.build/release/kvbench" $args --timeout 280s "$@" >"$OUT/kv.$figure.$#.txt" 2>&1
    awk '/\.requests_per_sec:/ { print $2 }' "$OUT/kv.$figure.$#.txt"
}

handshakes() { # handshakes PORT -> full handshakes in 5 s
    timeout 20 openssl s_time -connect "127.0.0.1:$1" -new -time 5 -CAfile "$CA" 2>/dev/null |
        awk '/connections in [0-9.]+ real seconds/ { print $1 } ' | head -1
}

# kvserver: one server, a TLS and a plaintext listener.
"$ROOT/.build/release/kvserver" --listen-client-urls "https://127.0.0.1:$KV_TLS,http://127.0.0.1:$KV_PLAIN" \
    --cert-file "$CERT" --key-file "$KEY" --log-level error 2>"$OUT/kvserver.log" &
SERVER_PID=$!
wait_port $KV_PLAIN || { echo "bench-tls: kvserver did not start: $(tail -3 "$OUT/kvserver.log")" >&2; exit 1; }
for figure in put-c50 put-P16 get-c50; do
    tls=$(kvbench $figure --endpoints "https://127.0.0.1:$KV_TLS" --cacert "$CA")
    plain=$(kvbench $figure --endpoints "127.0.0.1:$KV_PLAIN")
    row kvserver "$figure" "$tls" "$plain"
done
if [ -x "$BENCH" ]; then
    timeout 300 "$BENCH" --endpoints "127.0.0.1:$KV_TLS" --cacert "$CA" --conns 50 --clients 50 put --total "$(n 30000)" \
        --val-size 256 --key-space-size 100000 >"$OUT/kv.benchmark.tls.txt" 2>&1
    timeout 300 "$BENCH" --endpoints "127.0.0.1:$KV_PLAIN" --conns 50 --clients 50 put --total "$(n 30000)" \
        --val-size 256 --key-space-size 100000 >"$OUT/kv.benchmark.plain.txt" 2>&1
    row kvserver "etcd-benchmark put-c50" "$(awk '/Requests\/sec:/ { print $2 }' "$OUT/kv.benchmark.tls.txt")" \
        "$(awk '/Requests\/sec:/ { print $2 }' "$OUT/kv.benchmark.plain.txt")"
fi
row kvserver "handshakes/5s" "$(handshakes $KV_TLS)" "-"
stop_server

# Redis 7: --tls-port beside --port.
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
    redis-server --port $REDIS_PLAIN --tls-port $REDIS_TLS --bind 127.0.0.1 --tls-cert-file "$CERT" --tls-key-file "$KEY" \
        --tls-ca-cert-file "$CA" --tls-auth-clients no --save '' --appendonly no --logfile "$OUT/redis.log" >/dev/null 2>&1 &
    SERVER_PID=$!
    if wait_port $REDIS_PLAIN; then
        redis() { # redis FIGURE ARGS... -> requests/s
            local figure=$1; shift
            local args
            case $figure in
                put-c50) args="-t set -c 50 -n $(n 60000) -d 256 -r 100000" ;;
                put-P16) args="-t set -c 50 -P 16 -n $(n 400000) -d 256 -r 100000" ;;
                get-c50) args="-t get -c 50 -n $(n 60000) -d 256 -r 1000" ;;
            esac
            # shellcheck disable=SC2086
            timeout 300 redis-benchmark $args -q "$@" 2>&1 | tr '\r' '\n' | awk '/^(SET|GET):/ { v = $2 } END { print v }'
        }
        for figure in put-c50 put-P16 get-c50; do
            row redis "$figure" "$(redis $figure -p $REDIS_TLS --tls --cacert "$CA")" "$(redis $figure -p $REDIS_PLAIN)"
        done
        row redis "handshakes/5s" "$(handshakes $REDIS_TLS)" "-"
    else
        echo "bench-tls: redis did not start (built without TLS?)" >&2
    fi
    stop_server
fi

# etcd 3.4 over TLS.
if [ -x "$BENCH" ] && command -v etcd >/dev/null; then
    rm -rf "$OUT/etcd-data"
    etcd --data-dir "$OUT/etcd-data" --unsafe-no-fsync --listen-client-urls "https://127.0.0.1:$ETCD_PORT" \
        --advertise-client-urls "https://127.0.0.1:$ETCD_PORT" --cert-file "$CERT" --key-file "$KEY" \
        --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
        --initial-cluster "default=http://127.0.0.1:$((ETCD_PORT + 1))" >"$OUT/etcd.log" 2>&1 &
    SERVER_PID=$!
    if wait_port $ETCD_PORT; then
        timeout 300 "$BENCH" --endpoints "127.0.0.1:$ETCD_PORT" --cacert "$CA" --conns 50 --clients 50 put --total "$(n 30000)" \
            --val-size 256 --key-space-size 100000 >"$OUT/etcd.benchmark.tls.txt" 2>&1
        row "etcd 3.4 (--unsafe-no-fsync)" "etcd-benchmark put-c50" "$(awk '/Requests\/sec:/ { print $2 }' "$OUT/etcd.benchmark.tls.txt")" "-"
        row "etcd 3.4 (--unsafe-no-fsync)" "handshakes/5s" "$(handshakes $ETCD_PORT)" "-"
    else
        echo "bench-tls: etcd did not start: $(tail -3 "$OUT/etcd.log")" >&2
    fi
    stop_server
fi

echo
echo "TLS vs plaintext, requests/s (handshakes: full TLS 1.3 handshakes in 5 s, openssl s_time -new, one client)"
awk -F'\t' '{ r = ($4 > 0) ? sprintf("%.2f", $3 / $4) : "-"
              printf "%-30s %-24s %10s %10s %8s\n", $1, $2, $3, $4, r }
     BEGIN { printf "%-30s %-24s %10s %10s %8s\n", "system", "figure", "tls", "plaintext", "tls/pl" }' "$OUT/results.tsv"
