/// A bad command line: the message says what is wrong. kvbench prints it and exits 2.
public struct UsageError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `--name value`, `--name=value`, boolean `--name` (or `--name=true|false`) and positional arguments.
///
/// Which flags are boolean is declared up front, so `--prefix KEY` never swallows a positional key.
/// Every flag given must be read by the time ``finish()`` is called, so a misspelt flag is an error
/// rather than silently ignored.
public struct Flags {
    public private(set) var positional: [String] = []
    private var values: [String: String] = [:]
    private var used: Set<String> = []

    public init(_ arguments: [String], booleans: Set<String>) throws(UsageError) {
        var i = 0
        var onlyPositional = false
        while i < arguments.count {
            let argument = arguments[i]
            i += 1
            if onlyPositional || !argument.hasPrefix("--") || argument == "--" {
                if argument == "--" && !onlyPositional { onlyPositional = true; continue }
                positional.append(argument)
                continue
            }
            let body = argument.dropFirst(2)
            let name: String
            let value: String
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                value = String(body[body.index(after: equals)...])
            } else if booleans.contains(String(body)) {
                name = String(body)
                value = "true"
            } else {
                name = String(body)
                guard i < arguments.count else { throw UsageError("flag --\(name) needs a value") }
                value = arguments[i]
                i += 1
            }
            guard !name.isEmpty else { throw UsageError("empty flag name in '\(argument)'") }
            guard values[name] == nil else { throw UsageError("flag --\(name) given twice") }
            values[name] = value
        }
    }

    public func has(_ name: String) -> Bool { values[name] != nil }

    /// The flag's value, or nil when it was not given.
    public mutating func optionalString(_ name: String) -> String? {
        used.insert(name)
        return values[name]
    }

    public mutating func string(_ name: String, default value: String) -> String {
        used.insert(name)
        return values[name] ?? value
    }

    /// A non-negative integer; `_` separators and a `k`/`m` suffix (thousands, millions) are accepted.
    public mutating func int(_ name: String, default value: Int, minimum: Int = 0) throws(UsageError) -> Int {
        used.insert(name)
        guard let text = values[name] else { return value }
        var digits = Substring(text.filter { $0 != "_" })
        var scale = 1
        if digits.hasSuffix("k") || digits.hasSuffix("K") { scale = 1000; digits = digits.dropLast() }
        else if digits.hasSuffix("m") || digits.hasSuffix("M") { scale = 1_000_000; digits = digits.dropLast() }
        guard let parsed = Int(digits), parsed >= 0, parsed <= Int.max / scale else {
            throw UsageError("--\(name) needs a non-negative integer, got '\(text)'")
        }
        guard parsed * scale >= minimum else { throw UsageError("--\(name) must be at least \(minimum), got '\(text)'") }
        return parsed * scale
    }

    /// A duration in seconds: `60`, `60s`, `1.5s`, `500ms`, `2m`.
    public mutating func seconds(_ name: String, default value: Double) throws(UsageError) -> Double {
        used.insert(name)
        guard let text = values[name] else { return value }
        var number = Substring(text)
        var scale = 1.0
        if number.hasSuffix("ms") { scale = 0.001; number = number.dropLast(2) }
        else if number.hasSuffix("s") { number = number.dropLast() }
        else if number.hasSuffix("m") { scale = 60; number = number.dropLast() }
        guard let parsed = Double(number), parsed > 0, parsed.isFinite else {
            throw UsageError("--\(name) needs a positive duration (e.g. 60s, 500ms), got '\(text)'")
        }
        return parsed * scale
    }

    public mutating func bool(_ name: String, default value: Bool = false) throws(UsageError) -> Bool {
        used.insert(name)
        guard let text = values[name] else { return value }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw UsageError("--\(name) takes true or false, got '\(text)'")
        }
    }

    /// Throws for a flag that nothing read.
    public func finish() throws(UsageError) {
        if let unknown = Set(values.keys).subtracting(used).sorted().first {
            throw UsageError("unknown flag --\(unknown)")
        }
    }
}
