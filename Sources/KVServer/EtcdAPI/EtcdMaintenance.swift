import EtcdWire
import KVProtocol
import KVStore

/// etcd's calls the service does not model, for one in-memory member: alarms, defragment, the backend
/// hash, leader moves and membership changes. Each answers as etcd does where it means something for a
/// single member, and with a clear etcd-worded error where it cannot.
enum EtcdMaintenance {
    /// What a call gets: a message (OK), a status, or a job for the worker producing one of those.
    enum Answer {
        case message(any EtcdMessage & Sendable)
        case status(GRPCStatus)
        case job(@Sendable () -> Answer)
    }

    /// etcd's texts for a member ID that is not ours, a move to a non-member, and a promotion of a voter.
    static let memberNotFound = GRPCStatus(.notFound, "etcdserver: member not found")
    static let badLeaderTransferee = GRPCStatus(.failedPrecondition, "etcdserver: bad leader transferee")
    static let notLearner = GRPCStatus(.failedPrecondition, "etcdserver: can only promote a learner member")
    static let singleMember = GRPCStatus(.failedPrecondition,
        "etcdserver: kvserver is a single in-memory member: membership cannot change")

    static func answer(_ call: EtcdCall, state: ServerState, session: ClientSession) -> Answer {
        let store = state.store
        let memberID = state.identity.memberID
        switch call {
        case .alarm(let request):
            switch request.action {
            case .get:
                return .message(EtcdAlarmResponse(header: ResponseHeader(revision: 0), alarms: alarms(state)))
            case .deactivate:
                if let denied = requireAdmin(state, session) { return .status(denied) }
                let raised = alarms(state)
                guard request.alarm == .noSpace || request.alarm == .none, request.memberID == memberID || request.memberID == 0 else {
                    return .message(EtcdAlarmResponse(header: ResponseHeader(revision: 0)))
                }
                // The alarm is lowered once the store is back under its quota (a write over it raises
                // it again, as on etcd after a disarm).
                state.refreshAlarm()
                return .message(EtcdAlarmResponse(header: ResponseHeader(revision: 0), alarms: raised))
            default:
                return .status(GRPCStatus(.failedPrecondition,
                    "etcdserver: kvserver raises its alarms itself (NOSPACE above the quota); they cannot be activated"))
            }
        case .defragment:
            if let denied = requireAdmin(state, session) { return .status(denied) }
            // Nothing to defragment in memory: the store's size is what it holds.
            return .message(EtcdHeaderResponse(header: state.header()))
        case .hash:
            if let denied = requireAdmin(state, session) { return .status(denied) }
            return .job {
                do throws(StoreError) {
                    let (hash, revision) = try KVHash.compute(store: store, revision: 0)
                    var header = state.header()
                    header.revision = max(header.revision, revision)
                    return .message(EtcdHashResponse(header: header, hash: hash))
                } catch {
                    return .status(EtcdWire.status(for: error))
                }
            }
        case .moveLeader(let target):
            if let denied = requireAdmin(state, session) { return .status(denied) }
            // A single member already leads; moving to itself is what etcd answers for any non-voter.
            return .status(target == memberID ? badLeaderTransferee : memberNotFound)
        case .memberAdd:
            return .status(singleMember)
        case .memberRemove(let id), .memberUpdate(let id, _):
            return .status(id == memberID ? singleMember : memberNotFound)
        case .memberPromote(let id):
            return .status(id == memberID ? notLearner : memberNotFound)
        case .downgrade:
            return .status(GRPCStatus(.unimplemented, "unknown method Downgrade for service etcdserverpb.Maintenance"))
        case .request, .watch:
            return .status(GRPCStatus(.internal, "request routed to maintenance"))
        }
    }

    private static func alarms(_ state: ServerState) -> [EtcdAlarmMember] {
        state.isNoSpaceAlarmed ? [EtcdAlarmMember(memberID: state.identity.memberID, alarm: .noSpace)] : []
    }

    /// With auth enabled, maintenance that etcd reserves to root (defragment, hash, alarms' disarm,
    /// moving the leader) needs the root role.
    private static func requireAdmin(_ state: ServerState, _ session: ClientSession) -> GRPCStatus? {
        guard state.store.auth.isEnabled else { return nil }
        session.adoptCertifiedUser(state.store.auth)
        do {
            try state.store.auth.checkAdmin(token: session.authToken)
            return nil
        } catch {
            return authLayerStatus(error)
        }
    }

    /// The calls etcd's maintenance server checks for root itself, before the request reaches the
    /// server: a refusal is the auth package's own error, which gRPC carries as UNKNOWN.
    static let checkedByAuthLayer: Set<EtcdMethod> = [.snapshot, .hashKV, .hash, .defragment]

    /// etcd's `auth` package errors ("auth: permission denied", …) as grpc-go sends an error it does not
    /// know: code UNKNOWN with the text.
    static func authLayerStatus(_ error: AuthError) -> GRPCStatus {
        var text = WireError.auth(error).message
        if text.hasPrefix("etcdserver: ") { text = "auth: " + text.dropFirst("etcdserver: ".count) }
        return GRPCStatus(.unknown, text)
    }
}
