import KVStore

/// What the service keeps for one client, whatever front end it came through: who it is logged in as,
/// and the snapshot it is being sent. A front end owns one per client (a line-protocol connection; later
/// a gRPC stream's connection, an HTTP client's token) and hands it to `Service.handle` with each request.
///
/// Loop thread only: a session belongs to the loop of the connection that owns it.
final class ClientSession {
    /// The token of the user this client logged in as (`AUTHENTICATE`); nil before any login.
    var authToken: String?
    /// The snapshot being sent to this client, chunk by chunk (`SNAPSHOT`, `SNAPSHOT-NEXT`).
    var snapshot: SnapshotCursor?
    /// Where the service notes this client's writes to the log (its connection's; nil without a log).
    let writeMark: WriteMark?

    init(writeMark: WriteMark? = nil) {
        self.writeMark = writeMark
    }
}
