import EtcdWire
import Testing

@Suite struct EtcdMethodTests {
    @Test func everyPathRoundTrips() {
        #expect(EtcdMethod.allCases.count == 41)
        for method in EtcdMethod.allCases {
            #expect(EtcdMethod(path: method.path) == method)
            let bytes = Array(method.path.utf8)
            #expect(bytes.withUnsafeBytes { EtcdMethod(path: $0) } == method)
            #expect(method.path == "/\(method.service)/\(method.name)")
        }
        #expect(EtcdMethod(path: "/etcdserverpb.KV/Range") == .range)
        #expect(EtcdMethod.range.service == "etcdserverpb.KV")
        #expect(EtcdMethod.range.name == "Range")
        #expect(EtcdMethod(path: "/etcdserverpb.Maintenance/Downgrade") == .downgrade)
        #expect(EtcdMethod(path: "/etcdserverpb.Auth/AuthStatus") == .authStatus)
    }

    @Test func otherPathsAreNil() {
        for path in ["", "/", "/etcdserverpb.KV/range", "/etcdserverpb.KV/Range/", "etcdserverpb.KV/Range",
                     "/etcdserverpb.KV/Rangf", "/grpc.health.v1.Health/Check", String(repeating: "x", count: 1000)] {
            #expect(EtcdMethod(path: path) == nil, "\(path)")
        }
    }

    @Test func streaming() {
        #expect(EtcdMethod.watch.clientStreams && EtcdMethod.watch.serverStreams)
        #expect(EtcdMethod.leaseKeepAlive.clientStreams && EtcdMethod.leaseKeepAlive.serverStreams)
        #expect(!EtcdMethod.snapshot.clientStreams && EtcdMethod.snapshot.serverStreams)
        #expect(EtcdMethod.allCases.filter(\.isUnary).count == 38)
    }
}
