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
            let seconds = max(1, response.ttl / 3)
            sleepNanoseconds(seconds * 1_000_000_000)
        }
        if display.format == .simple { inv.console.line("lease \(GoText.leaseHex(id)) expired or revoked.") }
    }
}
