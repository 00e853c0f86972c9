import EtcdWire
import KVProtocol
import KVStore

/// What an etcd Watch stream writes into: a gRPC call (`WatchResponse` messages) or a JSON gateway
/// exchange (`{"result":…}` lines). Loop thread only.
protocol EtcdWatchOutput: AnyObject {
    /// The client's login, for authorizing each create.
    var session: ClientSession { get }
    /// The stream has ended: nothing more is written.
    var isFinished: Bool { get }
    /// Written and not yet sent on this stream, counted against `--max-output-bytes`.
    var pendingBytes: Int { get }
    /// Writes one response of the stream.
    func sendWatchMessage<Message: EtcdMessage>(_ message: Message)
    /// Ends the whole stream with an error status.
    func endWatchStream(_ status: GRPCStatus)
}

/// etcd's Watch stream, for every front end that serves it (gRPC, the JSON gateway): the client
/// creates and cancels watches and asks for progress; the server answers each and sends every watch's
/// events. The watches are those of a `WatchFanout` (the line protocol's machinery too), writing only
/// while the output is under its limit, so a slow reader falls behind and catches up losslessly.
///
/// As etcd 3.4: watch IDs count from 0 on each stream; a refused create (permission, a watch ID in use)
/// is answered `created` and `canceled` with watch ID -1 and the reason (for errors with a gRPC status,
/// the grpc-go error's text, which clientv3 prints as is); a cancel of an unknown ID gets no answer; a
/// progress request gets one response with watch ID -1 and the current revision; a watch created with
/// `fragment` has responses larger than the request limit split into fragments.
final class EtcdWatchStream: WatchSink {
    unowned let output: any EtcdWatchOutput
    private let context: LoopContext
    private let fanout: WatchFanout
    /// Watch IDs created with `fragment`.
    private var fragmented: Set<Int64> = []
    /// Whether consecutive event-only responses of a watch go as one (gRPC: yes, as etcd sends a watcher
    /// that is behind; the gateway keeps etcd's line per response).
    let coalescesEvents: Bool

    init(output: any EtcdWatchOutput, context: LoopContext, coalescesEvents: Bool) {
        self.output = output
        self.context = context
        self.coalescesEvents = coalescesEvents
        fanout = WatchFanout(store: context.state.store, loop: context.loop,
                             outputLimit: context.state.config.maxOutputBytes, firstWatchID: 0)
        fanout.sink = self
    }

    /// Whether the stream may have stopped sending for lack of room (it resumes when the output drains).
    var isWaitingForRoom: Bool { !fanout.isEmpty }

    func handle(_ request: EtcdWatchRequest) {
        guard let typed = request.request else { return }
        switch context.service.handle(typed, session: output.session) {
        case .watch(let watch):
            do {
                let created = try fanout.create(watch, tag: nil)
                if case .create(_, fragment: true) = request { fragmented.insert(created.id) }
                output.sendWatchMessage(created.created)
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
                output.sendWatchMessage(canceled)
            }
        case .progress(let header):
            output.sendWatchMessage(EtcdWire.progressResponse(header))
        case .failure(let error):
            if case .create = request {
                refuse(reason: EtcdWire.status(for: error).goErrorText)
            } else {
                output.endWatchStream(EtcdWire.status(for: error))
            }
        default:
            break
        }
    }

    private func refuse(reason: String) {
        output.sendWatchMessage(WatchResponse(header: fanout.header, watchID: -1, created: true, canceled: true,
                                              cancelReason: reason))
    }

    func pump() { fanout.pump() }

    func cancelAll() { fanout.cancelAll() }

    // MARK: WatchSink

    var acceptsEvents: Bool { !output.isFinished }
    var pendingWatchBytes: Int { output.pendingBytes }

    func writeWatchResponse(_ response: WatchResponse, tag: RequestTag?) {
        if fragmented.contains(response.watchID) {
            let limit = context.state.config.maxRequestBytes
            for fragment in EtcdWatchResponse.fragments(of: response, maxBytes: limit) { output.sendWatchMessage(fragment) }
        } else {
            output.sendWatchMessage(response)
        }
        if response.canceled { fragmented.remove(response.watchID) }
    }

    func watchResponsesWritten() {}
}
