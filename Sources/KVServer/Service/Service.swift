import KVProtocol
import KVStore

/// The service layer: every front end (the line protocol; later gRPC and the JSON gateway) hands it each
/// decoded request with the client's `ClientSession`, and gets back a typed `ServiceOutcome`. It does, in
/// one place for all of them: the admission checks (request size), authorization, auth management,
/// applying the request to the store (whose own lock checks the quota), the response header, snapshot
/// cursors, and the choice of what runs on the worker. It never writes bytes.
///
/// Store errors become failures with etcd's messages; nothing a client sends can trap here.
struct Service: Sendable {
    let state: ServerState

    /// Snapshot bytes per SNAPSHOT-NEXT reply (sent as hex, so the line is twice that).
    static let snapshotChunkBytes = 256 * 1024
    /// Added to the store's size in STATUS's `dbSize`/`dbSizeInUse`.
    static let baseDatabaseBytes: Int64 = 4096

    /// Applies `request` for the client of `session`.
    func handle(_ request: Request, session: ClientSession) -> ServiceOutcome {
        if session.certifiedUser != nil { session.adoptCertifiedUser(state.store.auth) }
        guard let gate = state.durabilityGate, let mark = session.writeMark else { return apply(request, session: session) }
        // Note the log index of a write (another loop's write in between only makes the mark later).
        let before = gate.appendedIndex
        let outcome = apply(request, session: session)
        let after = gate.appendedIndex
        if after != before { mark.index = max(mark.index, after) }
        return outcome
    }

    private func apply(_ request: Request, session: ClientSession) -> ServiceOutcome {
        do { try state.admit(request) } catch {
            return .failure(.store(error))
        }
        if state.store.auth.isEnabled {
            do {
                try request.authorize(on: state.store, token: session.authToken)
            } catch {
                return .failure(.auth(error))
            }
        }
        if case .auth(let auth) = request {
            do {
                let response = try auth.apply(to: state.store.auth, header: state.header())
                if auth.isChange { state.logger.info("auth change: \(auth)") }
                return .response(.auth(auth.kind, response))
            } catch {
                return .failure(.auth(error))
            }
        }
        do {
            return try answer(request, session: session)
        } catch {
            return .failure(.store(error))
        }
    }

    private func answer(_ request: Request, session: ClientSession) throws(StoreError) -> ServiceOutcome {
        let store = state.store
        switch request {
        case .hello(let hello):
            switch ProtocolVersion.negotiate(hello, server: "kvserver", version: Version.server,
                                             etcdVersion: Version.etcdCompatible) {
            case .success(let response): return .response(response)
            case .failure(let error): return .failure(error)
            }
        case .ping:
            return .response(.pong)
        case .range(let range):
            // One key is read under the lock at once; a range is produced from a view.
            if range.rangeEnd.isEmpty { return .response(.range(try store.range(range))) }
            return .range(try store.rangeCursor(range))
        case .put(let put):
            return .response(.put(try store.put(put)))
        case .leasedPut(let leased):
            let (lease, put) = try store.put(leased.put, ttl: leased.ttl)
            return .response(.leasedPut(LeasedPutResponse(lease: lease, put: put)))
        case .deleteRange(let delete):
            return .response(.deleteRange(try store.deleteRange(delete)))
        case .txn(let txn):
            return .txn(try store.txnDeferringReads(txn))
        case .compact(let compaction):
            // Frees memory key by key: a worker's job.
            return .job {
                do throws(StoreError) { return .success(.compact(try store.compact(compaction))) }
                catch { return .failure(.store(error)) }
            }
        case .status:
            return .response(.status(status()))
        case .memberList:
            return .response(.memberList(MemberListResponse(header: state.header(), members: [state.identity.member])))
        case .health:
            return .response(.health(state.isNoSpaceAlarmed ? HealthResponse(health: false, reason: "ALARM NOSPACE")
                                                            : HealthResponse(health: true)))
        case .hashKV(let hashRequest):
            // Walks every key: a worker's job.
            let state = self.state
            return .job {
                do throws(StoreError) {
                    // etcd reports -1 for a store that was never compacted.
                    let compacted = store.compactedRevision == 0 ? -1 : store.compactedRevision
                    let (hash, revision) = try KVHash.compute(store: store, revision: hashRequest.revision)
                    var header = state.header()
                    header.revision = max(header.revision, revision)
                    return .success(.hashKV(HashKVResponse(header: header, hash: hash, compactRevision: compacted,
                                                           hashRevision: revision)))
                } catch {
                    return .failure(.store(error))
                }
            }
        case .leaseGrant(let grant):
            return .response(.leaseGrant(try store.grantLease(ttl: grant.ttl, id: grant.id, attaching: grant.keys)))
        case .leaseRevoke(let id):
            return .response(.leaseRevoke(try store.revokeLease(id)))
        case .leaseKeepAlive(let id):
            return .response(.leaseKeepAlive(try store.keepAliveLease(id)))
        case .leaseTimeToLive(let request):
            return .response(.leaseTimeToLive(store.leaseTimeToLive(request.id, keys: request.keys)))
        case .leaseList:
            return .response(.leaseList(store.leases()))
        case .watch(let watch):
            return .watch(watch)
        case .unwatch(let id):
            return .unwatch(id)
        case .progress:
            return .progress(state.header())
        case .snapshot(let request):
            // The cursor captures the store in O(1); each SNAPSHOT-NEXT then encodes one bounded chunk,
            // so a large snapshot never stalls the loop or fills memory.
            let cursor: SnapshotCursor
            do {
                cursor = try SnapshotCursor(store: store, revision: request.revision,
                                            createdAt: DataDirectory.wallClockNanoseconds())
            } catch {
                if case .store(let storeError) = error { throw storeError }
                return .failure(.internalError("\(error)"))
            }
            session.snapshot = cursor
            return .response(.snapshot(SnapshotStartResponse(header: state.header(), snapshotRevision: cursor.revision)))
        case .snapshotNext:
            guard let cursor = session.snapshot else {
                return .failure(.invalidArguments("SNAPSHOT-NEXT: no snapshot in progress on this connection (send SNAPSHOT first)"))
            }
            let chunk = cursor.next(maxBytes: Service.snapshotChunkBytes) ?? []
            if let info = cursor.info, cursor.isFinished {
                session.snapshot = nil
                return .response(.snapshotChunk(SnapshotChunk(data: chunk, done: true, size: Int64(info.totalBytes),
                                                              sha256: info.sha256)))
            }
            return .response(.snapshotChunk(SnapshotChunk(data: chunk)))
        case .defragment:
            // Nothing to defragment in memory: the store's size is what it holds.
            return .response(.defragment(state.header()))
        case .alarm(let action):
            let raised = state.isNoSpaceAlarmed ? [AlarmMember(memberID: state.identity.memberID, alarm: "NOSPACE")] : []
            // A disarm lowers NOSPACE once the store is back under its quota (a write over it raises it
            // again, as on etcd after a disarm); it answers with the alarms it found raised.
            if action == .disarm { state.refreshAlarm() }
            // etcd's AlarmResponse has no header.
            return .response(.alarm(AlarmResponse(header: ResponseHeader(revision: 0), alarms: raised)))
        case .authenticate, .auth:
            // Front ends run logins (the password check is off the loop); `handle` answers auth management.
            return .failure(.internalError("\(request.kind.verb) reached the service"))
        }
    }

    private func status() -> StatusResponse {
        let store = state.store
        let header = state.header()
        // What the store holds (keys, values, history, leases) plus one page for the store itself, so a
        // fresh server reports a size, as etcd (whose empty bbolt file is 20 KiB) always does.
        let size = Int64(store.sizeInBytes) + Service.baseDatabaseBytes
        let index = UInt64(max(0, header.revision))
        return StatusResponse(header: header, version: Version.etcdCompatible, dbSize: size, dbSizeInUse: size,
                              leader: state.identity.memberID, raftIndex: index, raftTerm: header.raftTerm,
                              raftAppliedIndex: index, compactRevision: store.compactedRevision,
                              errors: state.alarms)
    }
}
