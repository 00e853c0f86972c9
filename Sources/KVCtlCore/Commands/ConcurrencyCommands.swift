#if canImport(Glibc)
import Glibc
#endif
import KVPosix
import KVProtocol
import KVStore

/// A lease kept alive from its own thread and connection while a command holds a lock or leads an
/// election (clientv3's `concurrency.Session`).
final class Session {
    let lease: Int64
    let ttl: Int64
    private let backend: Backend
    private let stop = PosixMutex(false)
    private var thread: PosixThread?

    init(_ inv: Invocation, ttl: Int64) throws(CtlError) {
        backend = try inv.backend()
        self.ttl = ttl
        lease = try inv.call { b throws(BackendError) in try b.leaseGrant(ttl: ttl) }.id
        let keeper: Backend
        do { keeper = try inv.backend(for: backend.endpoint) } catch { throw Invocation.failure(error) }
        let box = UncheckedBox((keeper, lease, max(1, ttl) * 1_000_000_000 / 3))
        let stop = self.stop
        thread = try? PosixThread.spawn(name: "kvctl-keepalive") {
            let (keeper, lease, period) = box.value
            defer { keeper.close() }
            var waited: Int64 = 0
            while !stop.withLock({ $0 }) {
                sleepNanoseconds(50_000_000)
                waited += 50_000_000
                if waited >= period {
                    waited = 0
                    _ = try? keeper.leaseKeepAlive(lease)
                }
            }
        }
    }

    /// Whether the lease is gone (expired or revoked by someone else).
    func isExpired() -> Bool {
        guard let ttl = try? backend.leaseTimeToLive(lease, keys: false) else { return false }
        return ttl.ttl <= 0
    }

    /// Stops the keep-alives. The lease is left to expire after its TTL, as etcdctl leaves it (its
    /// `lock` and `elect` never close their session): the lock key or the campaign key is deleted
    /// explicitly before this.
    func close() {
        stop.withLock { $0 = true }
        thread?.join()
    }

    /// The session's key under `prefix`: `<prefix>/<lease id in hex>`.
    func key(_ prefix: String) -> [UInt8] { Array((prefix + "/" + String(UInt64(bitPattern: lease), radix: 16)).utf8) }
}

final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// etcd's recipe for waiting in line under a prefix (clientv3's `concurrency` package): each contender
/// puts `<prefix>/<lease>` once, with its lease; the contender with the lowest create revision holds the
/// lock (or leads); the others each wait for the deletion of the key created just before theirs.
enum Queue {
    /// Puts `key` with `value` under the session's lease unless it exists; returns its create revision.
    static func enter(_ inv: Invocation, key: [UInt8], value: [UInt8], lease: Int64) throws(CtlError) -> Int64 {
        let txn = TxnRequest(
            compare: [Compare(key: key, result: .equal, target: .createRevision(0))],
            success: [.put(PutRequest(key: key, value: value, lease: lease))],
            failure: [.range(RangeRequest(key: key))])
        let response = try inv.call { b throws(BackendError) in try b.txn(txn) }
        if response.succeeded { return response.header.revision }
        guard case .range(let existing)? = response.responses.first, let kv = existing.kvs.first else {
            throw .error("session key lost")
        }
        if kv.value != value {   // a campaign with a new proposal proclaims it
            _ = try inv.call { b throws(BackendError) in try b.put(PutRequest(key: key, value: value, lease: lease)) }
        }
        return kv.createRevision
    }

    /// Waits until no key under `prefix` was created before `revision`. False when interrupted.
    static func waitForPredecessors(_ inv: Invocation, prefix: [UInt8], before revision: Int64) throws(CtlError) -> Bool {
        var end = [UInt8](); var start = prefix
        applyPrefix(&start, &end, prefix: true, fromKey: false)
        while true {
            let last = try inv.call { b throws(BackendError) in
                try b.range(RangeRequest(key: start, rangeEnd: end, limit: 1, sortOrder: .descend, sortTarget: .create,
                                         maxCreateRevision: revision - 1))
            }
            guard let predecessor = last.kvs.first else { return true }
            let watch = try inv.call { b throws(BackendError) in
                try b.watch(WatchRequest(key: predecessor.key, startRevision: last.header.revision + 1))
            }
            defer { watch.cancel() }
            var deleted = false
            while !deleted {
                if inv.console.interrupted() { return false }
                let response: WatchResponse?
                do { response = try watch.next(timeoutNanoseconds: 100_000_000) } catch { throw Invocation.failure(error) }
                guard let response else { continue }
                if response.canceled { break }
                deleted = response.events.contains { $0.type == .delete }
            }
        }
    }

    /// The first-created key under `prefix`, if any.
    static func first(_ inv: Invocation, prefix: [UInt8]) throws(CtlError) -> RangeResponse {
        var end = [UInt8](); var start = prefix
        applyPrefix(&start, &end, prefix: true, fromKey: false)
        return try inv.call { b throws(BackendError) in
            try b.range(RangeRequest(key: start, rangeEnd: end, limit: 1, sortOrder: .ascend, sortTarget: .create))
        }
    }

    /// Polls `interrupted` until it holds or the session's lease is gone; true when interrupted.
    static func hold(_ inv: Invocation, _ session: Session) -> Bool {
        var checked: Int64 = 0
        while !inv.console.interrupted() {
            sleepNanoseconds(100_000_000)
            checked += 1
            if checked % 10 == 0 && session.isExpired() { return false }
        }
        return true
    }
}

/// `lock <lockname> [exec-command arg1 arg2 ...]`: etcd's mutex. Prints the lock's key (as `get` would)
/// and holds it until interrupted, or runs the command while holding it (with `ETCD_LOCK_KEY` and
/// `ETCD_LOCK_REV` set), then releases it.
enum LockCommand {
    static func make() -> Command {
        Command("lock", short: "Acquires a named lock", use: "<lockname> [exec-command arg1 arg2 ...]", flags: [
            .int("ttl", "timeout for session", default: 10),
        ], action: run)
    }

    static func run(_ inv: Invocation) throws(CtlError) {
        guard !inv.args.isEmpty else { throw .badArgs("lock takes a lock name argument and an optional command to execute") }
        if inv.console.isLive { Interrupt.install() }
        let display = try inv.display()
        let session = try Session(inv, ttl: inv.flags.int64("ttl"))
        defer { session.close() }
        let prefix = inv.args[0] + "/"
        let key = session.key(inv.args[0])
        let revision = try Queue.enter(inv, key: key, value: [], lease: session.lease)
        guard try Queue.waitForPredecessors(inv, prefix: Array(prefix.utf8), before: revision) else { return }
        defer { _ = try? inv.backend().deleteRange(DeleteRangeRequest(key: key)) }
        let command = Array(inv.args.dropFirst())
        if !command.isEmpty {
            inv.console.flush()
            let env = ["ETCD_LOCK_KEY=" + String(decoding: key, as: UTF8.self), "ETCD_LOCK_REV=\(revision)"]
            if let failure = Exec.run(command, extraEnvironment: env) { throw .error(failure) }
            return
        }
        let held = try inv.call { b throws(BackendError) in try b.range(RangeRequest(key: key)) }
        guard !held.kvs.isEmpty else { throw .error("lock lost on init") }
        try display.get(held)
        inv.console.flush()
        if !Queue.hold(inv, session) { throw .error("session expired") }
    }
}

/// `elect <election-name> [proposal]`: etcd's election. With a proposal, campaigns, prints the leader key
/// and value once elected and leads until interrupted (then resigns); with `--listen`, prints the leader
/// each time it changes.
enum ElectCommand {
    static func make() -> Command {
        Command("elect", short: "Observes and participates in leader election", use: "<election-name> [proposal]", flags: [
            .bool("listen", short: "l", "observation mode"),
        ], action: run)
    }

    static let usage = "elect takes one election name argument and an optional proposal argument"

    static func run(_ inv: Invocation) throws(CtlError) {
        let listen = inv.flags.bool("listen")
        guard inv.args.count == (listen ? 1 : 2) else { throw .badArgs(usage) }
        if inv.console.isLive { Interrupt.install() }
        let display = try inv.display()
        if listen { return try observe(inv, display) }
        let session = try Session(inv, ttl: 60)
        defer { session.close() }
        let prefix = inv.args[0] + "/"
        let key = session.key(inv.args[0])
        let revision = try Queue.enter(inv, key: key, value: Array(inv.args[1].utf8), lease: session.lease)
        guard try Queue.waitForPredecessors(inv, prefix: Array(prefix.utf8), before: revision) else { return }
        let leader = try inv.call { b throws(BackendError) in try b.range(RangeRequest(key: key)) }
        try display.get(leader)
        inv.console.flush()
        let interrupted = Queue.hold(inv, session)
        // Resign: delete the key if it is still this campaign's.
        let resign = TxnRequest(compare: [Compare(key: key, result: .equal, target: .createRevision(revision))],
                                success: [.deleteRange(DeleteRangeRequest(key: key))])
        _ = try? inv.backend().txn(resign)
        if !interrupted { throw .error("elect: session expired") }
    }

    /// Prints the leader (the first-created key under the prefix) whenever it or its value changes.
    static func observe(_ inv: Invocation, _ display: Display) throws(CtlError) {
        let prefix = Array((inv.args[0] + "/").utf8)
        var start = prefix, end = [UInt8]()
        applyPrefix(&start, &end, prefix: true, fromKey: false)
        var shown: KeyValue?
        var revision: Int64 = 0
        while !inv.console.interrupted() {
            let first = try Queue.first(inv, prefix: prefix)
            revision = first.header.revision
            if let leader = first.kvs.first, leader != shown {
                try display.get(first)
                inv.console.flush()
                shown = leader
            }
            // Wait for any change under the prefix, then look again.
            let watch = try inv.call { b throws(BackendError) in
                try b.watch(WatchRequest(key: start, rangeEnd: end, startRevision: revision + 1))
            }
            defer { watch.cancel() }
            while !inv.console.interrupted() {
                let response: WatchResponse?
                do { response = try watch.next(timeoutNanoseconds: 100_000_000) } catch { throw Invocation.failure(error) }
                if let response, !response.events.isEmpty || response.canceled { break }
            }
        }
    }
}
