#!/usr/bin/env bash
# What authorization costs: kvbench put throughput against one kvserver with auth off, then on (as a
# user whose prefix permission is checked on every request), alternating ROUNDS times so that machine
# noise hits both alike. Prints each run and the on/off ratio of the medians.
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

put() {  # name, extra flags…
    local name=$1; shift
    "$BIN/kvbench" put --endpoints "127.0.0.1:$PORT" --conns 4 --clients 4 --pipeline 16 --total 300000 \
        --key-space-size 1000 --name "$name" "$@" 2>&1 | sed -n "s/^$name.requests_per_sec: \([0-9.]*\).*/\1/p"
}

off=(); on=()
for round in $(seq "$ROUNDS"); do
    send "AUTHENTICATE root rootpw" "AUTH-DISABLE" >/dev/null 2>&1 || true
    off+=("$(put off)")
    send "AUTH-ENABLE" >/dev/null
    on+=("$(put on --user app:apppw)")
    echo "round $round: auth off ${off[-1]} req/s, auth on ${on[-1]} req/s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m_off=$(median "${off[@]}"); m_on=$(median "${on[@]}")
echo "median: auth off $m_off req/s, auth on $m_on req/s, ratio on/off $(awk -v a="$m_on" -v b="$m_off" 'BEGIN {printf "%.2f", a/b}')"
