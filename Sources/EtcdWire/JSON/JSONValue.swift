/// One JSON value as `JSONParser` reads it: numbers keep their text (an etcd int64 may be sent as
/// `5` or `"5"`, and is checked by the field that reads it), objects keep their members in order.
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's text, as sent (`-12`, `1.5e3`): already checked against JSON's number grammar.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// How Go's `encoding/json` names the value's kind in its errors (`cannot unmarshal number into …`).
    var goKind: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// A member of a JSON object.
public struct JSONMember: Equatable, Sendable {
    public var name: String
    public var value: JSONValue

    public init(_ name: String, _ value: JSONValue) {
        self.name = name
        self.value = value
    }
}

/// A body etcd's gateway cannot read, with the text Go's decoders give (`unexpected EOF`, `invalid
/// character 'x' looking for beginning of value`, `illegal base64 data at input byte 4`, …). The
/// gateway answers it as etcd's does: `INVALID_ARGUMENT` (HTTP 400) with this text.
public struct JSONDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
