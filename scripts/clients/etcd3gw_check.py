#!/usr/bin/python3
"""etcd3gw (OpenStack's client of etcd's JSON gateway) against a server: put/get/delete, prefix reads,
a lease with refresh, watch and watch_prefix, a lock. Prints one line per check and a summary
`etcd3gw: N failure(s)`; exit status 1 when a check fails.

    /usr/bin/python3 scripts/clients/etcd3gw_check.py 127.0.0.1:2379
"""
import sys
import threading
import time

from etcd3gw.client import Etcd3Client

host, port = sys.argv[1].rsplit(":", 1)
client = Etcd3Client(host=host, port=int(port), api_path="/v3/", timeout=10)
failures = 0


def check(name, condition, detail=""):
    global failures
    if not condition:
        failures += 1
    print(("ok    " if condition else "FAIL  ") + name + ("" if condition else "  " + repr(detail)))


def collect(events, count, seconds):
    """The first `count` events of an iterator, read on a thread, within `seconds`."""
    got = []

    def run():
        for event in events:
            got.append(event)
            if len(got) >= count:
                return
    reader = threading.Thread(target=run, daemon=True)
    reader.start()
    reader.join(seconds)
    return got


client.delete_prefix("gw")  # a clean start on a server used before
check("status", "version" in client.status(), client.status())
check("members", len(client.members()) == 1, client.members())

check("put", client.put("gw/a", "1") is True)
check("get", client.get("gw/a") == [b"1"], client.get("gw/a"))
check("create (absent)", client.create("gw/b", "2") is True)
check("create (present)", client.create("gw/b", "x") is False)
check("replace", client.replace("gw/a", "1", "one") is True)
check("replace (stale)", client.replace("gw/a", "1", "uno") is False)
meta = client.get("gw/a", metadata=True)
check("get metadata", len(meta) == 1 and meta[0][0] == b"one" and meta[0][1]["key"] == b"gw/a"
      and int(meta[0][1]["version"]) == 2, meta)
prefix = sorted(value for value, _ in client.get_prefix("gw/"))
check("get_prefix", prefix == [b"2", b"one"], prefix)
check("get_prefix sorted", [v for v, _ in client.get_prefix("gw/", sort_order="descend", sort_target="key")]
      == [b"2", b"one"])
check("get missing", client.get("gw/none") == [])
check("delete", client.delete("gw/b") is True)
check("delete missing", client.delete("gw/b") is False)
check("delete_prefix", client.delete_prefix("gw/") is True and client.get_prefix("gw/") == [])

lease = client.lease(ttl=30)
check("lease granted", lease.id > 0 and 0 < lease.ttl() <= 30, lease.id)
client.put("gw/leased", "v", lease=lease)
check("lease keys", lease.keys() == [b"gw/leased"], lease.keys())
check("lease refresh", lease.refresh() == 30)
check("lease revoke", lease.revoke() is True)
check("leased key gone", client.get("gw/leased") == [])
check("expired lease ttl", lease.ttl() == -1)
check("refresh of a revoked lease", lease.refresh() == -1)

events, cancel = client.watch("gw/w")
time.sleep(0.3)
client.put("gw/w", "1")
client.delete("gw/w")
got = collect(events, 2, 5)
cancel()
check("watch", len(got) == 2 and got[0]["kv"]["value"] == b"1" and got[1].get("type") == "DELETE", got)

events, cancel = client.watch_prefix("gw/p/")
time.sleep(0.3)
for index in range(3):
    client.put("gw/p/%d" % index, str(index))
got = collect(events, 3, 5)
cancel()
check("watch_prefix", [e["kv"]["key"] for e in got] == [b"gw/p/0", b"gw/p/1", b"gw/p/2"], got)

first = int(client.get("gw/p/0", metadata=True)[0][1]["mod_revision"])
history = client.watch_prefix_once("gw/p/", timeout=5, start_revision=first)
check("watch_prefix_once from history", history["kv"]["key"] == b"gw/p/0", history)

lock = client.lock("gw-lock", ttl=30)
check("lock acquire", lock.acquire() is True)
check("lock is held", lock.is_acquired() is True)
other = client.lock("gw-lock", ttl=30)
check("lock contended", other.acquire() is False)
check("lock refresh", lock.refresh() == 30)
check("lock release", lock.release() is True)
check("lock after release", other.acquire() is True and other.release() is True)
with client.lock("gw-ctx", ttl=30) as held:
    check("lock as a context", held.is_acquired())

print("etcd3gw: %d failure(s)" % failures)
sys.exit(1 if failures else 0)
