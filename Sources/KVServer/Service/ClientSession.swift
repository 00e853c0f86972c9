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
    /// The Common Name of the client's verified TLS certificate: with auth enabled, the user of requests
    /// that carry no token (etcd's rule), through a token the service issues (`certificateToken`).
    let certifiedUser: String?
    var certificateToken: String?

    init(writeMark: WriteMark? = nil, certifiedUser: String? = nil) {
        self.writeMark = writeMark
        self.certifiedUser = certifiedUser
    }

    /// With auth enabled, a request without a token acts as the user the client's certificate names, as
    /// on etcd; a token the client sent (a login, gRPC `token` metadata, an `Authorization` header) wins.
    /// The token issued for the certificate is renewed once it has expired.
    func adoptCertifiedUser(_ auth: AuthStore) {
        guard let certifiedUser, auth.isEnabled else { return }
        if authToken == nil || (authToken == certificateToken && !auth.isLive(authToken!)) {
            certificateToken = auth.token(forCertifiedUser: certifiedUser)
            authToken = certificateToken
        }
    }

    /// A session for a client of `transport`.
    convenience init(transport: ClientTransport) {
        self.init(writeMark: transport.writeMark, certifiedUser: transport.certifiedUser)
    }
}
