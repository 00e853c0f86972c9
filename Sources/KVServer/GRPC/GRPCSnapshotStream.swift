import EtcdWire
import KVStore

/// etcd's Maintenance.Snapshot stream: the store, captured in O(1) when the call starts, sent as
/// `SnapshotResponse` messages of `chunkBytes` as the client reads (a chunk is produced only while the
/// stream has room), followed by etcd's stream trailer (`SnapshotStreamTrailer`: zero padding to a
/// multiple of 512 and a SHA-256 of everything before), which `etcdctl snapshot save` checks.
///
/// `remaining_bytes` counts down from the store's size estimate (the file's exact size is known only
/// at its end) and is 0 on the last message, as etcd's is.
final class GRPCSnapshotStream {
    unowned let call: GRPCCall
    private let cursor: SnapshotCursor
    private var hasher = SHA256()
    private var sent = 0
    private let estimatedBytes: Int
    private(set) var isWaitingForRoom = false

    static let chunkBytes = 64 * 1024

    init(call: GRPCCall, cursor: SnapshotCursor, estimatedBytes: Int) {
        self.call = call
        self.cursor = cursor
        self.estimatedBytes = estimatedBytes
    }

    /// Sends chunks while the stream has room; the last one carries the trailer and ends the call.
    func produce() {
        isWaitingForRoom = false
        let header = call.connection.context.state.header()
        while !call.isFinished {
            guard call.hasRoom else {
                isWaitingForRoom = true
                return
            }
            var chunk = cursor.next(maxBytes: GRPCSnapshotStream.chunkBytes) ?? []
            hasher.update(chunk)
            sent += chunk.count
            if cursor.isFinished {
                let padding = [UInt8](repeating: 0, count: SnapshotStreamTrailer.padding(afterFileOfLength: sent))
                hasher.update(padding)
                chunk += padding
                chunk += hasher.finalize()
                call.send(EtcdSnapshotResponse(header: header, remainingBytes: 0, blob: chunk))
                call.snapshotFinished()
                return
            }
            let remaining = UInt64(max(1, estimatedBytes - sent))
            call.send(EtcdSnapshotResponse(header: header, remainingBytes: remaining, blob: chunk))
        }
    }
}
