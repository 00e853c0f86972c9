import KVProtocol
import KVStore

enum VersionCommand {
    static func make() -> Command {
        Command("version", short: "Prints the version of etcdctl", action: { inv throws(CtlError) in
            inv.console.line("\(inv.command.root.name) version: \(KVCtl.version)")
            inv.console.line("API version: \(KVCtl.apiVersion)")
            // Under its own name (not as an etcdctl drop-in, whose output stays etcdctl's), the project's
            // release and the etcd API its server implements.
            if inv.command.root.name == "kvctl" {
                inv.console.line("kvserver version: \(ProjectVersion.kvserver) (etcd API \(ProjectVersion.etcdAPI))")
            }
        })
    }
}

enum MemberCommands {
    static func make() -> Command {
        Command("member", short: "Membership related commands", use: "<subcommand>").add(
            MembershipCommands.add(),
            Command("list", short: "Lists all members in the cluster", long: """
                When --write-out is set to simple, this command prints out comma-separated member lists for each endpoint.
                The items in the lists are ID, Status, Name, Peer Addrs, Client Addrs, Is Learner.
                """, action: list),
            MembershipCommands.promote(), MembershipCommands.remove(), MembershipCommands.update())
    }

    static func list(_ inv: Invocation) throws(CtlError) {
        let display = try inv.display()
        let response = try inv.call { b throws(BackendError) in try b.memberList() }
        try display.memberList(response)
    }
}

enum EndpointCommands {
    static func make() -> Command {
        Command("endpoint", short: "Endpoint related commands", use: "<subcommand>", flags: [
            .bool("cluster", "use all endpoints from the cluster member list"),
        ]).add(
            Command("hashkv", short: "Prints the KV history hash for each endpoint in --endpoints", flags: [
                .int("rev", "maximum revision to hash (default: all revisions)"),
            ], action: hashKV),
            Command("health", short: "Checks the healthiness of endpoints specified in `--endpoints` flag", action: health),
            Command("status", short: "Prints out the status of endpoints specified in `--endpoints` flag", long: """
                When --write-out is set to simple, this command prints out comma-separated status lists for each endpoint.
                The items in the lists are endpoint, ID, version, db size, is leader, is learner, raft term, raft index, raft applied index, errors.
                """, action: status))
    }

    /// `--endpoints`, or with `--cluster` every member's client URLs.
    static func endpoints(_ inv: Invocation) throws(CtlError) -> [String] {
        guard inv.flags.bool("cluster") else { return inv.endpoints }
        let members = try inv.call { b throws(BackendError) in try b.memberList() }
        return members.members.flatMap(\.clientURLs)
    }

    static func status(_ inv: Invocation) throws(CtlError) {
        let display = try inv.display()
        var results: [EndpointStatus] = []
        var failed = false
        for endpoint in try endpoints(inv) {
            do {
                let backend = try inv.backend(for: endpoint)
                defer { backend.close() }
                results.append(EndpointStatus(endpoint: endpoint, status: try backend.status()))
            } catch {
                inv.console.errLine("Failed to get the status of endpoint \(endpoint) (\(error.message))")
                failed = true
            }
        }
        try display.endpointStatus(results)
        if failed { throw CtlError(ExitCode.error, nil) }
    }

    static func hashKV(_ inv: Invocation) throws(CtlError) {
        let display = try inv.display()
        let revision = inv.flags.int64("rev")
        var results: [EndpointHash] = []
        var lastFailure: String?
        for endpoint in try endpoints(inv) {
            do {
                let backend = try inv.backend(for: endpoint)
                defer { backend.close() }
                results.append(EndpointHash(endpoint: endpoint, hash: try backend.hashKV(revision)))
            } catch {
                let message = error.maintenanceMessage
                inv.console.errLine("Failed to get the hash of endpoint \(endpoint) (\(message))")
                lastFailure = message
            }
        }
        try display.endpointHashKV(results)
        if let lastFailure { throw CtlError(ExitCode.error, lastFailure) }
    }

    static func health(_ inv: Invocation) throws(CtlError) {
        let display = try inv.display()
        var results: [EndpointHealth] = []
        for endpoint in try endpoints(inv) {
            let start = monotonicNanoseconds()
            var healthy = false
            var reason = ""
            do {
                let backend = try inv.backend(for: endpoint)
                defer { backend.close() }
                // etcd's check: a linearizable read of the key "health" commits.
                _ = try backend.range(RangeRequest(key: Array("health".utf8)))
                let answer = try backend.health()
                healthy = answer.health
                reason = answer.reason
            } catch {
                reason = error.message
            }
            results.append(EndpointHealth(endpoint: endpoint, health: healthy, took: monotonicNanoseconds() - start, error: reason))
        }
        try display.endpointHealth(results)
        if results.contains(where: { !$0.health }) { throw CtlError(ExitCode.error, "unhealthy cluster") }
    }
}

/// An etcdctl command kvctl knows by name (so prefixes and help match etcdctl) but does not implement.
func unsupported(_ name: String, _ short: String, use: String = "") -> Command {
    Command(name, short: short, use: use, action: { inv throws(CtlError) in
        throw .error("\(inv.command.relativePath) is not supported by kvctl")
    })
}
