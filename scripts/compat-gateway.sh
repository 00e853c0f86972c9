#!/usr/bin/env bash
# Differential test of etcd's JSON gateway: the same curl requests, in the same order, against a fresh
# etcd 3.4 and a fresh kvserver; each answer's status and body, masked where the two legitimately differ
# (cluster/member IDs, URLs and names, versions, sizes, hashes, raft indexes, auth tokens), compared
# byte for byte. Streams (watch, keep-alive, snapshot) are read for a bounded time.
#
#   scripts/compat-gateway.sh                  # builds kvserver (debug) first
#   KVSERVER=path/to/kvserver scripts/compat-gateway.sh
#   KEEP=1 scripts/compat-gateway.sh           # keep the work directory for inspection
#   VERBOSE=1 scripts/compat-gateway.sh        # print every masked answer
# Prints one line per request (`same` / `DIFF` / `known`), the diffs, and a summary line
# `gateway: N same, M known differences, K unexpected`. Exit status 0 when nothing unexpected differs.
set -u
cd "$(dirname "$0")/.."
command -v etcd >/dev/null || { echo "etcd is not installed"; exit 2; }
if [ -z "${KVSERVER:-}" ]; then
    swift build --product kvserver >/dev/null || exit 2
    KVSERVER=$PWD/.build/debug/kvserver
fi
WORK=$(mktemp -d /tmp/kv-gateway-compat.XXXXXX)
read -r ETCD_PORT PEER_PORT KV_PORT < <(/usr/bin/python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))')

etcd --name default --data-dir "$WORK/etcd-data" \
    --listen-client-urls http://127.0.0.1:$ETCD_PORT --advertise-client-urls http://127.0.0.1:$ETCD_PORT \
    --listen-peer-urls http://127.0.0.1:$PEER_PORT --initial-advertise-peer-urls http://127.0.0.1:$PEER_PORT \
    --initial-cluster default=http://127.0.0.1:$PEER_PORT >"$WORK/etcd.log" 2>&1 &
ETCD_PID=$!
"$KVSERVER" --listen-client-urls http://127.0.0.1:$KV_PORT >"$WORK/kvserver.log" 2>&1 &
KV_PID=$!
cleanup() {
    kill "$ETCD_PID" "$KV_PID" 2>/dev/null
    wait "$ETCD_PID" "$KV_PID" 2>/dev/null
    [ "${KEEP:-0}" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
    curl -sf http://127.0.0.1:$ETCD_PORT/health >/dev/null && curl -sf http://127.0.0.1:$KV_PORT/health >/dev/null && break
    sleep 0.1
done

# One request per line: NAME|PATH|BODY|OPTIONS. OPTIONS: `stream=S` reads for S seconds, `token=USER`
# sends the token of USER's last login (its authenticate request must be named login-USER),
# `method=M` uses another HTTP method, `known` marks a documented difference (docs/GATEWAY.md),
# `unordered` compares the answer's lines in any order (several watches' histories interleave as they
# are produced, on etcd as here).
# Keys: Zm9v=foo YmFy=bar YQ==a Yg==b Yw==c ZA==d eg==z
REQUESTS=$(cat <<'REQ'
put|/v3/kv/put|{"key":"Zm9v","value":"YmFy"}|
range|/v3/kv/range|{"key":"Zm9v"}|
range-v3beta|/v3beta/kv/range|{"key":"Zm9v"}|
range-camel-and-numbers|/v3/kv/range|{"key":"Zm9v","sortOrder":"DESCEND","limit":5,"revision":2}|
range-unknown-field|/v3/kv/range|{"key":"Zm9v","bogus":1}|
range-null|/v3/kv/range|{"key":"Zm9v","range_end":null}|
range-future|/v3/kv/range|{"key":"Zm9v","revision":"100"}|
range-empty-body|/v3/kv/range||
range-truncated|/v3/kv/range|{"key":"Zm9v"|
range-bad-base64|/v3/kv/range|{"key":"!!!"}|
range-bad-syntax|/v3/kv/range|{"key" 1}|
range-bad-enum|/v3/kv/range|{"key":"Zm9v","sort_order":"SIDEWAYS"}|
range-trailing-ignored|/v3/kv/range|{"key":"Zm9v"} garbage|
put-prev|/v3/kv/put|{"key":"Zm9v","value":"YmF6","prev_kv":true}|
put-a|/v3/kv/put|{"key":"YQ==","value":"MQ=="}|
put-b|/v3/kv/put|{"key":"Yg==","value":"Mg=="}|
put-c|/v3/kv/put|{"key":"Yw==","value":"Mw=="}|
put-empty-key|/v3/kv/put|{"value":"YmFy"}|
put-ignore-value-missing|/v3/kv/put|{"key":"eg==","ignore_value":true}|
range-prefix|/v3/kv/range|{"key":"YQ==","range_end":"ZA=="}|
range-limit|/v3/kv/range|{"key":"YQ==","range_end":"ZA==","limit":"2"}|
range-count-only|/v3/kv/range|{"key":"AA==","range_end":"AA==","count_only":true}|
range-keys-only-sorted|/v3/kv/range|{"key":"YQ==","range_end":"ZA==","keys_only":true,"sort_order":"DESCEND","sort_target":"MOD"}|
range-min-mod|/v3/kv/range|{"key":"AA==","range_end":"AA==","min_mod_revision":"4"}|
txn-success|/v3/kv/txn|{"compare":[{"key":"YQ==","result":"EQUAL","target":"VALUE","value":"MQ=="}],"success":[{"request_range":{"key":"YQ=="}},{"request_put":{"key":"ZA==","value":"NA=="}}],"failure":[{"request_delete_range":{"key":"YQ=="}}]}|
txn-failure|/v3/kv/txn|{"compare":[{"key":"YQ==","result":"GREATER","target":"VERSION","version":"5"}],"failure":[{"request_delete_range":{"key":"ZA==","prev_kv":true}},{"request_txn":{"success":[{"request_range":{"key":"Yg=="}}]}}]}|known
txn-empty-op|/v3/kv/txn|{"success":[{}]}|
txn-create-rev|/v3/kv/txn|{"compare":[{"key":"eg==","target":"CREATE","create_revision":"0"}],"success":[{"request_put":{"key":"eg==","value":"MA=="}}]}|
delete-prev|/v3/kv/deleterange|{"key":"Yw==","prev_kv":true}|
delete-none|/v3/kv/deleterange|{"key":"Yw=="}|
delete-range|/v3/kv/deleterange|{"key":"eg==","range_end":"ew=="}|
compact|/v3/kv/compaction|{"revision":"3"}|
compact-again|/v3/kv/compaction|{"revision":"3","physical":true}|
range-compacted|/v3/kv/range|{"key":"Zm9v","revision":"2"}|
lease-grant|/v3/lease/grant|{"TTL":"60","ID":"1000"}|
lease-grant-number|/v3/lease/grant|{"TTL":30,"ID":2000}|
lease-grant-exists|/v3/lease/grant|{"TTL":"60","ID":"1000"}|
lease-put|/v3/kv/put|{"key":"bA==","value":"MQ==","lease":"1000"}|
lease-put-unknown|/v3/kv/put|{"key":"bA==","value":"MQ==","lease":"999"}|
lease-leases|/v3/lease/leases|{}|
lease-leases-alias|/v3/kv/lease/leases|{}|
lease-keepalive|/v3/lease/keepalive|{"ID":"1000"} {"ID":"2000"} {"ID":"4242"}|stream=3
lease-keepalive-bad|/v3/lease/keepalive|{"ID":"1000"|stream=3
lease-keepalive-bad-later|/v3/lease/keepalive|{"ID":"1000"} {"ID":|stream=3
lease-revoke|/v3/lease/revoke|{"ID":"2000"}|
lease-revoke-alias-missing|/v3/kv/lease/revoke|{"ID":"2000"}|
lease-ttl-revoked|/v3/lease/timetolive|{"ID":"2000"}|
watch-history|/v3/watch|{"create_request":{"key":"YQ==","range_end":"ZA==","start_revision":"4"}} {"create_request":{"key":"bA==","prev_kv":true,"start_revision":"4"}}|stream=1,unordered
watch-progress|/v3/watch|{"create_request":{"key":"eg=="}} {"progress_request":{}}|stream=1
watch-compacted|/v3/watch|{"create_request":{"key":"YQ==","start_revision":"2"}}|stream=1,known
watch-cancel|/v3/watch|{"create_request":{"key":"YQ=="}} {"cancel_request":{"watch_id":"0"}} {"cancel_request":{"watch_id":"7"}}|stream=1
watch-filters|/v3/watch|{"create_request":{"key":"AA==","range_end":"AA==","start_revision":"5","filters":["NOPUT"]}}|stream=1
watch-empty-key|/v3/watch|{"create_request":{}}|stream=1
status|/v3/maintenance/status|{}|
hash|/v3/maintenance/hash|{}|
alarm-get|/v3/maintenance/alarm|{"action":"GET"}|
alarm-deactivate|/v3/maintenance/alarm|{"action":"DEACTIVATE","alarm":"NOSPACE"}|
defragment|/v3/maintenance/defragment|{}|
move-leader-other|/v3/maintenance/transfer-leadership|{"targetID":"5"}|known
member-list|/v3/cluster/member/list|{}|
member-remove-other|/v3/cluster/member/remove|{"ID":"5"}|
member-promote-other|/v3/cluster/member/promote|{"ID":"5"}|
not-found|/v3/kv/bogus|{}|
alpha|/v3alpha/kv/range|{"key":"Zm9v"}|
get-method|/v3/kv/range||method=GET
user-add-root|/v3/auth/user/add|{"name":"root","password":"rootpw"}|
user-add-alice|/v3/auth/user/add|{"name":"alice","password":"alicepw"}|
user-add-again|/v3/auth/user/add|{"name":"alice","password":"x"}|
user-add-empty|/v3/auth/user/add|{"password":"x"}|
role-add|/v3/auth/role/add|{"name":"reader"}|
role-grant|/v3/auth/role/grant|{"name":"reader","perm":{"permType":"READ","key":"YQ==","range_end":"Yg=="}}|
role-grant-rw|/v3/auth/role/grant|{"name":"reader","perm":{"permType":"READWRITE","key":"Yg=="}}|
role-get|/v3/auth/role/get|{"role":"reader"}|
role-list|/v3/auth/role/list|{}|
user-grant-alice|/v3/auth/user/grant|{"user":"alice","role":"reader"}|
user-grant-root|/v3/auth/user/grant|{"user":"root","role":"root"}|
user-get|/v3/auth/user/get|{"name":"alice"}|
user-list|/v3/auth/user/list|{}|
auth-enable|/v3/auth/enable|{}|
range-no-token|/v3/kv/range|{"key":"YQ=="}|
login-wrong|/v3/auth/authenticate|{"name":"alice","password":"nope"}|
login-alice|/v3/auth/authenticate|{"name":"alice","password":"alicepw"}|
login-root|/v3/auth/authenticate|{"name":"root","password":"rootpw"}|
range-alice|/v3/kv/range|{"key":"YQ=="}|token=alice
range-alice-denied|/v3/kv/range|{"key":"eg=="}|token=alice
put-alice-denied|/v3/kv/put|{"key":"YQ==","value":"eA=="}|token=alice
watch-alice-denied|/v3/watch|{"create_request":{"key":"eg=="}}|stream=1,token=alice
hash-alice|/v3/maintenance/hash|{}|token=alice
defragment-alice|/v3/maintenance/defragment|{}|token=alice
snapshot-alice|/v3/maintenance/snapshot|{}|stream=1,token=alice
range-bad-token|/v3/kv/range|{"key":"YQ=="}|token=bogus
range-root|/v3/kv/range|{"key":"eg=="}|token=root
user-revoke|/v3/auth/user/revoke|{"name":"alice","role":"reader"}|token=root
role-revoke|/v3/auth/role/revoke|{"role":"reader","key":"Yg=="}|token=root
user-changepw|/v3/auth/user/changepw|{"name":"alice","password":"other"}|token=root
auth-disable|/v3/auth/disable|{}|token=root
role-delete|/v3/auth/role/delete|{"role":"reader"}|
role-delete-missing|/v3/auth/role/delete|{"role":"reader"}|
user-delete|/v3/auth/user/delete|{"name":"alice"}|
user-revoke-missing|/v3/auth/user/revoke|{"name":"alice","role":"reader"}|
REQ
)

# Masks what legitimately differs between two servers, and drops the headers curl prints.
mask() {
    /usr/bin/python3 -c '
import re, sys
text = sys.stdin.read()
for name in ["cluster_id", "member_id", "leader", "memberID"]:
    text = re.sub(r"\"%s\":\"\d+\"" % name, "\"%s\":\"<id>\"" % name, text)
text = re.sub(r"\"ID\":\"\d{12,}\"", "\"ID\":\"<id>\"", text)
text = re.sub(r"\"token\":\"[^\"]*\"", "\"token\":\"<token>\"", text)
text = re.sub(r"\"version\":\"3\.\d+\.\d+\"", "\"version\":\"<version>\"", text)
for name in ["dbSize", "dbSizeInUse", "raftIndex", "raftAppliedIndex", "remaining_bytes"]:
    text = re.sub(r"\"%s\":\"\d+\"" % name, "\"%s\":\"<n>\"" % name, text)
text = re.sub(r"\"hash\":\d+", "\"hash\":<hash>", text)
text = re.sub(r"\"blob\":\"[^\"]*\"", "\"blob\":\"<blob>\"", text)
text = re.sub(r"\"(name)\":\"default\"", "\"name\":\"<name>\"", text)
text = re.sub(r"\"(peerURLs|clientURLs)\":\[[^\]]*\]", r"\"\1\":[<urls>]", text)
sys.stdout.write(text)'
}

declare -A TOKEN_etcd TOKEN_kv
same=0 known=0 unexpected=0
while IFS='|' read -r name path body options; do
    [ -z "$name" ] && continue
    seconds=10 http_method=POST token_user="" is_known=0 unordered=0
    IFS=',' read -ra opts <<<"$options"
    for opt in "${opts[@]}"; do
        case "$opt" in
            stream=*) seconds=${opt#stream=} ;;
            token=*) token_user=${opt#token=} ;;
            method=*) http_method=${opt#method=} ;;
            known) is_known=1 ;;
            unordered) unordered=1 ;;
        esac
    done
    for side in etcd kv; do
        port=$ETCD_PORT; [ $side = kv ] && port=$KV_PORT
        headers=()
        if [ -n "$token_user" ]; then
            if [ $side = etcd ]; then token=${TOKEN_etcd[$token_user]:-$token_user}; else token=${TOKEN_kv[$token_user]:-$token_user}; fi
            headers=(-H "Authorization: $token")
        fi
        data=(); [ "$http_method" = POST ] && data=(--data-binary "$body")
        curl -s -N --max-time "$seconds" -o "$WORK/$side.body" -w '%{http_code}' -X "$http_method" \
            "${headers[@]}" "${data[@]}" "http://127.0.0.1:$port$path" >"$WORK/$side.status" 2>/dev/null
        if [[ $name == login-* ]]; then
            value=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("token",""))' "$WORK/$side.body" 2>/dev/null)
            if [ $side = etcd ]; then TOKEN_etcd[${name#login-}]=$value; else TOKEN_kv[${name#login-}]=$value; fi
        fi
        if [ $unordered = 1 ]; then
            { cat "$WORK/$side.status"; echo; mask <"$WORK/$side.body" | sort; } >"$WORK/$side.masked"
        else
            { cat "$WORK/$side.status"; echo; mask <"$WORK/$side.body"; } >"$WORK/$side.masked"
        fi
    done
    if cmp -s "$WORK/etcd.masked" "$WORK/kv.masked"; then
        same=$((same + 1)); echo "same   $name"
        [ "${VERBOSE:-0}" = 1 ] && sed 's/^/       /' "$WORK/kv.masked" && echo
    elif [ $is_known = 1 ]; then
        known=$((known + 1)); echo "known  $name"
        diff "$WORK/etcd.masked" "$WORK/kv.masked" | sed 's/^/       /'
    else
        unexpected=$((unexpected + 1)); echo "DIFF   $name"
        diff "$WORK/etcd.masked" "$WORK/kv.masked" | sed 's/^/       /'
    fi
done <<<"$REQUESTS"
echo "gateway: $same same, $known known differences, $unexpected unexpected"
[ $unexpected = 0 ]
