import KVProtocol
import Protobuf

/// Why a message a client sent cannot be turned into a call.
///
/// How the gRPC layer answers each (`EtcdWire.status(for:)`):
/// - `.malformed`: the bytes are not the protobuf message the method takes. grpc-go answers a message
///   it cannot unmarshal with `INTERNAL` "grpc: error unmarshalling request: …"; so do we, so that
///   clients see the same code for the same fault.
/// - `.unsupportedValue`: well-formed, but an enum value etcd does not define where our typed request
///   has no room for it (e.g. `Compare.result = 7`). `INVALID_ARGUMENT`.
/// - `.rejected`: well-formed, and etcd's own request checks refuse it with one of its errors (an
///   empty `RequestOp` in a transaction is etcd's "key not found"). That error's status.
public enum EtcdWireError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(ProtobufError)
    case unsupportedValue(String)
    case rejected(WireError)

    public var description: String {
        switch self {
        case .malformed(let error): "malformed message: \(error)"
        case .unsupportedValue(let detail): detail
        case .rejected(let error): error.message
        }
    }
}
