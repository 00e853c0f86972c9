import KVProtocol
import KVStore

/// `make-mirror [options] <destination>`: copies the keys under `--prefix` to the destination, then
/// replays every later change (one transaction per source revision) until interrupted, printing the
/// count of keys synced every 30 seconds, as etcdctl does. Source and destination may each be a kvserver
/// (its line protocol) or etcd itself (its gRPC API: `ClientBackend.connect` falls back to it), over TLS
/// as `--dest-cacert`, `--dest-cert`, `--dest-key`, `--dest-insecure-transport=false` or an `https://`
/// destination say (etcdctl's meanings, as for the global flags).
enum MirrorCommand {
    static func make() -> Command {
        Command("make-mirror", short: "Makes a mirror at the destination etcd cluster", use: "[options] <destination>", flags: [
            .string("dest-cacert", "Verify certificates of TLS enabled secure servers using this CA bundle"),
            .string("dest-cert", "Identify secure client using this TLS certificate file for the destination cluster"),
            .bool("dest-insecure-transport", "Disable transport security for client connections", default: true),
            .string("dest-key", "Identify secure client using this TLS key file"),
            .string("dest-prefix", "destination prefix to mirror a prefix to a different prefix in the destination cluster"),
            .bool("no-dest-prefix", "mirror key-values to the root of the destination cluster"),
            .string("prefix", "Key-value prefix to mirror"),
        ], action: run)
    }

    static func run(_ inv: Invocation) throws(CtlError) {
        guard inv.args.count == 1 else { throw .badArgs("make-mirror takes one destination argument") }
        let prefix = inv.flags.string("prefix")
        var destPrefix = inv.flags.string("dest-prefix")
        if inv.flags.bool("no-dest-prefix") && !destPrefix.isEmpty {
            throw .badArgs("`--dest-prefix` and `--no-dest-prefix` cannot be set at the same time, choose one")
        }
        if !inv.flags.bool("no-dest-prefix") && destPrefix.isEmpty { destPrefix = prefix }
        let destinationSecurity = try TransportSecurity.resolve(
            caFile: inv.flags.string("dest-cacert"), certFile: inv.flags.string("dest-cert"), keyFile: inv.flags.string("dest-key"),
            skipVerify: false, insecureTransport: inv.flags.bool("dest-insecure-transport"), endpoints: [inv.args[0]],
            flagPrefix: "--dest-")
        if inv.console.isLive { Interrupt.install() }
        let destination: Backend
        do {
            destination = try inv.connector([inv.args[0]], inv.flags.duration("dial-timeout"),
                                            inv.flags.duration("command-timeout"), nil, destinationSecurity)
        } catch {
            inv.logUnreachable(error, endpoints: [inv.args[0]])
            throw Invocation.failure(error)
        }
        defer { destination.close() }
        func rename(_ key: [UInt8]) -> [UInt8] { Array(destPrefix.utf8) + key.dropFirst(prefix.utf8.count) }
        func put(_ ops: [RequestOp]) throws(CtlError) {
            do { _ = try destination.txn(TxnRequest(success: ops)) } catch { throw Invocation.failure(error) }
        }

        var start = Array(prefix.utf8), end = [UInt8]()
        if start.isEmpty { start = [0]; applyPrefix(&start, &end, prefix: false, fromKey: true) }
        else { applyPrefix(&start, &end, prefix: true, fromKey: false) }
        var total = 0
        var lastReport = monotonicNanoseconds()
        func report() {
            let now = monotonicNanoseconds()
            if now - lastReport >= 30_000_000_000 {
                inv.console.line(String(total))
                inv.console.flush()
                lastReport = now
            }
        }

        // The base: every key at one revision.
        let base = try inv.call { b throws(BackendError) in try b.range(RangeRequest(key: start, rangeEnd: end)) }
        for kv in base.kvs {
            do { _ = try destination.put(PutRequest(key: rename(kv.key), value: kv.value)) } catch { throw Invocation.failure(error) }
            total += 1
        }
        // The updates: one destination transaction per source revision.
        let watch = try inv.call { b throws(BackendError) in
            try b.watch(WatchRequest(key: start, rangeEnd: end, startRevision: base.header.revision + 1))
        }
        defer { watch.cancel() }
        while !inv.console.interrupted() {
            report()
            let response: WatchResponse?
            do { response = try watch.next(timeoutNanoseconds: 100_000_000) } catch { throw Invocation.failure(error) }
            guard let response else { continue }
            if response.canceled { throw CtlError(ExitCode.interrupted, "watch is canceled by the server") }
            var ops: [RequestOp] = []
            var lastRevision: Int64 = 0
            for event in response.events {
                if lastRevision != 0 && event.kv.modRevision > lastRevision && !ops.isEmpty {
                    try put(ops)
                    ops = []
                }
                lastRevision = event.kv.modRevision
                switch event.type {
                case .put: ops.append(.put(PutRequest(key: rename(event.kv.key), value: event.kv.value)))
                case .delete: ops.append(.deleteRange(DeleteRangeRequest(key: rename(event.kv.key))))
                }
                total += 1
            }
            if !ops.isEmpty { try put(ops) }
        }
    }
}
