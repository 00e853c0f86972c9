import KVProtocol
import KVStore

extension Backend {
    func defragment() throws(BackendError) -> ResponseHeader {
        guard case .defragment(let x) = try call(.defragment) else { throw .failure("unexpected reply") }
        return x
    }
    func alarm(_ action: AlarmAction) throws(BackendError) -> AlarmResponse {
        guard case .alarm(let x) = try call(.alarm(action)) else { throw .failure("unexpected reply") }
        return x
    }
}

/// `defrag`: etcd's per-endpoint defragmentation. kvserver's store is in memory, so the server has
/// nothing to compact on disk and answers at once; the command reports per endpoint as etcdctl does.
enum DefragCommand {
    static func make() -> Command {
        Command("defrag", short: "Defragments the storage of the etcd members with given endpoints", flags: [
            .bool("cluster", "use all endpoints from the cluster member list"),
            .string("data-dir", "Optional. If present, defragments a data directory not in use by etcd."),
        ], action: run)
    }

    static func run(_ inv: Invocation) throws(CtlError) {
        if !inv.flags.string("data-dir").isEmpty {
            throw .error("kvserver keeps its data in memory: a data directory has nothing to defragment")
        }
        var failures = 0
        for endpoint in try EndpointCommands.endpoints(inv) {
            do {
                let backend = try inv.backend(for: endpoint)
                defer { backend.close() }
                _ = try backend.defragment()
                inv.console.line("Finished defragmenting etcd member[\(endpoint)]")
            } catch {
                inv.console.errLine("Failed to defragment etcd member[\(endpoint)] (\(error.maintenanceMessage))")
                failures += 1
            }
        }
        if failures > 0 { throw CtlError(ExitCode.error, nil) }
    }
}

/// `alarm list | disarm`. The server raises NOSPACE itself (over `--quota-backend-bytes`); a disarm
/// lowers it once the store is back under its quota.
enum AlarmCommands {
    static func make() -> Command {
        Command("alarm", short: "Alarm related commands", use: "<subcommand>").add(
            Command("disarm", short: "Disarms all alarms", action: { inv throws(CtlError) in
                guard inv.args.isEmpty else { throw .badArgs("alarm disarm command accepts no arguments") }
                try show(inv, .disarm)
            }),
            Command("list", short: "Lists all alarms", action: { inv throws(CtlError) in
                guard inv.args.isEmpty else { throw .badArgs("alarm list command accepts no arguments") }
                try show(inv, .list)
            }))
    }

    static func show(_ inv: Invocation, _ action: AlarmAction) throws(CtlError) {
        let format = try inv.format()
        if format == .table { throw format.unsupported }
        let response = try inv.call { b throws(BackendError) in try b.alarm(action) }
        switch format {
        case .json:
            // etcd's AlarmResponse carries no header; an empty one prints as `{}`.
            guard !response.alarms.isEmpty else { inv.console.line("{}"); return }
            let items = response.alarms.map { "{\"memberID\":\($0.memberID),\"alarm\":\($0.alarm == "CORRUPT" ? 2 : 1)}" }
            inv.console.line("{\"alarms\":[\(items.joined(separator: ","))]}")
        case .fields:
            for alarm in response.alarms {
                inv.console.line("\"MemberID\" : \(alarm.memberID)")
                inv.console.line("\"AlarmType\" : \(alarm.alarm)")
                inv.console.line("")
            }
        default:
            // Go's `%+v` of the protobuf message.
            for alarm in response.alarms { inv.console.line("memberID:\(alarm.memberID) alarm:\(alarm.alarm) ") }
        }
    }
}

/// Membership changes and leader moves. kvserver is one in-memory member: there is no cluster to
/// grow or shrink and no other member to lead. The commands check their arguments as etcdctl does, then
/// answer with the errors kvserver's gRPC Cluster and Maintenance services give (docs/GRPC.md), found
/// from the member list.
enum MembershipCommands {
    static let singleMember = "etcdserver: kvserver is a single in-memory member: membership cannot change"
    static let memberNotFound = "etcdserver: member not found"
    static let notLearner = "etcdserver: can only promote a learner member"
    static let badLeaderTransferee = "etcdserver: bad leader transferee"

    static func add() -> Command {
        Command("add", short: "Adds a member into the cluster", use: "<memberName> [options]", flags: [
            .bool("learner", "indicates if the new member is raft learner"),
            .string("peer-urls", "comma separated peer URLs for the new member."),
        ], action: { inv throws(CtlError) in
            guard inv.args.count == 1 else { throw .badArgs("member name not provided") }
            guard !inv.flags.string("peer-urls").isEmpty else { throw .badArgs("member peer urls not provided") }
            _ = try members(inv)
            throw .error(singleMember)
        })
    }

    static func remove() -> Command {
        Command("remove", short: "Removes a member from the cluster", use: "<memberID>", action: { inv throws(CtlError) in
            let id = try memberID(inv)
            throw .error(try members(inv).contains(id) ? singleMember : memberNotFound)
        })
    }

    static func update() -> Command {
        Command("update", short: "Updates a member in the cluster", use: "<memberID> [options]", flags: [
            .string("peer-urls", "comma separated peer URLs for the updated member."),
        ], action: { inv throws(CtlError) in
            let id = try memberID(inv)
            guard !inv.flags.string("peer-urls").isEmpty else { throw .badArgs("member peer urls not provided") }
            throw .error(try members(inv).contains(id) ? singleMember : memberNotFound)
        })
    }

    static func promote() -> Command {
        Command("promote", short: "Promotes a non-voting member in the cluster", use: "<memberID>", action: { inv throws(CtlError) in
            let id = try memberID(inv)
            throw .error(try members(inv).contains(id) ? notLearner : memberNotFound)
        })
    }

    static func moveLeader() -> Command {
        Command("move-leader", short: "Transfers leadership to another etcd cluster member.", use: "<transferee-member-id>",
                action: { inv throws(CtlError) in
            guard inv.args.count == 1 else { throw .badArgs("move-leader command needs 1 argument") }
            guard hexID(inv.args[0]) != nil else {
                throw .badArgs("strconv.ParseUint: parsing \(GoText.quote(inv.args[0])): invalid syntax")
            }
            // etcd answers a transferee that is not a voting member (or is the leader itself) so.
            _ = try inv.call { b throws(BackendError) in try b.status() }
            throw .error(badLeaderTransferee)
        })
    }

    /// etcdctl's member ID argument: one, in hex.
    static func memberID(_ inv: Invocation) throws(CtlError) -> UInt64 {
        guard inv.args.count == 1 else { throw .badArgs("member ID is not provided") }
        guard let id = hexID(inv.args[0]) else {
            throw .badArgs("bad member ID arg (strconv.ParseUint: parsing \(GoText.quote(inv.args[0])): invalid syntax), expecting ID in Hex")
        }
        return id
    }

    /// Go's `strconv.ParseUint(text, 16, 64)`: hex digits only, no sign, no `0x`.
    static func hexID(_ text: String) -> UInt64? {
        guard !text.isEmpty, text.allSatisfy(\.isHexDigit) else { return nil }
        return UInt64(text, radix: 16)
    }

    static func members(_ inv: Invocation) throws(CtlError) -> Set<UInt64> {
        Set(try inv.call { b throws(BackendError) in try b.memberList() }.members.map(\.id))
    }
}
