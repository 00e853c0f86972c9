// swift-tools-version:6.0
import PackageDescription

/// An in-memory, etcd-compatible key-value server and embeddable Swift library.
///
/// No third-party packages: the standard library, Synchronization, Glibc and (in the server only)
/// Dispatch. KVStore, KVProtocol and KVClient stay off Foundation so that `kvctl` starts fast.
let package = Package(
    name: "KVStore",
    products: [
        .library(name: "KVStore", targets: ["KVStore"]),
        .library(name: "KVClient", targets: ["KVClient"]),
        .executable(name: "kvserver", targets: ["KVServer"]),
        .executable(name: "kvctl", targets: ["kvctl"]),
        .executable(name: "kvbench", targets: ["kvbench"]),
    ],
    targets: [
        .target(name: "KVSync"),
        // SHA-256 compression on the x86 SHA extensions (used when the CPU has them) and a prefetch.
        .target(name: "CKVStore"),
        .target(name: "KVStore", dependencies: ["KVSync", "CKVStore"]),
        .target(name: "CEpoll"),
        // The CPU's tick counter, for timing requests (kvserver's latency histograms).
        .target(name: "CTicks"),
        .target(name: "KVPosix", dependencies: ["CEpoll", "KVSync"]),
        // TLS from the system's OpenSSL 3 (libssl, libcrypto): a tiny shim of non-blocking helpers, so
        // neither server nor client implements a cryptographic protocol and Swift never sees OpenSSL's
        // macros. It loads libssl.so.3 with dlopen on first use (kvctl without TLS starts 1.5-3 ms faster).
        .target(name: "COpenSSL", linkerSettings: [.linkedLibrary("dl")]),
        // The write-ahead log of a durable data dir: records, segments, group commit, recovery.
        .target(name: "KVWAL", dependencies: ["KVStore"]),
        .target(name: "KVProtocol", dependencies: ["KVStore"]),
        .target(name: "KVClient", dependencies: ["KVStore", "KVProtocol", "KVPosix", "COpenSSL", "HTTP2", "HPACK", "EtcdWire"]),
        // HPACK (RFC 7541): HTTP/2's header compression. Pure: bytes in, header lists out.
        .target(name: "HPACK"),
        // HTTP/2 (RFC 9113) framing, stream states and flow control, without sockets (the server drives it).
        .target(name: "HTTP2", dependencies: ["HPACK"]),
        // The protobuf wire format (varints, tags, length-delimited fields), bounded and typed.
        .target(name: "Protobuf"),
        // etcd's gRPC API (rpc.proto, kv.proto, auth.proto) in protobuf, mapped onto our typed requests.
        .target(name: "EtcdWire", dependencies: ["KVStore", "KVProtocol", "Protobuf"]),
        // kvserver links the Swift runtime statically in release builds, so the binary runs where no
        // toolchain is installed (scripts/measure-startup.sh: 4.1 ms vs 7.0 ms to exec, 10.8 MB vs 12.4 MB
        // idle RSS; docs/BENCHMARKS.md). Debug builds link dynamically: the test bundle links this target
        // and the toolchain has no static Testing/XCTest libraries.
        .executableTarget(name: "KVServer", dependencies: ["KVStore", "KVWAL", "KVProtocol", "KVPosix", "KVSync", "CTicks",
                                                          "HTTP2", "EtcdWire", "COpenSSL"],
                          linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(configuration: .release))]),
        .target(name: "KVCtlCore", dependencies: ["KVClient", "KVProtocol", "KVStore", "KVPosix"]),
        // kvctl links the Swift runtime statically: measured 2.6 ms vs 4.9 ms for `kvctl version`.
        .executableTarget(name: "kvctl", dependencies: ["KVCtlCore"],
                          linkerSettings: [.unsafeFlags(["-static-stdlib"])]),
        .target(name: "KVBenchCore", dependencies: ["KVStore", "KVProtocol", "KVPosix", "KVClient"], path: "Sources/kvbench/Core"),
        .executableTarget(name: "kvbench", dependencies: ["KVStore", "KVClient", "KVBenchCore"], exclude: ["Core"]),
        .testTarget(name: "KVStoreTests", dependencies: ["KVStore", "TestSupport"]),
        .testTarget(name: "KVPosixTests", dependencies: ["KVPosix"]),
        .testTarget(name: "KVWALTests", dependencies: ["KVWAL", "KVStore", "TestSupport"]),
        .testTarget(name: "KVProtocolTests", dependencies: ["KVProtocol", "TestSupport"]),
        .testTarget(name: "HPACKTests", dependencies: ["HPACK", "TestSupport"]),
        .testTarget(name: "HTTP2Tests", dependencies: ["HTTP2", "HPACK", "TestSupport"]),
        .testTarget(name: "EtcdWireTests", dependencies: ["EtcdWire", "Protobuf", "KVProtocol", "KVStore", "TestSupport"]),
        // What several test targets share: running real clients through the shell, throw-away TLS certificates.
        .target(name: "TestSupport", dependencies: ["KVPosix"], path: "Tests/TestSupport"),
        .testTarget(name: "KVServerTests", dependencies: ["KVServer", "KVWAL", "KVClient", "KVProtocol", "KVStore", "KVPosix", "KVBenchCore",
                                                       "HPACK", "EtcdWire", "Protobuf", "TestSupport"]),
        .testTarget(name: "kvbenchTests", dependencies: ["KVBenchCore", "KVClient"]),
        .testTarget(name: "kvctlTests", dependencies: ["KVCtlCore", "KVStore", "KVProtocol", "KVServer", "KVClient", "TestSupport"],
                    exclude: ["Golden"]),
    ]
)
