import Glibc
import KVPosix
import KVProtocol
import KVStore

/// `snapshot save | status | restore`: the backup path. `save` streams a point-in-time snapshot from
/// the server into a file written atomically (temporary file, fsync, rename); `status` and `restore`
/// work offline on a file, checking every record and the SHA-256 trailer (docs/SNAPSHOT.md).
/// Files in etcd's own format (a bbolt backend database, docs/ETCD-SNAPSHOT.md) are read too, and
/// `save --format etcd` writes one, for `etcdctl snapshot restore`.
enum SnapshotCommands {
    static func make() -> Command {
        Command("snapshot", short: "Manages etcd node snapshots", use: "<subcommand>").add(
            Command("restore", short: "Restores an etcd member snapshot to an etcd directory", use: "<filename> [options]", flags: [
                .string("data-dir", "Path to the data directory"),
                .string("initial-advertise-peer-urls", "List of this member's peer URLs to advertise to the rest of the cluster",
                        default: "http://localhost:2380"),
                .string("initial-cluster", "Initial cluster configuration for restore bootstrap", default: "default=http://localhost:2380"),
                .string("initial-cluster-token", "Initial cluster token for the etcd cluster during restore bootstrap",
                        default: "etcd-cluster"),
                .string("name", "Human-readable name for this member", default: "default"),
                .bool("skip-hash-check", "Ignore snapshot integrity hash value (required if copied from data directory)"),
                .string("wal-dir", "Path to the WAL directory (use --data-dir if none given)"),
            ], action: { inv throws(CtlError) in
                guard inv.args.count == 1 else { throw .badArgs("snapshot restore requires exactly one argument") }
                try restore(inv)
            }),
            Command("save", short: "Stores an etcd node backend snapshot to a given file", use: "<filename>", flags: [
                .string("format", "File format: kvserver (this server's own, the fastest) or etcd (etcd 3.4's backend database, which etcdctl snapshot restore takes)",
                        // Hidden: `snapshot save --help` stays etcdctl's word for word (HelpTests); docs/ETCD-SNAPSHOT.md has it.
                        default: "kvserver", hidden: true),
            ], action: { inv throws(CtlError) in
                guard inv.args.count == 1 else { throw .badArgs("snapshot save expects one argument") }
                try save(inv)
            }),
            Command("status", short: "Gets backend snapshot status of a given file", use: "<filename>", long: """
                When --write-out is set to simple, this command prints out comma-separated status lists for each endpoint.
                The items in the lists are hash, revision, total keys, total size.
                """, action: { inv throws(CtlError) in
                guard inv.args.count == 1 else { throw .badArgs("snapshot status requires exactly one argument") }
                try status(inv)
            }))
    }

    // MARK: save

    static func save(_ inv: Invocation) throws(CtlError) {
        let path = inv.args[0]
        let format = inv.flags.string("format")
        guard format == "kvserver" || format == "etcd" else {
            throw .badArgs("unknown snapshot format \"\(format)\" (kvserver or etcd)")
        }
        // etcdctl writes `<path>.part` first; a missing directory fails opening it, in its words.
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        var info = stat()
        if !directory.isEmpty, stat(directory, &info) != 0 {
            throw CtlError(ExitCode.interrupted, "could not open \(path).part (open \(path).part: no such file or directory)")
        }
        let backend = try inv.backend()
        let progress = isatty(2) != 0
        var received = 0
        var nextReport = 16 << 20
        do {
            try AtomicFile.write(path) { sink in
                try backend.snapshot { chunk in
                    try chunk.withUnsafeBytes { try sink($0) }
                    received += chunk.count
                    if progress, received >= nextReport {
                        inv.console.err("\rdownloading snapshot: \(GoText.humanizeBytes(UInt64(received)))")
                        inv.console.flush()
                        nextReport += 16 << 20
                    }
                }
            }
        } catch let error as BackendError {
            throw CtlError(ExitCode.interrupted, error.maintenanceMessage)
        } catch {
            throw CtlError(ExitCode.interrupted, "could not save \(path) (\(error))")
        }
        if progress, received >= 16 << 20 { inv.console.err("\n") }
        // Read back what was written: a snapshot that does not check out is a failed save.
        let saved: SnapshotInfo
        do {
            saved = try inspect(path, skipHashCheck: false)
        } catch {
            throw CtlError(ExitCode.interrupted, "saved snapshot \(path) is invalid: \(error.message ?? "")")
        }
        // A server spoken to over gRPC (etcd) sends its own format, kept as it came, as etcdctl keeps it.
        if format == "etcd" && saved.format != .etcd { try convertToEtcd(path) }
        inv.console.line("Snapshot saved at \(path)")
    }

    /// Rewrites a saved snapshot as etcd's backend database with the SHA-256 trailer `etcdctl snapshot
    /// save` leaves (so `etcdctl snapshot restore` takes it without `--skip-hash-check`). The server
    /// streams our format; the conversion happens here, through a store in memory.
    private static func convertToEtcd(_ path: String) throws(CtlError) {
        let reader = try open(path, verb: "open")
        do {
            let store = try Store.restore { buffer in try reader.read(into: buffer) }
            try AtomicFile.write(path) { sink in
                var hasher = SHA256()
                try store.writeEtcdSnapshot { chunk in
                    hasher.update(chunk)
                    try sink(chunk)
                }
                try hasher.finalize().withUnsafeBytes { try sink($0) }
            }
        } catch {
            throw CtlError(ExitCode.interrupted, "could not write \(path) in etcd's format (\(error))")
        }
    }

    // MARK: status

    static func status(_ inv: Invocation) throws(CtlError) {
        let format = try inv.format()
        let info = try inspect(inv.args[0], skipHashCheck: false)
        // etcd counts every stored entry as a "key"; in our format: every retained version plus every lease.
        let totalKeys = info.statusKeyCount
        // Which format was read goes to standard error, so the output stays etcdctl's.
        inv.console.errLine(info.format == .etcd ? "snapshot format: etcd (bbolt backend database)" : "snapshot format: kvserver")
        switch format {
        case .simple:
            inv.console.line("\(GoText.hex(UInt64(info.hash))), \(info.revision), \(totalKeys), \(GoText.humanizeBytes(UInt64(info.totalBytes)))")
        case .json:
            inv.console.line("{\"hash\":\(info.hash),\"revision\":\(info.revision),\"totalKey\":\(totalKeys),\"totalSize\":\(info.totalBytes)}")
        case .fields:
            inv.console.line("\"Hash\" : \(info.hash)")
            inv.console.line("\"Revision\" : \(info.revision)")
            inv.console.line("\"Keys\" : \(totalKeys)")
            inv.console.line("\"Size\" : \(info.totalBytes)")
        case .table:
            inv.console.out(Table.render(header: ["hash", "revision", "total keys", "total size"],
                                         rows: [[GoText.hex(UInt64(info.hash)), String(info.revision), String(totalKeys),
                                                 GoText.humanizeBytes(UInt64(info.totalBytes))]]))
        case .protobuf:
            throw format.unsupported
        }
    }

    /// Reads and checks a whole snapshot file.
    static func inspect(_ path: String, skipHashCheck: Bool) throws(CtlError) -> SnapshotInfo {
        let reader = try open(path, verb: "stat")
        do {
            return try Store.inspectSnapshot(skipHashCheck: skipHashCheck) { buffer in try reader.read(into: buffer) }
        } catch {
            throw CtlError(ExitCode.error, error.description)
        }
    }

    private static func open(_ path: String, verb: String) throws(CtlError) -> FileReader {
        do {
            return try FileReader(path: path)
        } catch {
            let reason = error.code == ENOENT ? "no such file or directory" : error.description
            throw CtlError(ExitCode.error, "\(verb) \(path): \(reason)")
        }
    }

    // MARK: restore

    /// Checks the file completely (every record, and the hash unless `--skip-hash-check`), then writes a
    /// data dir `kvserver --data-dir` starts from. Refuses a data dir that already exists, as etcdutl.
    static func restore(_ inv: Invocation) throws(CtlError) {
        let path = inv.args[0]
        let name = inv.flags.string("name")
        var directory = inv.flags.string("data-dir")
        if directory.isEmpty { directory = name + ".etcd" }
        let cluster = inv.flags.string("initial-cluster")
        let members = cluster.split(separator: ",").compactMap { entry -> Substring? in
            entry.split(separator: "=", maxSplits: 1).first
        }
        guard members.contains(where: { $0 == name }) else {
            throw CtlError(ExitCode.error, "couldn't find local name \"\(name)\" in the initial cluster configuration")
        }
        var info = stat()
        if stat(directory, &info) == 0 {
            throw CtlError(ExitCode.error, "data-dir \"\(directory)\" exists")
        }
        let reader = try open(path, verb: "open")
        let store: Store
        do {
            store = try Store.restore(skipHashCheck: inv.flags.bool("skip-hash-check"), notes: { inv.console.errLine("warning: \($0)") }) { buffer in
                try reader.read(into: buffer)
            }
        } catch {
            throw CtlError(ExitCode.error, error.description)
        }
        do {
            _ = try Posix.call("mkdir") { mkdir(directory, 0o700) }
            // Written anew from the checked store, so the data dir always holds a complete, hashed file.
            try AtomicFile.write(directory + "/" + DataDirectoryLayout.snapshotFile) { sink in
                try withoutActuallyEscaping(sink) { sink in
                    _ = try store.writeSnapshot(chunkSize: 1 << 20, to: sink)
                }
            }
        } catch {
            throw CtlError(ExitCode.error, "cannot write the data dir \(directory): \(error)")
        }
    }
}
