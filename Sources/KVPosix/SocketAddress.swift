import Glibc

/// An IPv4 or IPv6 TCP endpoint (address and port).
///
/// Parsed from the forms a user types (`host:port`, `http://host:port`, `[::1]:port`,
/// `localhost:port`) and formatted back as `host:port` (`[v6]:port` for IPv6), so
/// `SocketAddress(parsing: a.description) == a` for every numeric address.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    public enum Family: Hashable, Sendable {
        case ipv4
        case ipv6
    }

    enum Storage: Hashable, Sendable {
        /// `s_addr`, in network byte order.
        case ipv4(UInt32)
        /// The 16 address bytes in network order, split into two words, plus the scope id.
        case ipv6(UInt64, UInt64, scopeID: UInt32)
    }

    let storage: Storage
    /// The port in host byte order; 0 asks the kernel for an ephemeral port when binding.
    public let port: UInt16

    init(storage: Storage, port: UInt16) {
        self.storage = storage
        self.port = port
    }

    public var family: Family {
        switch storage {
        case .ipv4: .ipv4
        case .ipv6: .ipv6
        }
    }

    /// `127.0.0.1:port`.
    public static func loopbackIPv4(port: UInt16) -> SocketAddress {
        SocketAddress(storage: .ipv4(UInt32(0x7f00_0001).bigEndian), port: port)
    }

    /// `[::1]:port`.
    public static func loopbackIPv6(port: UInt16) -> SocketAddress {
        SocketAddress(storage: .ipv6(0, UInt64(1).bigEndian, scopeID: 0), port: port)
    }

    /// `0.0.0.0:port`, every IPv4 interface.
    public static func anyIPv4(port: UInt16) -> SocketAddress {
        SocketAddress(storage: .ipv4(0), port: port)
    }

    /// The same address with another port.
    public func withPort(_ port: UInt16) -> SocketAddress {
        SocketAddress(storage: storage, port: port)
    }

    /// The numeric host: `127.0.0.1`, `::1`, or `fe80::1%2` for a scoped IPv6 address.
    public var host: String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(INET6_ADDRSTRLEN) + 1) { text in
            switch storage {
            case .ipv4(let raw):
                var address = in_addr(s_addr: raw)
                _ = inet_ntop(AF_INET, &address, text.baseAddress, socklen_t(text.count))
                return String(cString: text.baseAddress!)
            case .ipv6(let high, let low, let scopeID):
                var words = (high, low)
                _ = inet_ntop(AF_INET6, &words, text.baseAddress, socklen_t(text.count))
                let numeric = String(cString: text.baseAddress!)
                return scopeID == 0 ? numeric : "\(numeric)%\(scopeID)"
            }
        }
    }

    /// `host:port`, with IPv6 hosts in brackets.
    public var description: String {
        switch storage {
        case .ipv4: "\(host):\(port)"
        case .ipv6: "[\(host)]:\(port)"
        }
    }

    /// Calls `body` with this address as a C `sockaddr` and its length.
    public func withSockAddr<Result, Failure: Error>(
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        switch storage {
        case .ipv4(let raw):
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr = in_addr(s_addr: raw)
            return try withUnsafeBytes(of: &address) { (bytes) throws(Failure) -> Result in
                try body(bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(bytes.count))
            }
        case .ipv6(let high, let low, let scopeID):
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_scope_id = scopeID
            withUnsafeMutableBytes(of: &address.sin6_addr) { target in
                withUnsafeBytes(of: (high, low)) { target.copyMemory(from: $0) }
            }
            return try withUnsafeBytes(of: &address) { (bytes) throws(Failure) -> Result in
                try body(bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(bytes.count))
            }
        }
    }

    /// Reads an address the kernel filled in (from `getsockname`, `getpeername`, `getaddrinfo`).
    /// Returns nil for families other than IPv4 and IPv6.
    init?(_ raw: UnsafeRawPointer) {
        let family = raw.loadUnaligned(as: sa_family_t.self)
        switch Int32(family) {
        case AF_INET:
            let address = raw.loadUnaligned(as: sockaddr_in.self)
            self.init(storage: .ipv4(address.sin_addr.s_addr), port: UInt16(bigEndian: address.sin_port))
        case AF_INET6:
            let address = raw.loadUnaligned(as: sockaddr_in6.self)
            let words = withUnsafeBytes(of: address.sin6_addr) { $0.loadUnaligned(as: (UInt64, UInt64).self) }
            self.init(
                storage: .ipv6(words.0, words.1, scopeID: address.sin6_scope_id),
                port: UInt16(bigEndian: address.sin6_port))
        default:
            return nil
        }
    }
}

extension SocketAddress {
    /// Parses `host:port`, `http://host:port`, `[v6]:port` or `localhost:port`.
    ///
    /// - A trailing `/` after the port is accepted (`http://127.0.0.1:2379/`); any other path is
    ///   reported as an invalid port.
    /// - `localhost` always means `127.0.0.1`, without asking the resolver, so it is the same
    ///   address on every machine.
    /// - An empty host (`:2379`) means `0.0.0.0`, every IPv4 interface.
    /// - Other names go through `getaddrinfo` (which may block on DNS); the first result wins.
    /// - `https://` fails with ``AddressError/tlsUnsupported(input:)``.
    public init(parsing input: String) throws(AddressError) {
        var rest = Substring(input)
        if let schemeEnd = rest.firstRange(of: "://") {
            let scheme = rest[..<schemeEnd.lowerBound].lowercased()
            switch scheme {
            case "http": break
            case "https": throw .tlsUnsupported(input: input)
            default: throw .unsupportedScheme(scheme: String(rest[..<schemeEnd.lowerBound]), input: input)
            }
            rest = rest[schemeEnd.upperBound...]
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        if rest.isEmpty { throw .empty }

        let host: Substring
        let portText: Substring
        var bracketed = false
        if rest.first == "[" {
            guard let close = rest.firstIndex(of: "]") else {
                throw .invalidHost(host: String(rest), reason: "missing \"]\"", input: input)
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let afterHost = rest[rest.index(after: close)...]
            guard afterHost.first == ":" else {
                if afterHost.isEmpty { throw .missingPort(input: input) }
                throw .invalidHost(host: String(rest), reason: "expected \":port\" after \"]\"", input: input)
            }
            portText = afterHost.dropFirst()
            bracketed = true
        } else {
            guard let colon = rest.lastIndex(of: ":") else { throw .missingPort(input: input) }
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
            if host.contains(":") {
                throw .invalidHost(
                    host: String(host), reason: "IPv6 addresses must be in brackets, e.g. [::1]:2379",
                    input: input)
            }
        }
        guard let port = SocketAddress.parsePort(portText) else {
            if portText.isEmpty { throw .missingPort(input: input) }
            throw .invalidPort(port: String(portText), input: input)
        }
        self = try SocketAddress.resolve(host: String(host), port: port, ipv6Only: bracketed, input: input)
    }

    /// Decimal 0...65535, digits only (no sign, no spaces).
    static func parsePort(_ text: Substring) -> UInt16? {
        guard !text.isEmpty, text.count <= 5 else { return nil }
        var value: UInt32 = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt32(byte - UInt8(ascii: "0"))
        }
        return value <= UInt32(UInt16.max) ? UInt16(value) : nil
    }

    /// Resolves `host` (numeric, `localhost`, empty, or a name) to an address with `port`.
    public static func resolve(host: String, port: UInt16) throws(AddressError) -> SocketAddress {
        try resolve(host: host, port: port, ipv6Only: false, input: "\(host):\(port)")
    }

    static func resolve(host: String, port: UInt16, ipv6Only: Bool, input: String) throws(AddressError)
        -> SocketAddress
    {
        if host.isEmpty {
            if ipv6Only { throw .invalidHost(host: "[]", reason: "empty IPv6 address", input: input) }
            return .anyIPv4(port: port)
        }
        if !ipv6Only {
            if host.lowercased() == "localhost" { return .loopbackIPv4(port: port) }
            var address = in_addr()
            if inet_pton(AF_INET, host, &address) == 1 {
                return SocketAddress(storage: .ipv4(address.s_addr), port: port)
            }
        }
        var hints = addrinfo()
        hints.ai_family = ipv6Only ? AF_INET6 : AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = ipv6Only ? AI_NUMERICHOST : 0
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        defer { if let list { freeaddrinfo(list) } }
        guard status == 0, let list else {
            let reason = String(cString: gai_strerror(status))
            if ipv6Only {
                throw .invalidHost(host: host, reason: "not an IPv6 address", input: input)
            }
            throw .unresolvable(host: host, reason: reason, input: input)
        }
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            if let raw = current.pointee.ai_addr, let address = SocketAddress(UnsafeRawPointer(raw)) {
                return address.withPort(port)
            }
            entry = current.pointee.ai_next
        }
        throw .unresolvable(host: host, reason: "no IPv4 or IPv6 address", input: input)
    }
}
