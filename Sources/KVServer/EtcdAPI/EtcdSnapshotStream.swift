import EtcdWire
import KVStore

/// etcd's Maintenance.Snapshot stream, for every front end that serves it (gRPC, the JSON gateway): the store as etcd's own backend database (a bbolt file, see
/// docs/ETCD-SNAPSHOT.md), so `etcdctl snapshot save` gets a file `etcdctl snapshot status` and
/// `snapshot restore` accept, followed by the SHA-256 of everything before it, as etcd sends.
///
/// The state is captured in O(1) when the call starts (the service's cursor). Ordering every version by
/// revision and planning the pages (`EtcdSnapshotWriter.prepare`, O(V log V)) runs on the worker
/// thread; then `SnapshotResponse` messages of `chunkBytes` (whole pages) are encoded on the loop only
/// while the stream has room, so the loop never does more than one chunk of work per step.
///
/// `remaining_bytes` is exact: the database's size is known once planned; 0 on the last message.
/// What an etcd Snapshot stream writes into: a gRPC call or a JSON gateway exchange. Loop thread only.
protocol EtcdSnapshotOutput: AnyObject {
    /// The stream has ended (or was canceled): nothing more is written.
    var isFinished: Bool { get }
    /// Whether the stream may take another chunk now (its client reads fast enough).
    var hasRoom: Bool { get }
    func sendSnapshotMessage(_ message: EtcdSnapshotResponse)
    /// The last chunk was sent: end the stream with OK.
    func snapshotFinished()
}

final class EtcdSnapshotStream {
    unowned let output: any EtcdSnapshotOutput
    private let context: LoopContext
    private let writer: EtcdSnapshotWriter
    private var hasher = SHA256()
    private var sent = 0
    private var total = 0
    private enum Preparation { case notStarted, running, done }
    private var preparation = Preparation.notStarted
    private(set) var isWaitingForRoom = false

    static let chunkBytes = 64 * 1024

    init(output: any EtcdSnapshotOutput, context: LoopContext, cursor: SnapshotCursor) {
        self.output = output
        self.context = context
        writer = EtcdSnapshotWriter(cursor: cursor)
    }

    /// Sends chunks while the stream has room; the last one carries the SHA-256 and ends the stream.
    func produce() {
        isWaitingForRoom = false
        switch preparation {
        case .notStarted:
            preparation = .running
            let job = UncheckedBox(writer)
            // Both kept alive until the loop hears back; a stream finished meanwhile (canceled) is left be.
            let outputHandle = UncheckedBox(output)
            let streamHandle = LoopOwned(self)
            let loop = context.loop
            context.state.worker.submit {
                job.value.prepare()
                loop.execute {
                    let stream = streamHandle.value
                    guard !outputHandle.value.isFinished else { return }
                    stream.total = stream.writer.totalBytes + 32
                    stream.preparation = .done
                    stream.produce()
                }
            }
            return
        case .running:
            return
        case .done:
            break
        }
        let header = context.state.header()
        while !output.isFinished {
            guard output.hasRoom else {
                isWaitingForRoom = true
                return
            }
            var chunk = writer.next(maxBytes: EtcdSnapshotStream.chunkBytes) ?? []
            hasher.update(chunk)
            sent += chunk.count
            if writer.isFinished {
                chunk += hasher.finalize()
                output.sendSnapshotMessage(EtcdSnapshotResponse(header: header, remainingBytes: 0, blob: chunk))
                output.snapshotFinished()
                return
            }
            output.sendSnapshotMessage(EtcdSnapshotResponse(header: header, remainingBytes: UInt64(max(1, total - sent)), blob: chunk))
        }
    }
}
