// bolt-oracle reads bbolt files with bbolt itself (Debian's go.etcd.io/bbolt) and prints, per file,
// what bbolt sees: "ok <crc32c> <entries>" where the CRC-32C covers every bucket name, key and value in
// order (as `etcdctl snapshot status` hashes), or "refused <reason>" when bbolt fails to open, read or
// check it (a panic or a memory fault included). kvserver's tests compare their own reader with it.
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o /tmp/bolt-oracle scripts/bolt-oracle/main.go
//	/tmp/bolt-oracle FILE...
package main

import (
	"fmt"
	"hash/crc32"
	"os"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
)

func read(path string) (result string) {
	defer func() {
		if r := recover(); r != nil {
			result = fmt.Sprintf("refused panic: %v", r)
		}
	}()
	db, err := bolt.Open(path, 0400, &bolt.Options{ReadOnly: true})
	if err != nil {
		return "refused open: " + err.Error()
	}
	defer db.Close()
	h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	entries := 0
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return fmt.Errorf("check: %v", err)
		}
		c := tx.Cursor()
		for name, _ := c.First(); name != nil; name, _ = c.Next() {
			b := tx.Bucket(name)
			if b == nil {
				return fmt.Errorf("%q is not a bucket", name)
			}
			h.Write(name)
			if err := b.ForEach(func(k, v []byte) error {
				h.Write(k)
				h.Write(v)
				entries++
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "refused " + err.Error()
	}
	return fmt.Sprintf("ok %d %d", h.Sum32(), entries)
}

func main() {
	debug.SetPanicOnFault(true)
	for _, path := range os.Args[1:] {
		fmt.Printf("%s %s\n", path, read(path))
	}
}
