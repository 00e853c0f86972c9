import EtcdWire
import KVProtocol
import KVStore

/// etcd's Watch stream on one gRPC call: the client creates and cancels watches and asks for progress
/// with messages; the server answers each and sends every watch's events as `WatchResponse` messages.
/// The watches are those of a `WatchFanout` (the same machinery as the line protocol's, so a slow
/// reader falls behind and catches up losslessly), writing into this stream.
///
/// As etcd 3.4: a refused create (permission, a watch ID in use) is answered `created` and `canceled`
/// with watch ID -1 and the reason; a cancel of an unknown ID gets no answer; a progress request gets
/// one response with watch ID -1 and the current revision; a watch created with `fragment` has
/// responses larger than the request limit split into fragments.
final class GRPCWatchStream: WatchSink {
    unowned let call: GRPCCall
    private let fanout: WatchFanout
    /// Watch IDs created with `fragment`.
    private var fragmented: Set<Int64> = []

    init(call: GRPCCall) {
        self.call = call
        let context = call.connection.context
        fanout = WatchFanout(store: context.state.store, loop: context.loop,
                             outputLimit: context.state.config.maxOutputBytes, firstWatchID: 0)
        fanout.sink = self
    }

    /// Whether the stream stopped sending for lack of room (it resumes when the output drains).
    var isWaitingForRoom: Bool { !fanout.isEmpty }

    func handle(_ request: EtcdWatchRequest) {
        guard let typed = request.request else { return }
        let context = call.connection.context
        switch context.service.handle(typed, session: call.session) {
        case .watch(let watch):
            do {
                let created = try fanout.create(watch, tag: nil)
                if case .create(_, fragment: true) = request { fragmented.insert(created.id) }
                call.send(created.created)
                fanout.deliver(created.ready, for: created.id)
            } catch {
                if case .watchIDInUse = error {
                    refuse(reason: EtcdWire.duplicateWatchIDText)
                } else {
                    refuse(reason: EtcdWire.status(for: WireError.store(error)).goErrorText)
                }
            }
        case .unwatch(let id):
            if let (_, canceled) = fanout.cancel(id) {
                fragmented.remove(id)
                call.send(canceled)
            }
        case .progress(let header):
            call.send(EtcdWire.progressResponse(header))
        case .failure(let error):
            if case .create = request {
                // etcd puts the whole gRPC error's text in the reason (`ErrGRPCPermissionDenied.Error()`),
                // which clientv3 reports as is.
                refuse(reason: EtcdWire.status(for: error).goErrorText)
            } else {
                call.finish(EtcdWire.status(for: error))
            }
        default:
            break
        }
    }

    private func refuse(reason: String) {
        call.send(WatchResponse(header: fanout.header, watchID: -1, created: true, canceled: true, cancelReason: reason))
    }

    func pump() { fanout.pump() }

    func cancelAll() { fanout.cancelAll() }

    // MARK: WatchSink

    var acceptsEvents: Bool { !call.isFinished }
    var pendingWatchBytes: Int { call.pendingBytes }
    /// A watcher that is behind gets its events in fewer, larger responses, as etcd sends them.
    var coalescesEvents: Bool { true }

    func writeWatchResponse(_ response: WatchResponse, tag: RequestTag?) {
        if fragmented.contains(response.watchID) {
            let limit = call.connection.context.state.config.maxRequestBytes
            for fragment in EtcdWatchResponse.fragments(of: response, maxBytes: limit) { call.send(fragment) }
        } else {
            call.send(response)
        }
        if response.canceled { fragmented.remove(response.watchID) }
    }

    func watchResponsesWritten() {}
}
