#!/usr/bin/env bash
# kvctl's start-up cost for one command against a running kvserver (docs/TLS.md's table):
#   scripts/measure-kvctl-startup.sh ENDPOINT [path/to/kvctl] [runs] [extra kvctl flags…]
# Prints the mean wall time per run (date +%s%N) and the mean CPU time (user+sys of the loop's
# children, steadier than wall time on a busy machine) of `kvctl --endpoints ENDPOINT get foo`.
# With PRELOAD_OPENSSL=1 the runs preload libssl and libcrypto: what linking them would cost.
set -u
ENDPOINT=${1:?usage: $0 ENDPOINT [kvctl] [runs] [flags…]}
BIN=${2:-.build/release/kvctl}
RUNS=${3:-300}
shift $(( $# < 3 ? $# : 3 ))
if [ "${PRELOAD_OPENSSL:-0}" = 1 ]; then
    export LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libssl.so.3:/usr/lib/x86_64-linux-gnu/libcrypto.so.3
fi
start=$(date +%s%N)
for ((i = 0; i < RUNS; i++)); do "$BIN" "$@" --endpoints "$ENDPOINT" get foo >/dev/null 2>&1; done
end=$(date +%s%N)
read -r cu cs < <(awk '{print $16, $17}' "/proc/$$/stat")
tck=$(getconf CLK_TCK)
echo "wall $(( (end - start) / RUNS / 1000 )) µs, cpu $(( (cu + cs) * 1000000 / tck / RUNS )) µs per run ($RUNS runs)"
