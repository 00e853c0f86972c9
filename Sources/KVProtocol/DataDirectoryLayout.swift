/// What a data dir holds, shared by `kvserver --data-dir` (which loads and saves it) and
/// `kvctl snapshot restore` (which creates it).
public enum DataDirectoryLayout {
    /// The store's snapshot (docs/SNAPSHOT.md), directly inside the data dir.
    public static let snapshotFile = "kv.snap"
}
