/// What follows a snapshot file when it is sent as etcd's `Maintenance.Snapshot` stream: zero bytes up
/// to a multiple of 512, then the SHA-256 of everything before them (the file and the padding).
///
/// etcdctl's `snapshot save` accepts a stream only if its size is a multiple of 512 plus 32 (etcd's
/// database files are, with the hash etcd appends); this makes ours so. Readers of our format accept a
/// file with this trailer (`Store.restore`, `snapshot status`), checking the padding and the hash.
public enum SnapshotStreamTrailer {
    /// The zero bytes to send after a file of `length` bytes.
    public static func padding(afterFileOfLength length: Int) -> Int { (512 - length % 512) % 512 }
}
