/// A command of the tree: etcdctl's cobra commands, described as data.
public final class Command {
    public typealias Action = (Invocation) throws(CtlError) -> Void

    public let name: String
    /// One line, shown after the name in NAME and COMMANDS.
    public let short: String
    /// The usage after the command path (`[options] <key> [range_end]`).
    public let use: String
    /// DESCRIPTION lines, when there are any.
    public let long: String?
    public private(set) var flags: [Flag]
    public private(set) var subcommands: [Command] = []
    public private(set) weak var parent: Command?
    /// Runs and completes like any command but is left out of COMMANDS lists, so that help texts stay
    /// etcdctl 3.4's while kvctl offers a later etcdctl's command (`auth status`).
    public let hidden: Bool
    /// Whether USAGE ends with `[flags]`, as cobra writes it unless a command asks not to
    /// (`completion bash` does).
    public let flagsInUseLine: Bool
    let action: Action?

    public init(_ name: String, short: String, use: String = "", long: String? = nil, flags: [Flag] = [],
                hidden: Bool = false, flagsInUseLine: Bool = true, action: Action? = nil) {
        self.name = name
        self.short = short
        self.use = use
        self.long = long
        self.flags = flags + [.bool("help", short: "h", "help for \(name)")]
        self.hidden = hidden
        self.flagsInUseLine = flagsInUseLine
        self.action = action
    }

    @discardableResult
    func add(_ commands: Command...) -> Command {
        for command in commands {
            command.parent = self
            subcommands.append(command)
        }
        return self
    }

    var isRoot: Bool { parent == nil }
    var root: Command { parent?.root ?? self }
    var runnable: Bool { action != nil }

    /// `lease grant`: the path below the root.
    var relativePath: String {
        guard let parent, !parent.isRoot else { return name }
        return parent.relativePath + " " + name
    }

    /// `etcdctl lease grant`.
    func path(program: String) -> String { isRoot ? program : program + " " + relativePath }

    /// Flags this command sees: its own and the root's (global) ones.
    var allFlags: [Flag] { flags + globalFlags }

    /// Flags inherited from the ancestors (etcdctl's persistent flags: the root's globals, `endpoint --cluster`).
    var globalFlags: [Flag] {
        guard let parent else { return [] }
        return parent.flags.filter { $0.name != "help" } + parent.globalFlags
    }

    func flag(named name: String) -> Flag? { allFlags.first { $0.name == name } }
    func flag(short: Character) -> Flag? { allFlags.first { $0.shorthand == short } }

    /// The subcommand `word` names: an exact name, or a prefix of exactly one name (cobra's prefix matching).
    func subcommand(_ word: String) -> Command? {
        if let exact = subcommands.first(where: { $0.name == word }) { return exact }
        let matches = subcommands.filter { $0.name.hasPrefix(word) }
        return matches.count == 1 ? matches[0] : nil
    }

    // MARK: Help

    /// The usage text etcdctl prints for `--help` and with flag errors.
    func help(program: String, version: String, apiVersion: String) -> String {
        var text = "NAME:\n"
        text += "\t\(isRoot ? program : relativePath) - \(short)\n\n"
        text += "USAGE:\n\t\(useLine(program: program))\n\n"
        if isRoot { text += "VERSION:\n\t\(version)\n\n" }
        if !subcommands.isEmpty {
            text += "API VERSION:\n\t\(apiVersion)\n\n\nCOMMANDS:\n"
            for line in commandLines(relativeTo: self) { text += "\t\(line)\n" }
            text += "\n"
        }
        if let long {
            text += "DESCRIPTION:\n"
            for line in long.split(separator: "\n", omittingEmptySubsequences: false) { text += "\t\(line)\n" }
            text += "\n"
        }
        text += "OPTIONS:\n"
        for flag in flags.filter({ !$0.hidden }).sorted(by: { $0.name < $1.name }) { text += flag.usageLine + "\n" }
        text += "\n"
        if !isRoot {
            text += "GLOBAL OPTIONS:\n"
            for flag in globalFlags.filter({ !$0.hidden }).sorted(by: { $0.name < $1.name }) { text += flag.usageLine + "\n" }
            text += "\n"
        }
        return TabWriter.format(text)
    }

    func useLine(program: String) -> String {
        var line = path(program: program)
        if !use.isEmpty { line += " " + use }
        return flagsInUseLine ? line + " [flags]" : line
    }

    /// `name\tshort` for every runnable command below `base`, sorted, names relative to `base`.
    private func commandLines(relativeTo base: Command) -> [String] {
        var lines: [String] = []
        for command in subcommands.sorted(by: { $0.name < $1.name }) where !command.hidden {
            if command.runnable { lines.append(command.name(relativeTo: base) + "\t" + command.short) }
            lines += command.commandLines(relativeTo: base)
        }
        return lines
    }

    private func name(relativeTo base: Command) -> String {
        guard let parent, parent !== base else { return name }
        return parent.name(relativeTo: base) + " " + name
    }
}
