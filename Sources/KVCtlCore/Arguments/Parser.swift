/// Splits a command line the way cobra and pflag do for etcdctl: find the command (names or unique
/// prefixes, flags skipped), then parse flags anywhere among the arguments, `--` ending flags.
public enum ParseOutcome {
    case run(Command, ParsedArguments)
    /// `--help`/`-h`, `help [command]`, or a command group without a runnable subcommand.
    case help(Command)
    /// `help <unknown>`: cobra prints this line to stderr, then the root usage.
    case unknownHelpTopic([String])
    /// An unknown command at the root: the error text (with cobra's suggestions).
    case unknownCommand(String)
    /// A flag that does not parse: the command whose usage to print, and the error.
    case flagError(Command, String)
}

public struct ParsedArguments {
    public var positional: [String]
    /// How many positional arguments came before `--` (nil: there was no `--`).
    public var argsLenAtDash: Int?
    public var flags: FlagValues
}

enum Parser {
    static func parse(_ arguments: [String], root: Command) -> ParseOutcome {
        var (command, rest) = find(arguments, from: root)
        if command.isRoot, let word = commandWords(rest, command).first {
            return .unknownCommand(unknownCommandText(word, root: root))
        }
        if command.name == "help", command.parent === root, !rest.contains("--help"), !rest.contains("-h") {
            // `help [command…]`: the named command's usage.
            let words = commandWords(rest, root)
            var target = root
            for word in words {
                guard let next = target.subcommand(word) else { return .unknownHelpTopic(words) }
                target = next
            }
            return .help(target)
        }
        var flags = FlagValues()
        for flag in command.allFlags { flags.values[flag.name] = flag.defaultValue }
        var positional: [String] = []
        var atDash: Int?
        while !rest.isEmpty {
            let arg = rest.removeFirst()
            guard arg.count > 1, arg.hasPrefix("-") else {
                positional.append(arg)
                continue
            }
            if arg == "--" {
                atDash = positional.count
                positional += rest
                break
            }
            let error: String?
            if arg.hasPrefix("--") {
                error = parseLong(arg, &rest, command, &flags)
            } else {
                error = parseShort(arg, &rest, command, &flags)
            }
            if let error { return .flagError(command, error) }
        }
        if flags.bool("help") { return .help(command) }
        if !command.runnable { return .help(command) }
        return .run(command, ParsedArguments(positional: positional, argsLenAtDash: atDash, flags: flags))
    }

    /// cobra's `Find`: follows command words (skipping flags and their values) down the tree.
    static func find(_ arguments: [String], from root: Command) -> (Command, [String]) {
        var command = root
        var rest = arguments
        while let word = commandWords(rest, command).first, let next = command.subcommand(word) {
            if let index = rest.firstIndex(of: word) { rest.remove(at: index) }
            command = next
        }
        return (command, rest)
    }

    /// cobra's `stripFlags`: the non-flag words, as used to find subcommands.
    static func commandWords(_ arguments: [String], _ command: Command) -> [String] {
        var words: [String] = []
        var args = arguments[...]
        while let arg = args.first {
            args = args.dropFirst()
            if arg == "--" { break }
            if arg.hasPrefix("--"), !arg.contains("=") {
                let flag = command.flag(named: String(arg.dropFirst(2)))
                if flag?.kind != .bool {
                    if args.count <= 1 { break }
                    args = args.dropFirst()
                }
            } else if arg.hasPrefix("-"), !arg.contains("="), arg.count == 2 {
                let flag = command.flag(short: arg.last!)
                if flag?.kind != .bool {
                    if args.count <= 1 { break }
                    args = args.dropFirst()
                }
            } else if !arg.isEmpty, !arg.hasPrefix("-") {
                words.append(arg)
            }
        }
        return words
    }

    private static func display(_ flag: Flag) -> String {
        if let short = flag.shorthand { return "-\(short), --\(flag.name)" }
        return "--\(flag.name)"
    }

    private static func set(_ flag: Flag, _ value: String, _ flags: inout FlagValues) -> String? {
        if let error = flag.validate(value) {
            return "invalid argument \(GoText.quote(value)) for \(GoText.quote(display(flag))) flag: \(error)"
        }
        flags.set(flag.name, value, kind: flag.kind)
        return nil
    }

    private static func parseLong(_ arg: String, _ rest: inout [String], _ command: Command,
                                  _ flags: inout FlagValues) -> String? {
        let body = arg.dropFirst(2)
        if body.isEmpty || body.hasPrefix("-") || body.hasPrefix("=") { return "bad flag syntax: \(arg)" }
        let parts = body.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0])
        guard let flag = command.flag(named: name) else { return "unknown flag: --\(name)" }
        if parts.count == 2 { return set(flag, String(parts[1]), &flags) }
        if flag.kind == .bool { return set(flag, "true", &flags) }
        guard !rest.isEmpty else { return "flag needs an argument: \(arg)" }
        return set(flag, rest.removeFirst(), &flags)
    }

    private static func parseShort(_ arg: String, _ rest: inout [String], _ command: Command,
                                   _ flags: inout FlagValues) -> String? {
        var shorthands = Substring(arg.dropFirst())
        while let c = shorthands.first {
            guard let flag = command.flag(short: c) else {
                return "unknown shorthand flag: '\(c)' in -\(shorthands)"
            }
            let after = shorthands.dropFirst()
            if after.hasPrefix("="), after.count >= 1 {
                return set(flag, String(after.dropFirst()), &flags)
            }
            if flag.kind == .bool {
                if let error = set(flag, "true", &flags) { return error }
                shorthands = after
                continue
            }
            if !after.isEmpty { return set(flag, String(after), &flags) }
            guard !rest.isEmpty else { return "flag needs an argument: '\(c)' in -\(shorthands)" }
            return set(flag, rest.removeFirst(), &flags)
        }
        return nil
    }

    // MARK: Unknown commands

    static func unknownCommandText(_ word: String, root: Command) -> String {
        var text = "unknown command \(GoText.quote(word)) for \"\(root.name)\""
        let typed = word.lowercased()
        let suggestions = root.subcommands.filter { command in
            guard command.name != "help" else { return false }
            let name = command.name.lowercased()
            return levenshtein(typed, name) <= 2 || name.hasPrefix(typed)
        }
        if !suggestions.isEmpty {
            text += "\n\nDid you mean this?\n"
            for command in suggestions { text += "\t\(command.name)\n" }
        }
        return text
    }

    static func levenshtein(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
