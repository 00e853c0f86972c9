/// Builds one JSON object the way Go's `encoding/json` prints etcd's structs: compact, fields in
/// declaration order, `omitempty` zero values left out, 64-bit integers exact.
struct JSONObject {
    private(set) var text = "{"
    private var empty = true

    private mutating func key(_ name: String) {
        if !empty { text += "," }
        empty = false
        text += "\""
        text += name
        text += "\":"
    }

    mutating func raw(_ name: String, _ value: String) {
        key(name)
        text += value
    }

    mutating func int(_ name: String, _ value: Int64, omitEmpty: Bool = true) {
        if omitEmpty && value == 0 { return }
        raw(name, String(value))
    }

    mutating func uint(_ name: String, _ value: UInt64, omitEmpty: Bool = true) {
        if omitEmpty && value == 0 { return }
        raw(name, String(value))
    }

    mutating func bool(_ name: String, _ value: Bool, omitEmpty: Bool = true) {
        if omitEmpty && !value { return }
        raw(name, value ? "true" : "false")
    }

    mutating func string(_ name: String, _ value: String, omitEmpty: Bool = true) {
        if omitEmpty && value.isEmpty { return }
        raw(name, GoText.jsonString(value))
    }

    /// A `[]byte` field: base64.
    mutating func bytes(_ name: String, _ value: [UInt8], omitEmpty: Bool = true) {
        if omitEmpty && value.isEmpty { return }
        raw(name, "\"" + GoText.base64(value) + "\"")
    }

    mutating func strings(_ name: String, _ values: [String], omitEmpty: Bool = true) {
        if omitEmpty && values.isEmpty { return }
        raw(name, "[" + values.map(GoText.jsonString).joined(separator: ",") + "]")
    }

    mutating func array(_ name: String, _ items: [String], omitEmpty: Bool = true, nullWhenEmpty: Bool = false) {
        if items.isEmpty {
            if omitEmpty { return }
            if nullWhenEmpty { raw(name, "null"); return }
        }
        raw(name, "[" + items.joined(separator: ",") + "]")
    }

    mutating func object(_ name: String, _ object: JSONObject) { raw(name, object.result) }

    var result: String { text + "}" }
}
