"""python-etcd3 (grpcio's C-core HTTP/2 stack) against an etcd endpoint: every call it makes is checked.

    /usr/bin/python3 scripts/clients/python_etcd3_check.py 127.0.0.1:2379

Prints one line per check and exits 0 when all pass; run by the Swift suite's RealClientTests (skipped
when python3-etcd3 is not installed) and usable by hand against kvserver or etcd.
"""
import io
import sys
import threading
import time

import etcd3

host, port = sys.argv[1].rsplit(":", 1)
client = etcd3.client(host=host, port=int(port), timeout=10)
failures = 0


def check(name, condition, detail=""):
    global failures
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"), flush=True)
    if not condition:
        failures += 1


prefix = "/py-%d/" % int(time.time() * 1000)
client.put(prefix + "a", "1")
value, meta = client.get(prefix + "a")
check("put/get", value == b"1" and meta.key == (prefix + "a").encode(), (value, meta))
client.put(prefix + "b", "2")
got = sorted((m.key.decode(), v.decode()) for v, m in client.get_prefix(prefix))
check("get_prefix", got == [(prefix + "a", "1"), (prefix + "b", "2")], got)
check("get missing", client.get(prefix + "zz") == (None, None))

ok, responses = client.transaction(
    compare=[client.transactions.value(prefix + "a") == "1"],
    success=[client.transactions.put(prefix + "t", "yes"), client.transactions.get(prefix + "a")],
    failure=[client.transactions.put(prefix + "t", "no")])
check("txn succeeded", ok, responses)
check("txn get result", responses[1][0][0] == b"1", responses)
ok, _ = client.transaction(compare=[client.transactions.version(prefix + "a") > 5], success=[], failure=[])
check("txn failed compare", not ok)

check("delete", client.delete(prefix + "b") is True)
check("delete missing", client.delete(prefix + "b") is False)

# Watches: one key and a prefix, on one stream, events in order.
events = []
done = threading.Event()
def on_events(response):
    for event in response.events:
        events.append((type(event).__name__, event.key.decode()))
    if len(events) >= 3:
        done.set()
watch_id = client.add_watch_prefix_callback(prefix + "w/", on_events)
single_iter, cancel_single = client.watch(prefix + "single")
client.put(prefix + "w/1", "x")
client.put(prefix + "w/2", "y")
client.delete(prefix + "w/1")
client.put(prefix + "single", "s")
done.wait(10)
check("watch_prefix events", events == [("PutEvent", prefix + "w/1"), ("PutEvent", prefix + "w/2"), ("DeleteEvent", prefix + "w/1")], events)
first = next(single_iter)
check("watch iterator", first.key.decode() == prefix + "single" and first.value == b"s", first)
cancel_single()
client.cancel_watch(watch_id)

# Leases: grant, attach, keep alive, time to live, revoke.
lease = client.lease(30)
client.put(prefix + "leased", "v", lease=lease)
refreshed = list(client.refresh_lease(lease.id))
check("lease keep-alive", refreshed and refreshed[0].TTL == 30, refreshed)
check("lease ttl", 0 < lease.remaining_ttl <= 30, lease.remaining_ttl)
check("lease keys", lease.keys == [(prefix + "leased").encode()], lease.keys)
lease.revoke()
check("lease revoke deletes keys", client.get(prefix + "leased") == (None, None))

status = client.status()
check("status", status.version.startswith("3.") and status.leader is not None, status)
members = list(client.members)
check("members", len(members) == 1 and members[0].client_urls, members)
check("hash", isinstance(client.hash(), int))
check("alarms", list(client.list_alarms()) == [])
client.defragment()
check("defragment", True)

rev = client.get_response(prefix + "a").header.revision
client.compact(rev)
try:
    client.compact(rev - 1)
    check("compaction below the compacted revision fails", False, "no error")
except Exception as error:  # etcd3 raises the gRPC status: OUT_OF_RANGE with etcd's text
    check("compaction below the compacted revision fails", "compacted" in str(error), error)

buffer = io.BytesIO()
client.snapshot(buffer)
size = len(buffer.getvalue())
check("snapshot stream", size > 0 and size % 512 == 32, size)

client.delete_prefix(prefix)
check("delete_prefix", list(client.get_prefix(prefix)) == [])
client.close()
print("python-etcd3: %d failure(s)" % failures)
sys.exit(1 if failures else 0)
