#!/usr/bin/env bash
# bench-compare.sh - kvserver + kvbench beside Redis 7 (redis-benchmark) and etcd 3.4 (its own
# benchmark tool), in ONE run on this machine, with the same workload shapes. Prints a table of
# throughputs, ratios (ours / theirs) and client CPU per operation.
#
#   bash scripts/bench-compare.sh                  # from the project root; ~4-5 min plus the build
#   SKIP_ETCD=1 bash scripts/bench-compare.sh      # without the etcd part
#   SCALE=0.2 bash scripts/bench-compare.sh        # fewer requests per figure (a quick look)
#
# Needs the reference tools installed by ../shared/bench/build-tools.sh (redis-server,
# redis-benchmark, etcd, etcdctl and /tmp/perf-tools/bin/etcd-benchmark).
# Servers listen on 127.0.0.1 only: kvserver on $KV_PORT (25200), redis 25100, etcd 25000/25001.
# Only one server runs at a time (client and server share the cores). Every server is stopped by
# the PID this script recorded; every client run is bounded by `timeout`.
# Raw outputs go to $OUT (/tmp/perf-results/compare).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared/bench}
[ -f "$SHARED/lib.sh" ] || { echo "bench-compare: $SHARED/lib.sh not found (set SHARED=)" >&2; exit 1; }
# shellcheck source=/dev/null
source "$SHARED/lib.sh"
OUT=${OUT:-/tmp/perf-results/compare}
KV_PORT=${KV_PORT:-25200}
KV_EP=127.0.0.1:$KV_PORT
KV_PID=
SCALE=${SCALE:-1}
export GRPC_GO_LOG_SEVERITY_LEVEL=error
mkdir -p "$OUT"
rm -f "$OUT"/*.txt "$OUT"/*.csv "$OUT"/*.time "$OUT"/*.err "$OUT/results.tsv"

n() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s); if (v < 1000) v = 1000; print v }'; }

kv_stop() {
    if [ -n "$KV_PID" ] && kill -0 "$KV_PID" 2>/dev/null; then
        kill "$KV_PID"
        for _ in $(seq 1 50); do kill -0 "$KV_PID" 2>/dev/null || break; sleep 0.1; done
    fi
    KV_PID=
}
cleanup() { kv_stop; etcd_stop; redis_stop; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build -----------------------------------------------------------------------------------
echo "# building kvserver and kvbench (release)" >&2
(cd "$ROOT" && swift build -c release --product kvserver >"$OUT/build.log" 2>&1 \
    && swift build -c release --product kvbench >>"$OUT/build.log" 2>&1) \
    || { echo "bench-compare: release build failed, see $OUT/build.log" >&2; exit 1; }
BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)
KVBENCH=$BIN/kvbench
for tool in redis-server redis-benchmark redis-cli; do
    command -v $tool >/dev/null || { echo "bench-compare: $tool missing: run bash $SHARED/build-tools.sh" >&2; exit 1; }
done

kv_start() {
    "$BIN/kvserver" --listen-client-urls "http://$KV_EP" --log-level warn >"$OUT/kvserver.log" 2>&1 &
    KV_PID=$!
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$KV_PORT") 2>/dev/null; then return 0; fi
        kill -0 "$KV_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "kvserver did not start (see $OUT/kvserver.log)" >&2
    return 1
}

# kv_line LINE -> the server's reply to one request line
kv_line() {
    local reply
    exec 3<>"/dev/tcp/127.0.0.1/$KV_PORT" || return 1
    printf '%s\n' "$1" >&3
    IFS= read -r -t 5 reply <&3
    exec 3<&- 3>&-
    printf '%s\n' "$reply"
}

# Every figure appends one row to results.tsv:
#   id  system  rps  p50_ms  p99_ms  client_cpu_us_per_op  server_cpu_us_per_op  other_cpu_s
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$OUT/results.tsv"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
per_op_us() { awk -v s="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.1f", s * 1e6 / n; else print "-" }'; }

# kb ID SERVER_PID kvbench-args...  (kvbench prints `ID.figure: value unit` lines)
kb() {
    local id=$1 pid=$2; shift 2
    local f="$OUT/kv.$id.txt" b0 c0 b1 c1
    b0=$(sys_busy_s); c0=$(proc_cpu_s "$pid")
    /usr/bin/time -f "%U %S" -o "$f.time" timeout 300 "$KVBENCH" "$@" --endpoints "$KV_EP" --name "$id" >"$f" 2>"$f.err"
    local rc=$?
    b1=$(sys_busy_s); c1=$(proc_cpu_s "$pid")
    if [ $rc -ne 0 ]; then echo "bench-compare: kvbench $id failed (rc=$rc): $(tail -2 "$f.err")" >&2; fi
    fig() { awk -v k="$id.$1:" '$1 == k { print $2 }' "$f"; }
    local reqs cli srv other
    reqs=$(fig requests)
    cli=$(awk '{ printf "%.2f", $1 + $2 }' "$f.time")
    srv=$(echo "$c1 - $c0" | bc)
    other=$(echo "$b1 - $b0 - $cli - $srv" | bc)
    row "$id" kvserver "$(fig requests_per_sec)" "$(fig p50_ms)" "$(fig p99_ms)" \
        "$(fig client_cpu_us_per_op)" "$(per_op_us "$srv" "${reqs:-0}")" "$other"
}

# rb ID N redis-benchmark-args...  (-t set,get: rows ID.set and ID.get)
rb() {
    local id=$1 total=$2; shift 2
    local f="$OUT/redis.$id" b0 c0 b1 c1
    b0=$(sys_busy_s); c0=$(proc_cpu_s "$REDIS_PID")
    /usr/bin/time -f "%U %S" -o "$f.time" timeout 300 redis-benchmark -p "$REDIS_PORT" --csv -t set,get -n "$total" \
        -d 256 -r 1000000 "$@" >"$f.csv" 2>"$f.err"
    b1=$(sys_busy_s); c1=$(proc_cpu_s "$REDIS_PID")
    local cli srv other
    cli=$(awk '{ printf "%.2f", $1 + $2 }' "$f.time")
    srv=$(echo "$c1 - $c0" | bc)
    other=$(echo "$b1 - $b0 - $cli - $srv" | bc)
    # CPU is for both tests together: per op over 2 x total
    grep -vE '^"test"' "$f.csv" | tr -d '"' | while IFS=, read -r t rps _avg _min p50 _p95 p99 _max; do
        local name; name=$(echo "$t" | tr 'A-Z' 'a-z')
        row "$id.$name" redis "${rps%.*}" "$p50" "$p99" "$(per_op_us "$cli" $((2 * total)))" \
            "$(per_op_us "$srv" $((2 * total)))" "$other"
    done
}

# eb ID etcd-benchmark-args...
eb() {
    local id=$1; shift
    local f="$OUT/etcd.$id.txt" b0 c0 b1 c1
    b0=$(sys_busy_s); c0=$(proc_cpu_s "$ETCD_PID")
    /usr/bin/time -f "%U %S" -o "$f.time" timeout 300 "$BENCH" --endpoints=$ETCD_EP --precise "$@" >"$f" 2>"$f.err"
    b1=$(sys_busy_s); c1=$(proc_cpu_s "$ETCD_PID")
    local cli srv other parsed rps p50 p99 total
    cli=$(awk '{ printf "%.2f", $1 + $2 }' "$f.time")
    srv=$(echo "$c1 - $c0" | bc)
    other=$(echo "$b1 - $b0 - $cli - $srv" | bc)
    parsed=$(parse_bench "$f")
    rps=${parsed#rps=}; rps=${rps%% *}
    p50=${parsed#*p50_ms=}; p50=${p50%% *}
    p99=${parsed#*p99_ms=}
    total=$(echo "$*" | sed -n 's/.*--total=\([0-9]*\).*/\1/p')
    row "$id" etcd "$rps" "$p50" "$p99" "$(per_op_us "$cli" "$total")" "$(per_op_us "$srv" "$total")" "$other"
}

T0=$(date +%s)
echo "# machine: $(nproc) cores, $(awk -F: '/model name/ { print $2; exit }' /proc/cpuinfo | sed 's/^ *//'), load1=$(cut -d' ' -f1 /proc/loadavg)" | tee "$OUT/machine.txt"

# ---- redis and kvserver: SET/GET shapes ---------------------------------------------------------
N50=$(n 500000); NP16=$(n 2000000); N1=$(n 100000)
echo "# redis 7: -c 50, -c 50 -P 16, -c 1 (SET then GET, 256-byte values, -r 1000000)" >&2
redis_start || exit 1
rb c50 "$N50" -c 50
rb p16 "$NP16" -c 50 -P 16
rb c1 "$N1" -c 1
redis_stop

echo "# kvserver: the same shapes with kvbench" >&2
kv_start || exit 1
KVS=(--key-size 8 --val-size 256 --key-space-size 1000000)
kb c50.set "$KV_PID" put --conns 50 --clients 50 --total "$N50" "${KVS[@]}"
kb c50.get "$KV_PID" get --conns 50 --clients 50 --total "$N50" "${KVS[@]}" --preload=false
kb p16.set "$KV_PID" put --conns 50 --clients 50 --pipeline 16 --total "$NP16" "${KVS[@]}"
kb p16.get "$KV_PID" get --conns 50 --clients 50 --pipeline 16 --total "$NP16" "${KVS[@]}" --preload=false
kb c1.set "$KV_PID" put --conns 1 --clients 1 --total "$N1" "${KVS[@]}"
kb c1.get "$KV_PID" get --conns 1 --clients 1 --total "$N1" "${KVS[@]}" --preload=false
kv_stop

# ---- etcd (--unsafe-no-fsync) and kvserver: put/range shapes of ../shared/bench/anchors.sh ----------
if [ "${SKIP_ETCD:-0}" != 1 ] && [ -x "$BENCH" ]; then
    VAL256=$(head -c 256 /dev/zero | tr '\0' 'v')
    EP1=$(n 10000); EPUT=$(n 100000); ERANGE=$(n 50000)
    echo "# etcd 3.4 --unsafe-no-fsync: put and range, 1 and 1000 clients" >&2
    etcd_start --unsafe-no-fsync || exit 1
    ETCDCTL_API=3 etcdctl --endpoints=$ETCD_EP put rangekey "$VAL256" >/dev/null
    eb put.c1 --conns=1 --clients=1 put --key-size=8 --sequential-keys --total="$EP1" --val-size=256
    eb put.c1000 --conns=100 --clients=1000 put --key-size=8 --sequential-keys --total="$EPUT" --val-size=256
    eb range.c1 --conns=1 --clients=1 range rangekey --consistency=l --total="$EP1"
    eb range.c1000 --conns=100 --clients=1000 range rangekey --consistency=l --total="$ERANGE"
    etcd_stop

    echo "# kvserver: the same shapes with kvbench" >&2
    kv_start || exit 1
    reply=$(kv_line "PUT rangekey $VAL256")
    case "$reply" in OK*) ;; *) echo "bench-compare: PUT rangekey failed: $reply" >&2; exit 1 ;; esac
    kb put.c1 "$KV_PID" put --conns 1 --clients 1 --key-size 8 --sequential-keys --total "$EP1" --val-size 256
    kb put.c1000 "$KV_PID" put --conns 100 --clients 1000 --key-size 8 --sequential-keys --total "$EPUT" --val-size 256
    kb range.c1 "$KV_PID" range rangekey --conns 1 --clients 1 --total "$EP1"
    kb range.c1000 "$KV_PID" range rangekey --conns 100 --clients 1000 --total "$ERANGE"
    kv_stop
else
    echo "# etcd part skipped (SKIP_ETCD=1 or $BENCH missing)" >&2
fi

# ---- table ------------------------------------------------------------------------------------------
target() {
    case $1 in
        c50.*) echo "1.00 x redis" ;; p16.*) echo "0.75 x redis" ;; c1.*) echo "1.00 x redis" ;;
        put.*|range.*) echo "5.00 x etcd" ;;
    esac
}
describe() {
    case $1 in
        c50.set) echo "SET/PUT, 50 conns x 1" ;; c50.get) echo "GET, 50 conns x 1" ;;
        p16.set) echo "SET/PUT, 50 conns, pipeline 16" ;; p16.get) echo "GET, 50 conns, pipeline 16" ;;
        c1.set) echo "SET/PUT, 1 client" ;; c1.get) echo "GET, 1 client" ;;
        put.c1) echo "etcd put, 1 client" ;; put.c1000) echo "etcd put, 1000 clients/100 conns" ;;
        range.c1) echo "etcd range 1 key, 1 client" ;; range.c1000) echo "etcd range 1 key, 1000 clients" ;;
    esac
}
{
    printf '\n%-34s %10s %10s %7s %9s %8s %8s %9s %9s %8s %8s %7s\n' figure "ours/s" "theirs/s" ratio target \
        "our p50" "our p99" "thr p99" "our cli" "thr cli" "our srv" "other"
    printf '%-34s %10s %10s %7s %9s %8s %8s %9s %9s %8s %8s %7s\n' "" "" "" "" "" ms ms ms "µs/op" "µs/op" "µs/op" "cpu s"
    for id in c50.set c50.get p16.set p16.get c1.set c1.get put.c1 put.c1000 range.c1 range.c1000; do
        ours=$(awk -F'\t' -v id="$id" '$1 == id && $2 == "kvserver"' "$OUT/results.tsv")
        theirs=$(awk -F'\t' -v id="$id" '$1 == id && $2 != "kvserver"' "$OUT/results.tsv")
        [ -n "$ours" ] || [ -n "$theirs" ] || continue
        IFS=$'\t' read -r _ _ o_rps o_p50 o_p99 o_cli o_srv o_other <<<"$ours"
        IFS=$'\t' read -r _ _ t_rps _t_p50 t_p99 t_cli _t_srv t_other <<<"$theirs"
        printf '%-34s %10s %10s %7s %9s %8s %8s %9s %9s %8s %8s %7s\n' "$(describe "$id")" "${o_rps:--}" "${t_rps:--}" \
            "$(ratio "${o_rps:-0}" "${t_rps:-0}")" "$(target "$id" | cut -d' ' -f1)" "${o_p50:--}" "${o_p99:--}" "${t_p99:--}" \
            "${o_cli:--}" "${t_cli:--}" "${o_srv:--}" "${o_other:--}/${t_other:--}"
    done
    echo
    echo "ratio = kvserver / reference; targets: >=1.0x redis -c 50 and -c 1, >=0.75x redis -P 16, >=5x etcd (--unsafe-no-fsync)."
    echo "cli = load generator CPU per op (kvbench vs redis-benchmark / etcd benchmark); srv = kvserver CPU per op;"
    echo "other = CPU burnt by other processes during the kvserver/reference figure (noise; >1 s means re-run)."
    echo "wall: $(( $(date +%s) - T0 )) s; raw outputs in $OUT"
} | tee "$OUT/table.txt"
