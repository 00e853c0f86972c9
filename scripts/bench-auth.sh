#!/usr/bin/env bash
# What authorization costs: kvbench put throughput against one kvserver with auth off, then on (as a
# user whose prefix permission is checked on every request), alternating ROUNDS times so that machine
# noise hits both alike. Prints each run — requests/s and the server's CPU time per request, the steadier
# figure on a shared machine — and the on/off ratios of the medians.
#
#   bash scripts/bench-auth.sh [ROUNDS]        (release builds of kvserver and kvbench are made first)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
PORT=${PORT:-23799}
swift build -c release --product kvserver >/dev/null
swift build -c release --product kvbench >/dev/null
BIN=$(swift build -c release --show-bin-path)

# Sends protocol lines on one connection and prints the replies.
send() {
    exec 3<>"/dev/tcp/127.0.0.1/$PORT"
    printf '%s\n' "$@" >&3
    for _ in "$@"; do read -r -t 10 line <&3; echo "$line"; done
    exec 3>&-
}

"$BIN/kvserver" --listen-client-urls "127.0.0.1:$PORT" --log-level error &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
sleep 0.5
send "USER-ADD root rootpw" "USER-ADD app apppw" "ROLE-ADD app" "ROLE-GRANT app readwrite 0 --prefix" \
     "ROLE-GRANT app read a" "ROLE-GRANT app read b c" "ROLE-GRANT app read x --prefix" "USER-GRANT app app" >/dev/null

TOTAL=300000
TICKS=$(getconf CLK_TCK)
server_cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }

put() {  # name, extra flags…  → "requests/s µs-of-server-CPU-per-request"
    local name=$1; shift
    local before after rate
    before=$(server_cpu_ticks)
    rate=$("$BIN/kvbench" put --endpoints "127.0.0.1:$PORT" --conns 4 --clients 4 --pipeline 16 --total $TOTAL \
        --key-space-size 1000 --name "$name" "$@" 2>&1 | sed -n "s/^$name.requests_per_sec: \([0-9.]*\).*/\1/p")
    after=$(server_cpu_ticks)
    echo "$rate $(awk -v t=$((after - before)) -v hz="$TICKS" -v n=$TOTAL 'BEGIN {printf "%.2f", t / hz * 1e6 / n}')"
}

off_rate=(); on_rate=(); off_cpu=(); on_cpu=()
for round in $(seq "$ROUNDS"); do
    send "AUTHENTICATE root rootpw" "AUTH-DISABLE" >/dev/null 2>&1 || true
    read -r rate cpu <<<"$(put off)"; off_rate+=("$rate"); off_cpu+=("$cpu")
    send "AUTH-ENABLE" >/dev/null
    read -r rate cpu <<<"$(put on --user app:apppw)"; on_rate+=("$rate"); on_cpu+=("$cpu")
    echo "round $round: auth off ${off_rate[-1]} req/s (${off_cpu[-1]} µs server CPU/req), auth on ${on_rate[-1]} req/s (${on_cpu[-1]} µs/req)"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
m_off=$(median "${off_rate[@]}"); m_on=$(median "${on_rate[@]}")
c_off=$(median "${off_cpu[@]}"); c_on=$(median "${on_cpu[@]}")
echo "median throughput: auth off $m_off req/s, auth on $m_on req/s, ratio on/off $(ratio "$m_on" "$m_off")"
echo "median server CPU: auth off $c_off µs/req, auth on $c_on µs/req, ratio on/off $(ratio "$c_on" "$c_off")"
