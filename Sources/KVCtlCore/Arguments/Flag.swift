/// One flag of a command, described the way etcdctl's usage text shows it.
public struct Flag: Sendable {
    public enum Kind: Sendable { case bool, string, int64, duration, stringSlice }

    public var name: String
    public var shorthand: Character?
    public var kind: Kind
    /// The default, as Go prints it (`false`, `l`, `0`, `2s`, `127.0.0.1:2379`).
    public var defaultValue: String
    public var usage: String
    /// Our extensions are accepted but not listed, so help texts stay etcdctl's.
    public var hidden: Bool

    public init(_ name: String, _ shorthand: Character? = nil, _ kind: Kind, _ defaultValue: String, _ usage: String,
                hidden: Bool = false) {
        self.name = name
        self.shorthand = shorthand
        self.kind = kind
        self.defaultValue = defaultValue
        self.usage = usage
        self.hidden = hidden
    }

    static func bool(_ name: String, short shorthand: Character? = nil, _ usage: String, default value: Bool = false,
                     hidden: Bool = false) -> Flag {
        Flag(name, shorthand, .bool, value ? "true" : "false", usage, hidden: hidden)
    }

    static func string(_ name: String, _ usage: String, default value: String = "", hidden: Bool = false) -> Flag {
        Flag(name, nil, .string, value, usage, hidden: hidden)
    }

    static func int(_ name: String, _ usage: String, default value: Int64 = 0, hidden: Bool = false) -> Flag {
        Flag(name, nil, .int64, String(value), usage, hidden: hidden)
    }

    /// The line etcdctl prints for this flag in OPTIONS (with a tab before the usage).
    var usageLine: String {
        let value: String
        switch kind {
        case .bool: value = "[=\(defaultValue)]"
        case .string: value = "=\"\(defaultValue)\""
        case .int64, .duration: value = "=\(defaultValue)"
        case .stringSlice: value = "=[\(defaultValue)]"
        }
        let lead = shorthand.map { "  -\($0), " } ?? "      "
        return "\(lead)--\(name)\(value)\t\(usage)"
    }

    /// Checks a value the way pflag's typed flags do.
    func validate(_ value: String) -> GoParseError? {
        switch kind {
        case .bool: if case .failure(let e) = GoParse.bool(value) { return e }
        case .int64: if case .failure(let e) = GoParse.int64(value, base: 0) { return e }
        case .duration: if case .failure(let e) = GoParse.duration(value) { return e }
        case .string, .stringSlice: break
        }
        return nil
    }
}

/// Flag values after parsing: every flag has a value (its default unless given).
public struct FlagValues: Sendable {
    var values: [String: String] = [:]
    /// Flags given on the command line (pflag's `Changed`).
    public internal(set) var changed: Set<String> = []
    /// Flags whose value came from an environment variable.
    var fromEnvironment: Set<String> = []

    public func string(_ name: String) -> String { values[name] ?? "" }

    public func bool(_ name: String) -> Bool {
        if case .success(let v) = GoParse.bool(values[name] ?? "false") { return v }
        return false
    }

    public func int64(_ name: String) -> Int64 {
        if case .success(let v) = GoParse.int64(values[name] ?? "0", base: 0) { return v }
        return 0
    }

    /// Nanoseconds.
    public func duration(_ name: String) -> Int64 {
        if case .success(let v) = GoParse.duration(values[name] ?? "0") { return v }
        return 0
    }

    public func list(_ name: String) -> [String] {
        let raw = values[name] ?? ""
        return raw.isEmpty ? [] : raw.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }

    public func isSet(_ name: String) -> Bool { changed.contains(name) }

    mutating func set(_ name: String, _ value: String, kind: Flag.Kind) {
        if kind == .stringSlice, changed.contains(name), let old = values[name] {
            values[name] = old + "," + value
        } else {
            values[name] = value
        }
        changed.insert(name)
    }
}
