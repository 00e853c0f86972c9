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
        let address: SocketAddress
        do {
            address = try SocketAddress(parsing: endpoint.hostPort)
        } catch {
            throw ClientError(kind: .connectionFailed, description: "invalid endpoint \(error)")
        }
        let socket: Socket
        do {
            socket = try Socket.connect(to: address, timeoutNanoseconds: timeout.nanoseconds, nonBlocking: true)
        } catch {
            throw ClientError.dial(address.description, error)
        }
        var session: TLSClientSession?
        if endpoint.usesTLS(configured: tls != nil) {
            let context: ClientTLS
            if let tls { context = tls } else { context = try ClientTLS(ClientTLS.Configuration()) }
            guard let made = context.session(for: socket, host: endpoint.host) else {
                try? socket.close()
                throw ClientError(kind: .handshakeFailed, description: "tls: out of memory")
            }
            do {
                try ClientConnection.handshake(made, socket: socket, endpoint: address.description, deadline: deadline)
            } catch {
                try? socket.close()
                throw error
            }
            session = made
        }
        let connection = ClientConnection(socket: socket, endpoint: address.description, tls: session)
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
