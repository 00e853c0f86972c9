import EtcdWire
import KVStore

/// `POST /v3/maintenance/snapshot`: the store, captured in O(1) when the call starts, sent as
/// `{"result":{"remaining_bytes":…,"blob":…}}` lines of `chunkBytes` (before base64) while the
/// connection's output has room, followed by etcd's stream trailer (zero padding to a multiple of 512
/// and a SHA-256 of everything before), as the gRPC Snapshot stream (`GRPCSnapshotStream`) sends them.
final class GatewaySnapshotStream {
    unowned let exchange: GatewayExchange
    private let cursor: SnapshotCursor
    private var hasher = SHA256()
    private var sent = 0
    private let estimatedBytes: Int

    static let chunkBytes = 64 * 1024

    init(exchange: GatewayExchange, cursor: SnapshotCursor, estimatedBytes: Int) {
        self.exchange = exchange
        self.cursor = cursor
        self.estimatedBytes = estimatedBytes
    }

    /// Writes chunks while the output has room; the last one carries the trailer and ends the stream.
    func produce() {
        let header = exchange.transport.context.state.header()
        while !exchange.isFinished && exchange.hasRoom {
            var chunk = cursor.next(maxBytes: GatewaySnapshotStream.chunkBytes) ?? []
            hasher.update(chunk)
            sent += chunk.count
            if cursor.isFinished {
                let padding = [UInt8](repeating: 0, count: SnapshotStreamTrailer.padding(afterFileOfLength: sent))
                hasher.update(padding)
                chunk += padding
                chunk += hasher.finalize()
                exchange.writeResult(EtcdSnapshotResponse(header: header, remainingBytes: 0, blob: chunk))
                exchange.finishStream()
                return
            }
            let remaining = UInt64(max(1, estimatedBytes - sent))
            exchange.writeResult(EtcdSnapshotResponse(header: header, remainingBytes: remaining, blob: chunk))
        }
    }
}
