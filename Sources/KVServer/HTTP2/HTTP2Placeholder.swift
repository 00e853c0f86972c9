/// What a client that opens with the HTTP/2 connection preface gets until the HTTP/2 front end (etcd's
/// gRPC API) exists: the server's connection preface — an empty SETTINGS frame, which must be the first
/// frame a server sends (RFC 9113 §3.4) — and a GOAWAY saying that no stream was or will be processed
/// (last stream id 0) with the error HTTP_1_1_REQUIRED and a short explanation as debug data. The
/// connection is then closed (gracefully, by `FarewellConnection`).
///
/// The front end replaces this in `SniffingConnection.handOff`.
enum HTTP2Placeholder {
    /// RFC 9113 §7: use HTTP/1.1 instead (this port does serve it).
    static let http11Required: UInt32 = 0xd
    static let debugData = Array("kvserver: HTTP/2 (etcd's gRPC API) is not served yet; HTTP/1.1 and the line protocol are".utf8)

    static func goAway() -> [UInt8] {
        var bytes: [UInt8] = [0, 0, 0, 0x4, 0, 0, 0, 0, 0]  // SETTINGS, no parameters, stream 0
        let length = 8 + debugData.count
        bytes += [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), 0x7, 0, 0, 0, 0, 0]
        bytes += [0, 0, 0, 0]  // last stream id
        bytes += withUnsafeBytes(of: http11Required.bigEndian) { Array($0) }
        return bytes + debugData
    }
}
