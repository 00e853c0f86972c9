import Glibc
import KVPosix

/// A one-shot HTTP/1.1 GET with `Connection: close` to a kvserver's client port, plaintext or TLS by the
/// same rules as `KVClient` (`https://`, or a bare `host:port` with `tls`): for `/metrics` and `/health`
/// where a command needs them (kvctl's `check datascale`). Bounded by `timeout` in all.
public enum HTTPGet {
    /// The response's body (everything after the header), whatever its status.
    /// - Throws: `.connectionFailed`, `.handshakeFailed`, `.tlsConfiguration`, `.timeout`, `.closed`.
    public static func body(endpoint text: String, path: String, tls: ClientTLS? = nil,
                            timeout: Duration = .seconds(5)) throws(ClientError) -> String {
        let endpoint = try ClientEndpoint(parsing: text)
        let deadline = Posix.deadline(afterNanoseconds: timeout.nanoseconds)
        let connection = ClientConnection(stream: try ClientStream.dial([text], tls: tls, timeoutNanoseconds: timeout.nanoseconds))
        defer { connection.close() }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(endpoint.hostPort)\r\nConnection: close\r\n\r\n".utf8)
        let response = try connection.exchangeRaw(request, deadline: deadline)
        let separator: [UInt8] = [13, 10, 13, 10]
        var bodyStart = response.count
        if response.count >= 4 {
            for i in 0...(response.count - 4) where Array(response[i..<i + 4]) == separator {
                bodyStart = i + 4
                break
            }
        }
        return String(decoding: response[bodyStart...], as: UTF8.self)
    }
}
