import KVProtocol
import KVStore

/// Turns one decoded request into one store call and encodes the reply straight into the connection's
/// output buffer — or, for replies that may be large (range reads, transactions, deletes returning many
/// previous key-values), returns a `ReplyStream` the connection produces at the pace its client reads.
/// Watch commands are handed to the connection's `WatchFanout`.
///
/// Store errors become `ERR` replies with etcd's messages; nothing a client sends can trap here.
/// What became of a request's reply.
enum DispatchOutcome {
    /// Written into the output.
    case written
    /// To be produced step by step as the client reads (see `ReplyStream`).
    case stream(ReplyStream)
    /// A long job to run on the worker; its result is the reply.
    case job(@Sendable () -> Result<Response, WireError>)
}

struct Dispatcher: Sendable {
    let state: ServerState

    /// Snapshot bytes per SNAPSHOT-NEXT reply (sent as hex, so the line is twice that).
    static let snapshotChunkBytes = 256 * 1024

    /// A range walking at most this many entries, with as many results, is answered at once (no stream).
    static let smallRangeKeys = 128
    /// Deletes returning more previous key-values than this are streamed.
    static let streamedDeleteKVs = 64

    /// - Parameter token: the connection's auth token (nil when it has not logged in).
    /// - Returns: whether the reply was written, is to be streamed, or waits for a job on the worker.
    func dispatch(_ request: Request, tag: RequestTag?, token: String?, watches: WatchFanout,
                  into output: inout ByteBuffer) -> DispatchOutcome {
        do { try state.admit(request) } catch {
            ReplyEncoder.encode(WireError.store(error), tag: tag, into: &output)
            return .written
        }
        if state.store.auth.isEnabled {
            do {
                try request.authorize(on: state.store, token: token)
            } catch {
                ReplyEncoder.encode(WireError.auth(error), tag: tag, into: &output)
                return .written
            }
        }
        if case .auth(let auth) = request {
            do {
                ReplyEncoder.encode(try auth.apply(to: state.store.auth, header: state.header()), kind: auth.kind,
                                    tag: tag, into: &output)
                if auth.isChange { state.logger.info("auth change: \(auth)") }
            } catch {
                ReplyEncoder.encode(WireError.auth(error), tag: tag, into: &output)
            }
            return .written
        }
        do {
            return try answer(request, tag: tag, watches: watches, into: &output)
        } catch {
            ReplyEncoder.encode(WireError.store(error), tag: tag, into: &output)
            return .written
        }
    }

    private func answer(_ request: Request, tag: RequestTag?, watches: WatchFanout,
                        into output: inout ByteBuffer) throws(StoreError) -> DispatchOutcome {
        let store = state.store
        switch request {
        case .hello(let hello):
            ReplyEncoder.encode(ProtocolVersion.negotiate(hello, server: "kvserver", version: Version.server,
                                                          etcdVersion: Version.etcdCompatible),
                                tag: tag, into: &output)
        case .ping:
            ReplyEncoder.encodePong(tag: tag, into: &output)
        case .range(let range):
            // One key is read under the lock and written at once; a range is produced from a view.
            if !range.rangeEnd.isEmpty {
                let cursor = try store.rangeCursor(range)
                if ReplyStream.writeIfSmall(range: cursor, tag: tag, maxKeys: Dispatcher.smallRangeKeys, into: &output) {
                    return .written
                }
                return .stream(ReplyStream(range: cursor, tag: tag))
            }
            ReplyEncoder.encode(try store.range(range), tag: tag, into: &output)
        case .put(let put):
            ReplyEncoder.encode(try store.put(put), tag: tag, into: &output)
        case .leasedPut(let leased):
            let (lease, put) = try store.put(leased.put, ttl: leased.ttl)
            ReplyEncoder.encode(LeasedPutResponse(lease: lease, put: put), tag: tag, into: &output)
        case .deleteRange(let delete):
            let response = try store.deleteRange(delete)
            if response.prevKVs.count > Dispatcher.streamedDeleteKVs { return .stream(ReplyStream(delete: response, tag: tag)) }
            ReplyEncoder.encode(response, tag: tag, into: &output)
        case .txn(let txn):
            return .stream(ReplyStream(txn: try store.txnDeferringReads(txn), tag: tag))
        case .compact(let compaction):
            // Frees memory key by key: a worker's job.
            return .job {
                do throws(StoreError) { return .success(.compact(try store.compact(compaction))) }
                catch { return .failure(.store(error)) }
            }
        case .status:
            ReplyEncoder.encode(status(), tag: tag, into: &output)
        case .memberList:
            ReplyEncoder.encode(MemberListResponse(header: state.header(), members: [state.identity.member]),
                                tag: tag, into: &output)
        case .health:
            let health = state.isNoSpaceAlarmed ? HealthResponse(health: false, reason: "ALARM NOSPACE")
                                                : HealthResponse(health: true)
            ReplyEncoder.encode(health, tag: tag, into: &output)
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
            ReplyEncoder.encode(try store.grantLease(ttl: grant.ttl, id: grant.id, attaching: grant.keys),
                                tag: tag, into: &output)
        case .leaseRevoke(let id):
            ReplyEncoder.encode(.leaseRevoke(try store.revokeLease(id)), tag: tag, into: &output)
        case .leaseKeepAlive(let id):
            ReplyEncoder.encode(try store.keepAliveLease(id), tag: tag, into: &output)
        case .leaseTimeToLive(let request):
            ReplyEncoder.encode(store.leaseTimeToLive(request.id, keys: request.keys), tag: tag, into: &output)
        case .leaseList:
            ReplyEncoder.encode(store.leases(), tag: tag, into: &output)
        case .watch(let watch):
            try watches.create(watch, tag: tag, into: &output)
        case .unwatch(let id):
            watches.cancel(id, tag: tag, into: &output)
        case .progress:
            watches.requestProgress()
            ReplyEncoder.encodeHeaderOnly(state.header(), tag: tag, into: &output)
        case .snapshot(let request):
            // The cursor captures the store in O(1); each SNAPSHOT-NEXT then encodes one bounded chunk,
            // so a large snapshot never stalls the loop or fills memory.
            let cursor: SnapshotCursor
            do {
                cursor = try SnapshotCursor(store: store, revision: request.revision,
                                            createdAt: DataDirectory.wallClockNanoseconds())
            } catch {
                if case .store(let storeError) = error { throw storeError }
                ReplyEncoder.encode(WireError.internalError("\(error)"), tag: tag, into: &output)
                return .written
            }
            watches.connection.snapshot = cursor
            ReplyEncoder.encode(SnapshotStartResponse(header: state.header(), snapshotRevision: cursor.revision),
                                tag: tag, into: &output)
        case .snapshotNext:
            guard let cursor = watches.connection.snapshot else {
                ReplyEncoder.encode(WireError.invalidArguments("SNAPSHOT-NEXT: no snapshot in progress on this connection (send SNAPSHOT first)"),
                                    tag: tag, into: &output)
                return .written
            }
            let chunk = cursor.next(maxBytes: Dispatcher.snapshotChunkBytes) ?? []
            if let info = cursor.info, cursor.isFinished {
                watches.connection.snapshot = nil
                ReplyEncoder.encode(SnapshotChunk(data: chunk, done: true, size: Int64(info.totalBytes), sha256: info.sha256),
                                    tag: tag, into: &output)
            } else {
                ReplyEncoder.encode(SnapshotChunk(data: chunk), tag: tag, into: &output)
            }
        case .authenticate, .auth:
            // The connection runs logins (off the loop); `dispatch` answers auth management.
            ReplyEncoder.encode(WireError.internalError("\(request.kind.verb) reached the dispatcher"), tag: tag, into: &output)
        }
        return .written
    }

    private func status() -> StatusResponse {
        let store = state.store
        let header = state.header()
        let size = Int64(store.sizeInBytes)
        let index = UInt64(max(0, header.revision))
        return StatusResponse(header: header, version: Version.etcdCompatible, dbSize: size, dbSizeInUse: size,
                              leader: state.identity.memberID, raftIndex: index, raftTerm: header.raftTerm,
                              raftAppliedIndex: index, compactRevision: store.compactedRevision,
                              errors: state.alarms)
    }
}
