import Testing

@testable import KVPosix

@Suite struct SocketAddressTests {
    @Test(arguments: [
        ("127.0.0.1:2379", "127.0.0.1:2379"),
        ("http://127.0.0.1:2379", "127.0.0.1:2379"),
        ("http://127.0.0.1:2379/", "127.0.0.1:2379"),
        ("HTTP://127.0.0.1:80", "127.0.0.1:80"),
        ("[::1]:2379", "[::1]:2379"),
        ("http://[::1]:0", "[::1]:0"),
        ("[fe80::1%1]:7", "[fe80::1%1]:7"),
        ("localhost:2380", "127.0.0.1:2380"),
        ("LocalHost:1", "127.0.0.1:1"),
        (":2379", "0.0.0.0:2379"),
        ("10.1.2.3:65535", "10.1.2.3:65535"),
        ("127.0.0.1:00080", "127.0.0.1:80"),
    ])
    func parsesGoodAddresses(input: String, formatted: String) throws {
        let address = try SocketAddress(parsing: input)
        #expect(address.description == formatted)
        // Formatting round-trips.
        #expect(try SocketAddress(parsing: address.description) == address)
    }

    @Test(arguments: [
        ("", AddressError.empty),
        ("http://", .empty),
        ("https://127.0.0.1:2379", .tlsUnsupported(input: "https://127.0.0.1:2379")),
        ("unix://x:1", .unsupportedScheme(scheme: "unix", input: "unix://x:1")),
        ("127.0.0.1", .missingPort(input: "127.0.0.1")),
        ("127.0.0.1:", .missingPort(input: "127.0.0.1:")),
        ("[::1]", .missingPort(input: "[::1]")),
        ("127.0.0.1:65536", .invalidPort(port: "65536", input: "127.0.0.1:65536")),
        ("127.0.0.1:-1", .invalidPort(port: "-1", input: "127.0.0.1:-1")),
        ("127.0.0.1:http", .invalidPort(port: "http", input: "127.0.0.1:http")),
        ("127.0.0.1:2379/v3", .invalidPort(port: "2379/v3", input: "127.0.0.1:2379/v3")),
        (
            "::1:2379",
            .invalidHost(host: "::1", reason: "IPv6 addresses must be in brackets, e.g. [::1]:2379", input: "::1:2379")
        ),
        ("[::1:2379", .invalidHost(host: "[::1:2379", reason: "missing \"]\"", input: "[::1:2379")),
        ("[::1]x:80", .invalidHost(host: "[::1]x:80", reason: "expected \":port\" after \"]\"", input: "[::1]x:80")),
        ("[127.0.0.1]:80", .invalidHost(host: "127.0.0.1", reason: "not an IPv6 address", input: "[127.0.0.1]:80")),
    ])
    func rejectsBadAddresses(input: String, expected: AddressError) {
        #expect(throws: expected) { try SocketAddress(parsing: input) }
    }

    @Test func errorMessagesAreReadable() {
        #expect(
            AddressError.tlsUnsupported(input: "https://h:1").description
                == "https://h:1: TLS is not supported; use http:// or host:port")
        #expect(
            AddressError.invalidPort(port: "99999", input: "h:99999").description
                == "h:99999: invalid port \"99999\"; expected a number from 0 to 65535")
        #expect(AddressError.missingPort(input: "h").description == "h: missing port; expected host:port")
    }

    @Test func constructorsAndFamilies() {
        #expect(SocketAddress.loopbackIPv4(port: 5).description == "127.0.0.1:5")
        #expect(SocketAddress.loopbackIPv6(port: 5).description == "[::1]:5")
        #expect(SocketAddress.loopbackIPv6(port: 5).family == .ipv6)
        #expect(SocketAddress.anyIPv4(port: 9).withPort(10).description == "0.0.0.0:10")
        #expect(SocketAddress.loopbackIPv4(port: 5).host == "127.0.0.1")
    }

    @Test func posixErrorDescriptions() {
        #expect(PosixError(call: "connect", code: ECONNREFUSED).description == "connect: Connection refused (ECONNREFUSED)")
        #expect(PosixError(call: "read", code: 4095).name == "errno 4095")
    }
}

import Glibc
