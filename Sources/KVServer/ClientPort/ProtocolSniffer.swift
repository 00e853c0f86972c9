/// Decides, from a connection's first bytes, which protocol it speaks — once per connection, as etcd's
/// connection multiplexer (cmux) does on its client port:
///
/// * the HTTP/2 connection preface `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n` (24 bytes) → `.http2`;
/// * a first line that is an HTTP/1 request line, `<method> <target> HTTP/1.0` or `… HTTP/1.1`
///   (ending in `\r\n` or `\n`; the method a token, the target visible ASCII) → `.http1`;
/// * anything else → `.line`, kvserver's line protocol, as soon as the bytes can no longer be either
///   of the above. `GET foo\n` is decided at its `\n`, `PUT k v` at the `v`, `@7 GET` at the `@`.
///
/// Empty lines before the first line are skipped (both protocols ignore them). The verdict is reached
/// within `maximumBytes` bytes: a first line still undecided by then (an HTTP-looking `GET /…` longer
/// than that) is the line protocol's. Waiting for the rest of a half-sent first line is bounded in time
/// by the caller (`SniffingConnection`), which also gives it to the line protocol then.
///
/// The verdict does not depend on how the bytes are split between calls to `feed`. The line protocol
/// requests this can take for HTTP are those whose first line is two tokens followed by `HTTP/1.0` or
/// `HTTP/1.1` (`GET a HTTP/1.1`); any other first line, such as `HELLO 1`, keeps a connection on it.
struct ProtocolSniffer {
    enum Verdict: Equatable, Sendable { case undecided, line, http1, http2 }

    /// The client connection preface of RFC 9113 §3.4.
    static let http2Preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    /// Bytes examined at most before deciding: room for any reasonable HTTP request line.
    static let maximumBytes = 8192

    private enum LineState: Equatable {
        case leadingNewlines, method, targetStart, target
        /// Matched this many bytes of `HTTP/1.`.
        case version(Int)
        case minor, carriageReturn, dead
    }

    private static let versionPrefix: [UInt8] = Array("HTTP/1.".utf8)

    private(set) var verdict = Verdict.undecided
    /// Bytes examined so far.
    private(set) var examined = 0
    private var prefaceAlive = true
    private var line = LineState.leadingNewlines

    /// Examines more of the connection's first bytes and returns the verdict so far. Once decided,
    /// further bytes change nothing.
    @discardableResult
    mutating func feed(_ bytes: some Sequence<UInt8>) -> Verdict {
        for byte in bytes {
            guard verdict == .undecided else { break }
            step(byte)
        }
        return verdict
    }

    private mutating func step(_ byte: UInt8) {
        if prefaceAlive {
            if byte == ProtocolSniffer.http2Preface[examined] {
                if examined == ProtocolSniffer.http2Preface.count - 1 {
                    verdict = .http2
                    return
                }
            } else {
                prefaceAlive = false
            }
        }
        examined += 1
        line = next(line, byte)
        if line == .dead && !prefaceAlive {
            verdict = .line
        } else if verdict == .undecided && examined >= ProtocolSniffer.maximumBytes {
            verdict = .line
        }
    }

    private mutating func next(_ state: LineState, _ byte: UInt8) -> LineState {
        switch state {
        case .leadingNewlines:
            if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") { return .leadingNewlines }
            return HTTPSyntax.isTokenByte(byte) ? .method : .dead
        case .method:
            if byte == UInt8(ascii: " ") { return .targetStart }
            return HTTPSyntax.isTokenByte(byte) ? .method : .dead
        case .targetStart, .target:
            if byte == UInt8(ascii: " ") { return state == .target ? .version(0) : .dead }
            return byte > 0x20 && byte < 0x7f ? .target : .dead
        case .version(let matched):
            guard byte == ProtocolSniffer.versionPrefix[matched] else { return .dead }
            return matched + 1 == ProtocolSniffer.versionPrefix.count ? .minor : .version(matched + 1)
        case .minor:
            return byte == UInt8(ascii: "0") || byte == UInt8(ascii: "1") ? .carriageReturn : .dead
        case .carriageReturn:
            if byte == UInt8(ascii: "\n") {
                verdict = .http1
                return .carriageReturn
            }
            // One `\r` may come before the `\n`; the next byte must then be the `\n`.
            return byte == UInt8(ascii: "\r") && !sawCarriageReturn ? markCarriageReturn() : .dead
        case .dead:
            return .dead
        }
    }

    private var sawCarriageReturn = false

    private mutating func markCarriageReturn() -> LineState {
        sawCarriageReturn = true
        return .carriageReturn
    }
}
