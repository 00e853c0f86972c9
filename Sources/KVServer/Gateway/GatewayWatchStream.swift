import EtcdWire
import KVProtocol
import KVStore

/// The watches of one `POST /v3/watch`: etcd's Watch stream in JSON. Each request of the body creates
/// or cancels a watch or asks for progress; every answer and event batch is a `{"result":…}` line.
/// The watches are a `WatchFanout`'s (the line protocol's and gRPC's machinery): they write only while
/// the connection's unsent output is under `--max-output-bytes`, so a reader that stalls costs at most
/// that, and its watchers catch up from the store's history, losing nothing, once it reads again.
///
/// Answers as etcd 3.4's (and `GRPCWatchStream`): watch IDs from 0; a refused create is `created` and
/// `canceled` with watch ID -1 and the gRPC error's text as the reason; a cancel of an unknown ID gets
/// no answer; a progress request gets one response with watch ID -1.
final class GatewayWatchStream: WatchSink {
    unowned let exchange: GatewayExchange
    private let fanout: WatchFanout
    /// Watch IDs created with `fragment`.
    private var fragmented: Set<Int64> = []

    init(exchange: GatewayExchange) {
        self.exchange = exchange
        let context = exchange.transport.context
        fanout = WatchFanout(store: context.state.store, loop: context.loop,
                             outputLimit: context.state.config.maxOutputBytes, firstWatchID: 0)
        fanout.sink = self
    }

    private var context: LoopContext { exchange.transport.context }

    func handle(_ request: EtcdWatchRequest) {
        guard let typed = request.request else { return }
        switch context.service.handle(typed, session: exchange.session) {
        case .watch(let watch):
            do {
                let created = try fanout.create(watch, tag: nil)
                if case .create(_, fragment: true) = request { fragmented.insert(created.id) }
                exchange.writeResult(created.created)
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
                exchange.writeResult(canceled)
            }
        case .progress(let header):
            exchange.writeResult(EtcdWire.progressResponse(header))
        case .failure(let error):
            if case .create = request {
                refuse(reason: EtcdWire.status(for: error).goErrorText)
            } else {
                exchange.failStream(EtcdWire.status(for: error))
            }
        default:
            break
        }
    }

    private func refuse(reason: String) {
        exchange.writeResult(WatchResponse(header: fanout.header, watchID: -1, created: true, canceled: true,
                                           cancelReason: reason))
    }

    func pump() { fanout.pump() }

    func cancelAll() { fanout.cancelAll() }

    // MARK: WatchSink

    var acceptsEvents: Bool { !exchange.isFinished }
    var pendingWatchBytes: Int { exchange.pendingBytes }

    func writeWatchResponse(_ response: WatchResponse, tag: RequestTag?) {
        if fragmented.contains(response.watchID) {
            let limit = context.state.config.maxRequestBytes
            for fragment in EtcdWatchResponse.fragments(of: response, maxBytes: limit) { exchange.writeResult(fragment) }
        } else {
            exchange.writeResult(response)
        }
        if response.canceled { fragmented.remove(response.watchID) }
    }

    func watchResponsesWritten() {}
}
