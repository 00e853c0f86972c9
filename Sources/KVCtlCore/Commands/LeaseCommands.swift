import KVStore

enum LeaseCommands {
    static func make() -> Command {
        Command("lease", short: "Lease related commands", use: "<subcommand>").add(
            Command("grant", short: "Creates leases", use: "<ttl>", flags: [
                .string("keys", "attach these existing keys (comma separated) to the new lease", hidden: true),
            ], action: grant),
            Command("revoke", short: "Revokes leases", use: "<leaseID>", action: revoke),
            Command("timetolive", short: "Get lease information", use: "<leaseID> [options]", flags: [
                .bool("keys", "Get keys attached to this lease"),
            ], action: timeToLive),
            Command("list", short: "List all active leases", action: list),
            Command("keep-alive", short: "Keeps leases alive (renew)", use: "[options] <leaseID>", flags: [
                .bool("once", "Resets the keep-alive time to its original value and exits immediately"),
            ], action: keepAlive))
    }

    static func leaseArgument(_ args: [String], missing: String) throws(CtlError) -> Int64 {
        guard args.count == 1 else { throw .badArgs(missing) }
        switch parseLeaseID(args[0]) {
        case .success(let id): return id
        case .failure(let error): throw .badArgs("bad lease ID arg (\(error)), expecting ID in Hex")
        }
    }

    static func ttlArgument(_ args: [String]) throws(CtlError) -> Int64 {
        guard args.count == 1 else { throw .badArgs("lease grant command needs TTL argument") }
        switch GoParse.int64(args[0]) {
        case .success(let ttl): return ttl
        case .failure(let error): throw .badArgs("bad TTL (\(error))")
        }
    }

    static func grant(_ inv: Invocation) throws(CtlError) {
        let ttl = try ttlArgument(inv.args)
        let display = try inv.display()
        let keys = inv.flags.list("keys")
        let response = try inv.call(wrap: { "failed to grant lease (\($0))" }) { b throws(BackendError) in
            try b.leaseGrant(ttl: ttl, keys: keys.map { Array($0.utf8) })
        }
        try display.leaseGrant(response)
    }

    static func revoke(_ inv: Invocation) throws(CtlError) {
        let id = try leaseArgument(inv.args, missing: "lease revoke command needs 1 argument")
        let display = try inv.display()
        let response = try inv.call(wrap: { "failed to revoke lease (\($0))" }) { b throws(BackendError) in
            try b.leaseRevoke(id)
        }
        try display.leaseRevoke(id, response)
    }

    static func timeToLive(_ inv: Invocation) throws(CtlError) {
        let id = try leaseArgument(inv.args, missing: "lease timetolive command needs lease ID as argument")
        let display = try inv.display()
        let keys = inv.flags.bool("keys")
        let response = try inv.call(code: ExitCode.badConnection) { b throws(BackendError) in
            try b.leaseTimeToLive(id, keys: keys)
        }
        try display.leaseTimeToLive(response, keys: keys)
    }

    static func list(_ inv: Invocation) throws(CtlError) {
        let display = try inv.display()
        let response = try inv.call(code: ExitCode.badConnection) { b throws(BackendError) in try b.leaseLeases() }
        try display.leaseList(response)
    }

    /// Nanoseconds between renewals: a third of the TTL, at least a second. The TTL comes from the
    /// server, so it is clamped to etcd's largest first and the product cannot overflow.
    static func renewalInterval(ttl: Int64) -> Int64 {
        min(max(1, ttl / 3), LeaseLimits.maximumTTL / 3) * 1_000_000_000
    }

    static func keepAlive(_ inv: Invocation) throws(CtlError) {
        let id = try leaseArgument(inv.args, missing: "lease keep-alive command needs lease ID as argument")
        let display = try inv.display()
        if inv.flags.bool("once") {
            let response = try inv.call(code: ExitCode.badConnection) { b throws(BackendError) in try b.leaseKeepAlive(id) }
            try display.leaseKeepAlive(response)
            return
        }
        let backend = try inv.backend()
        while true {
            let response: LeaseKeepAliveResponse
            do {
                response = try backend.leaseKeepAlive(id)
            } catch .server {
                break
            } catch {
                throw CtlError(ExitCode.badConnection, error.message)
            }
            try display.leaseKeepAlive(response)
            inv.console.flush()
            sleepNanoseconds(renewalInterval(ttl: response.ttl))
        }
        if display.format == .simple { inv.console.line("lease \(GoText.leaseHex(id)) expired or revoked.") }
    }
}
