#!/usr/bin/env bash
# Opt-in differential test: the same command sequence through etcdctl against a fresh etcd and
# through kvctl against a fresh kvserver, outputs masked for values that legitimately differ
# (cluster/member/lease IDs, versions, sizes, hashes, timings, URLs), then diffed.
#
#   scripts/compat-etcd.sh            # builds kvctl and kvserver (debug) first
#   GRPC=1 scripts/compat-etcd.sh     # real etcdctl against kvserver too (etcd's gRPC API), not kvctl
#   ON_ETCD=1 scripts/compat-etcd.sh  # kvctl against a second fresh etcd (kvctl's gRPC client), not kvserver
#   KEEP=1 scripts/compat-etcd.sh     # keep /tmp/kvctl-compat for inspection
# Exit status: 0 when the masked transcripts are identical, 1 otherwise.
set -u
cd "$(dirname "$0")/.."
command -v etcd >/dev/null && command -v etcdctl >/dev/null || apt-get install -y etcd-server etcd-client >/dev/null
swift build --product kvctl >/dev/null && swift build --product kvserver >/dev/null || exit 2
KVCTL=$PWD/.build/debug/kvctl
KVSERVER=$PWD/.build/debug/kvserver
WORK=/tmp/kvctl-compat
ETCD_PORT=24501 KV_PORT=24511
rm -rf "$WORK"; mkdir -p "$WORK"

start_etcd() { # port data-dir
    etcd --name default --data-dir "$2" \
        --listen-client-urls http://127.0.0.1:$1 --advertise-client-urls http://127.0.0.1:$1 \
        --listen-peer-urls http://127.0.0.1:$(($1 + 1)) --initial-advertise-peer-urls http://127.0.0.1:$(($1 + 1)) \
        --initial-cluster default=http://127.0.0.1:$(($1 + 1)) --logger zap --log-outputs "$2.log" >/dev/null 2>&1 &
}
start_etcd $ETCD_PORT "$WORK/etcd-data"
ETCD_PID=$!
if [ "${ON_ETCD:-0}" = 1 ]; then
    start_etcd $KV_PORT "$WORK/etcd-data-2"
else
    "$KVSERVER" --listen-client-urls http://127.0.0.1:$KV_PORT --advertise-client-urls http://127.0.0.1:$KV_PORT >"$WORK/kvserver.log" 2>&1 &
fi
KV_PID=$!
cleanup() {
    kill "$ETCD_PID" "$KV_PID" 2>/dev/null
    wait "$ETCD_PID" "$KV_PID" 2>/dev/null
    [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
    ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:$ETCD_PORT endpoint health >/dev/null 2>&1 \
        && "$KVCTL" --endpoints=127.0.0.1:$KV_PORT endpoint health >/dev/null 2>&1 && break
    sleep 0.1
done

# One command per line; `<<< text` feeds stdin (printf escapes). The same line runs against both servers.
# The auth part ends with auth disabled again.
COMMANDS=$(cat <<'CMDS'
version
put foo bar
put foo bar2 --prev-kv
put foo bar3 -w json
put foo bar4 --prev-kv -w fields
get foo
get foo -w json
get foo -w fields
get foo --hex
get nosuch
get nosuch -w json
get nosuch -w fields
put k/a 1
put k/b 2
put k/c 3
get k/ --prefix
get k/ --prefix --limit 2 -w json
get k/ --prefix --sort-by=MODIFY --order=DESCEND --keys-only
get k/ --prefix --print-value-only
get k/a k/c
get "" --from-key --keys-only
get k/a --rev 1
get k/a --rev 1000
get
get a --prefix --from-key
get a b --prefix
get a --sort-by=bogus
get a --order=up
get a --consistency=x
get foo -w table
get foo --print-value-only -w json
-w bogus get foo
get --count-only foo
put
put k --lease=zz <<< v
put k v --ignore-value
put nokey --ignore-value
put "" v
del k/a
del k/a
del nosuch -w json
del k/ --prefix --prev-kv
del
txn <<< value("foo") = "bar4"\n\nput t/1 one\nget foo\n\nput t/1 failed\n\n
txn -w json <<< ver("foo") = "1"\n\nput t/2 two\n\nput t/3 three\nget t/1\n\n
txn -w fields <<< \n\n\n
txn <<< bogus\n\n\n\n
txn <<< ver("t/1") = "abc"\n\n\n\n
txn <<< \nfrob t/1 x\n\n\n
txn <<< value("a") = "x"\n
compaction 3
compaction 3
compaction 1000
compaction abc
compaction
watch foo --rev 1 -w json
snapshot save /tmp/kvctl-compat-nodir/x.snap
--cacert=/nonexistent/ca.pem get foo
--cert=/etc/hostname get foo
--key=/etc/hostname get foo
defrag
defrag -w fields
alarm list
alarm list -w json
alarm list x
alarm disarm
alarm disarm x
move-leader
move-leader 1 2
move-leader zz
member add
member add foo
member remove
member remove zz
member update 1234
member promote
lock
lock mylock -- sh -c 'echo $ETCD_LOCK_KEY $ETCD_LOCK_REV'
get mylock --prefix
elect
elect -l
elect a b c
make-mirror
make-mirror --dest-prefix a --no-dest-prefix 127.0.0.1:1
check perf --load=bogus
check datascale --load=bogus
__complete get --pre
__complete lease ""
__complete put --
__complete ""
lease grant 100 -w fields
lease timetolive 1234abcd
lease timetolive 1234abcd -w json
lease revoke 1234abcd
lease keep-alive --once 1234abcd
lease grant abc
lease list x
member list
member list -w json
member list -w fields
member list -w table
endpoint status
endpoint status -w table
endpoint status -w json
endpoint hashkv
endpoint health -w protobuf
watch
watch a --
watch a b --prefix
frobnicate
m
gte foo
lease frob
ver
mem li
user add root:rootpw
user add bob:bobpw -w json
user add carol:c -w fields
user add dave:d -w table
user add :pw
user add eve <<< pw1\npw1\n
user add eve2 <<< pw1\npw2\n
user add frank --interactive=false <<< one two\n
user add ivan --no-password
user add root:again
user list
user list -w json
user list -w fields
role add reader
role add writer -w json
role add r3 -w fields
role grant-permission reader read /app/ --prefix
role grant-permission reader read exact
role grant-permission reader readwrite a z
role grant-permission reader write /from --from-key -w json
role grant-permission writer READ "" --prefix -w fields
role grant-permission writer bogus k
role grant-permission writer read k z --prefix
role get reader
role get reader -w json
role get reader -w fields
role get writer
role list
role list -w json
role list -w fields
user grant-role bob reader
user grant-role bob writer -w json
user get bob
user get bob -w json
user get bob --detail
user get carol
user get bob -w fields
user get nobody
user revoke-role bob writer
user revoke-role bob nosuch
user passwd frank --interactive=false <<< np\n
user delete carol
role revoke-permission reader /app/ --prefix
role revoke-permission reader exact -w json
role revoke-permission reader nokey
role revoke-permission writer "" --prefix
role delete r3
auth enable
get foo
--user=root:rootpw get foo
--user=root:wrong get foo
--user=bob:bobpw get exact
--user=bob:bobpw put a 1
--user=bob:bobpw put /app/x 1
--user=bob:bobpw user list
--user=root --password=rootpw role list
--user=root role list <<< rootpw\n
--user=root:rootpw --password=rootpw role list
--user=bob:bobpw watch /other
watch /other
--user=bob:bobpw snapshot save /tmp/kvctl-compat-denied.snap
--user=bob:bobpw endpoint hashkv
--user=bob:bobpw lease grant 10
endpoint status
endpoint health
auth disable
--user=root:rootpw auth disable
--user=root:wrong get foo
CMDS
)

run_all() { # tool endpoint out
    local tool=$1 ep=$2 out=$3
    : >"$out"
    while IFS= read -r line; do
        [ -z "$line" ] && continue
        local cmd=${line%% <<< *} input=""
        [ "$cmd" != "$line" ] && input=${line#* <<< }
        echo "\$ etcdctl $cmd" >>"$out"
        eval "set -- $cmd"
        printf "$input" | ETCDCTL_API=3 "$tool" --endpoints="$ep" "$@" >"$WORK/o" 2>"$WORK/e"
        local rc=$?
        cat "$WORK/o" >>"$out"
        # The Go client's JSON log lines are noise (timestamps, client UUIDs), and so are the complaints
        # of the stty etcdctl runs to turn off echo when stdin is not a terminal.
        grep -v -e '^{"level"' -e "^stty: 'standard input'" "$WORK/e" >"$WORK/e2"
        if [ -s "$WORK/e2" ]; then echo "[stderr]" >>"$out"; cat "$WORK/e2" >>"$out"; fi
        echo "[exit $rc]" >>"$out"
    done <<<"$COMMANDS"
}

mkdir -p "$WORK/bin"; ln -sf "$KVCTL" "$WORK/bin/etcdctl"   # run under etcdctl's name: same texts
KV_TOOL=$WORK/bin/etcdctl
[ "${GRPC:-0}" = 1 ] && KV_TOOL=$(command -v etcdctl)
run_all "$(command -v etcdctl)" 127.0.0.1:$ETCD_PORT "$WORK/etcd.txt"
run_all "$KV_TOOL" 127.0.0.1:$KV_PORT "$WORK/kvctl.txt"

mask() {
    sed -E \
        -e 's/[0-9]{15,20}/<NUM>/g' \
        -e 's/\b[0-9a-f]{13,16}\b/<HEX>/g' \
        -e 's/(etcdctl version: |"version":"|"Version" : "|, )3\.[0-9]+\.[0-9]+/\1<VER>/g' \
        -e 's/[0-9.]+ (B|kB|MB)\b/<SIZE>/g' \
        -e 's/"(dbSize|dbSizeInUse|hash|raftIndex|raftAppliedIndex)":[0-9]+/"\1":<N>/g' \
        -e 's/"(DBSize|Hash|RaftIndex|RaftAppliedIndex)" : [0-9]+/"\1" : <N>/g' \
        -e 's/took = [0-9.]+[µnm]?s/took = <DUR>/' \
        -e 's/http:\/\/(127\.0\.0\.1|localhost):[0-9]+/<URL>/g' -e 's/127\.0\.0\.1:[0-9]+/<EP>/g' \
        -e 's/, (compat|default), /, <NAME>, /; s/"(name|Name)"( : |:)"(compat|default)"/"\1"\2"<NAME>"/' \
        -e 's/^[0-9-]+ [0-9:.]+ ([CW]) \|/<TS> \1 |/' \
        -e 's/(, [0-9]+){3}, $/, <RAFT>, /' -e 's/^<EP>, [0-9]+$/<EP>, <HASH>/' |
    sed -E -e 's/^\| <EP> +\| <HEX> +\|.*/| <EP> | <HEX> | <STATUS ROW>/' \
        -e '/PEER ADDRS/s/ +/ /g' -e 's/^\| <HEX> \| started .*/| <HEX> | started <MEMBER ROW>/' \
        -e 's/^\+-{18}\+-{9}\+[-+]+\+$/<MEMBER TABLE BORDER>/'
}
# Two etcds have member IDs of different lengths (etcd prints them without leading zeros), which widens
# or narrows table columns: with ON_ETCD, table rows are compared without their padding.
pad() { if [ "${ON_ETCD:-0}" = 1 ]; then sed -E -e '/^[+|]/s/ +/ /g' -e '/^[+|<]/s/-+/-/g' -e 's/^<MEMBER TABLE BORDER>$/+-+-+-+-+-+-+/'; else cat; fi; }
mask <"$WORK/etcd.txt" | pad >"$WORK/etcd.masked"
mask <"$WORK/kvctl.txt" | pad >"$WORK/kvctl.masked"
if diff -u "$WORK/etcd.masked" "$WORK/kvctl.masked" >"$WORK/diff.txt"; then
    echo "compat: $(grep -c '^\$ ' "$WORK/etcd.masked") commands, identical after masking"
    exit 0
fi
cat "$WORK/diff.txt"
echo "compat: $(grep -c '^\$ ' "$WORK/etcd.masked") commands, $(grep -c '^@@' "$WORK/diff.txt") differing hunks"
exit 1
