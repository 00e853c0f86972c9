/// The `grpc-message` trailer's encoding (gRPC over HTTP/2 spec): the UTF-8 bytes of the message, with
/// every byte outside printable ASCII (0x20–0x7E) and `%` itself written as `%XX` (upper-case hex).
enum GRPCStatusText {
    static func percentEncoded(_ message: String) -> String {
        let utf8 = message.utf8
        if utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7e && $0 != 0x25 }) { return message }
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count + 16)
        for byte in utf8 {
            if byte >= 0x20 && byte <= 0x7e && byte != 0x25 {
                out.append(byte)
            } else {
                out.append(0x25)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xf)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
