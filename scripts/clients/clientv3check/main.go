// clientv3check: etcd's own Go client (clientv3, grpc-go) against an etcd endpoint; every call it
// makes is checked. Built offline from Debian's sources (golang-etcd-server-dev):
//
//	cd scripts/clients/clientv3check && GO111MODULE=off GOPATH=/usr/share/gocode go build -o /tmp/clientv3check .
//	/tmp/clientv3check 127.0.0.1:2379
//
// Prints one line per check and exits 0 when all pass. Run by the Swift suite's RealClientTests
// (skipped when Go or the sources are missing). The auth checks enable auth and disable it again.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes"
)

var failures int

func check(name string, ok bool, detail ...interface{}) {
	if ok {
		fmt.Println("ok   " + name)
	} else {
		fmt.Printf("FAIL %s: %v\n", name, detail)
		failures++
	}
}

func main() {
	endpoint := os.Args[1]
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second})
	if err != nil {
		fmt.Println("FAIL dial:", err)
		os.Exit(1)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	prefix := fmt.Sprintf("/go-%d/", time.Now().UnixNano())

	put, err := cli.Put(ctx, prefix+"a", "1")
	check("put", err == nil && put.Header.Revision > 0, err)
	get, err := cli.Get(ctx, prefix+"a")
	check("get", err == nil && len(get.Kvs) == 1 && string(get.Kvs[0].Value) == "1", err, get)
	_, err = cli.Put(ctx, prefix+"b", "2")
	check("put b", err == nil, err)
	all, err := cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))
	check("get prefix sorted", err == nil && len(all.Kvs) == 2 && string(all.Kvs[0].Key) == prefix+"b", err, all)
	count, err := cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	check("count only", err == nil && count.Count == 2 && len(count.Kvs) == 0, err, count)

	txn, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.Value(prefix+"a"), "=", "1")).
		Then(clientv3.OpPut(prefix+"t", "yes"), clientv3.OpGet(prefix+"a")).Else(clientv3.OpPut(prefix+"t", "no")).Commit()
	check("txn", err == nil && txn.Succeeded && len(txn.Responses) == 2, err, txn)
	del, err := cli.Delete(ctx, prefix+"t", clientv3.WithPrevKV())
	check("delete prev kv", err == nil && del.Deleted == 1 && string(del.PrevKvs[0].Value) == "yes", err, del)

	_, err = cli.Get(ctx, prefix+"a", clientv3.WithRev(put.Header.Revision+1000))
	check("future revision error", err == rpctypes.ErrFutureRev, err)

	// Watch a prefix; puts from another goroutine arrive in order.
	wctx, wcancel := context.WithCancel(ctx)
	wch := cli.Watch(wctx, prefix+"w/", clientv3.WithPrefix(), clientv3.WithPrevKV())
	go func() {
		for i := 0; i < 5; i++ {
			cli.Put(ctx, fmt.Sprintf("%sw/%d", prefix, i), "v")
		}
	}()
	var seen []string
	timeout := time.After(10 * time.Second)
	for len(seen) < 5 {
		select {
		case resp := <-wch:
			for _, ev := range resp.Events {
				seen = append(seen, string(ev.Kv.Key))
			}
		case <-timeout:
			seen = append(seen, "timeout")
		}
		if len(seen) > 0 && seen[len(seen)-1] == "timeout" {
			break
		}
	}
	check("watch prefix", len(seen) == 5 && seen[0] == prefix+"w/0" && seen[4] == prefix+"w/4", seen)
	wcancel()

	// Leases: grant, attach, keep alive (stream), time to live with keys, revoke.
	lease, err := cli.Grant(ctx, 30)
	check("lease grant", err == nil && lease.TTL == 30, err)
	_, err = cli.Put(ctx, prefix+"leased", "v", clientv3.WithLease(lease.ID))
	check("put with lease", err == nil, err)
	kactx, kacancel := context.WithCancel(ctx)
	ka, err := cli.KeepAlive(kactx, lease.ID)
	check("keep-alive stream", err == nil, err)
	select {
	case resp := <-ka:
		check("keep-alive response", resp != nil && resp.ID == lease.ID && resp.TTL == 30, resp)
	case <-time.After(10 * time.Second):
		check("keep-alive response", false, "timeout")
	}
	kacancel()
	ttl, err := cli.TimeToLive(ctx, lease.ID, clientv3.WithAttachedKeys())
	check("time to live", err == nil && ttl.TTL > 0 && len(ttl.Keys) == 1, err, ttl)
	leases, err := cli.Leases(ctx)
	check("leases", err == nil && len(leases.Leases) >= 1, err)
	_, err = cli.Revoke(ctx, lease.ID)
	check("revoke", err == nil, err)
	gone, err := cli.Get(ctx, prefix+"leased")
	check("revoke deleted the key", err == nil && len(gone.Kvs) == 0, err)
	_, err = cli.Revoke(ctx, lease.ID)
	check("revoke again: not found", err == rpctypes.ErrLeaseNotFound, err)

	status, err := cli.Status(ctx, endpoint)
	check("status", err == nil && strings.HasPrefix(status.Version, "3.") && status.Leader != 0, err)
	members, err := cli.MemberList(ctx)
	check("member list", err == nil && len(members.Members) == 1, err)
	hashkv, err := cli.HashKV(ctx, endpoint, 0)
	check("hashkv", err == nil && hashkv.Header.Revision > 0, err)
	_, err = cli.Defragment(ctx, endpoint)
	check("defragment", err == nil, err)
	alarms, err := cli.AlarmList(ctx)
	check("alarm list", err == nil && len(alarms.Alarms) == 0, err)

	now, err := cli.Get(ctx, prefix+"a")
	if err != nil {
		fmt.Println("FAIL get before compact:", err)
		os.Exit(1)
	}
	_, err = cli.Compact(ctx, now.Header.Revision)
	check("compact", err == nil, err)
	_, err = cli.Get(ctx, prefix+"a", clientv3.WithRev(now.Header.Revision-1))
	check("read below compaction: compacted", err == rpctypes.ErrCompacted, err)

	// 100 goroutines sharing this one connection.
	var wg sync.WaitGroup
	var errs int64
	for g := 0; g < 100; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				key := fmt.Sprintf("%sc/%d/%d", prefix, g, i)
				if _, err := cli.Put(ctx, key, "v"); err != nil {
					atomic.AddInt64(&errs, 1)
				}
				if r, err := cli.Get(ctx, key); err != nil || len(r.Kvs) != 1 {
					atomic.AddInt64(&errs, 1)
				}
			}
		}(g)
	}
	wg.Wait()
	total, err := cli.Get(ctx, prefix+"c/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	check("100 goroutines x 20 puts and gets", errs == 0 && err == nil && total.Count == 2000, errs, err)

	// Auth: root with a password, a token on later calls, and auth disabled again.
	_, err = cli.UserAdd(ctx, "root", "rootpw")
	check("user add root", err == nil, err)
	_, err = cli.UserGrantRole(ctx, "root", "root")
	check("grant root", err == nil, err)
	_, err = cli.AuthEnable(ctx)
	check("auth enable", err == nil, err)
	_, err = cli.Put(ctx, prefix+"noauth", "x")
	check("unauthenticated put refused", err != nil, err)
	authed, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second, Username: "root", Password: "rootpw"})
	check("login", err == nil, err)
	if err == nil {
		_, err = authed.Put(ctx, prefix+"authed", "x")
		check("put with token", err == nil, err)
		_, err = authed.AuthDisable(ctx)
		check("auth disable", err == nil, err)
		authed.Close()
	}
	_, err = cli.UserDelete(ctx, "root")
	check("user delete", err == nil, err)
	_, err = cli.Delete(ctx, prefix, clientv3.WithPrefix())
	check("cleanup", err == nil, err)

	fmt.Printf("clientv3: %d failure(s)\n", failures)
	if failures > 0 {
		os.Exit(1)
	}
}
