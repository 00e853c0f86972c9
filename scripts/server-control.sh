# server-control.sh - sourced by the benchmark scripts: stop the server they started (by the PID in
# $SERVER_PID: SIGTERM, then SIGKILL after 10 s) and wait for a loopback port to accept connections.
# Installs the EXIT trap that stops the server.

stop_server() {
    if [ -n "${SERVER_PID:-}" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID"
        for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    SERVER_PID=
}
trap stop_server EXIT
trap 'exit 130' INT TERM

# wait_port PORT: 0 once 127.0.0.1:PORT accepts (at most 10 s), 1 if the server died or never did.
wait_port() {
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
