/// `--name value` / `--name=value` flags of a benchmark; unknown flags are an error.
struct BenchmarkOptions {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    private var values: [String: String] = [:]
    private var used: Set<String> = []

    init(_ arguments: [String]) throws {
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            guard argument.hasPrefix("--") else { throw Failure("unexpected argument '\(argument)'") }
            let body = argument.dropFirst(2)
            if let equals = body.firstIndex(of: "=") {
                values[String(body[..<equals])] = String(body[body.index(after: equals)...])
            } else if i + 1 < arguments.count, !arguments[i + 1].hasPrefix("--") {
                values[String(body)] = arguments[i + 1]
                i += 1
            } else {
                values[String(body)] = "true"
            }
            i += 1
        }
    }

    mutating func int(_ name: String, default value: Int) throws -> Int {
        used.insert(name)
        guard let text = values[name] else { return value }
        guard let parsed = Int(String(text.filter { $0 != "_" })), parsed >= 0 else {
            throw Failure("--\(name) needs a non-negative integer, got '\(text)'")
        }
        return parsed
    }

    mutating func string(_ name: String, default value: String) -> String {
        used.insert(name)
        return values[name] ?? value
    }

    mutating func flag(_ name: String) -> Bool {
        used.insert(name)
        return values[name] != nil && values[name] != "false"
    }

    /// Throws when a flag was given that no benchmark asked for.
    func finish() throws {
        let unknown = Set(values.keys).subtracting(used)
        if let first = unknown.sorted().first { throw Failure("unknown flag --\(first)") }
    }
}
