/// `ETCDCTL_<FLAG>` (and `KVCTL_<FLAG>`) for the global flags, with etcd's `pkg/flags` rules: a variable
/// for a flag that was also given on the command line is fatal; an unknown variable is warned about.
enum EnvironmentFlags {
    static let prefixes = ["ETCDCTL_", "KVCTL_"]
    /// Variables read elsewhere, never reported as unrecognized.
    static let ignored: Set<String> = ["ETCDCTL_API", "ETCDCTL_WATCH_KEY", "ETCDCTL_WATCH_RANGE_END",
                                       "KVCTL_WATCH_KEY", "KVCTL_WATCH_RANGE_END", "KVCTL_WIRE"]

    static func variableSuffix(_ flag: Flag) -> String {
        String(flag.name.uppercased().map { $0 == "-" ? "_" : $0 })
    }

    /// Applies the variables; returns an exit status when the run must stop.
    static func apply(_ environment: [String: String], to flags: inout FlagValues, command: Command,
                      console: Console) -> Int32? {
        var known: Set<String> = ignored
        for flag in command.globalFlags {
            let suffix = variableSuffix(flag)
            for prefix in prefixes.reversed() {   // KVCTL_ wins over ETCDCTL_
                let name = prefix + suffix
                known.insert(name)
                guard let value = environment[name] else { continue }
                if flags.isSet(flag.name) && !flags.fromEnvironment.contains(flag.name) {
                    console.errLine("\(logTimestamp()) C | pkg/flags: conflicting environment variable \"\(name)\" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)")
                    return ExitCode.error
                }
                if flags.fromEnvironment.contains(flag.name) { continue }
                if let error = flag.validate(value) {
                    console.errLine("\(logTimestamp()) C | pkg/flags: invalid value \(GoText.quote(value)) for \(name): \(error)")
                    return ExitCode.error
                }
                flags.values[flag.name] = value
                flags.fromEnvironment.insert(flag.name)
            }
        }
        for (name, value) in environment.sorted(by: { $0.key < $1.key })
        where prefixes.contains(where: { name.hasPrefix($0) }) && !known.contains(name) {
            console.errLine("\(logTimestamp()) W | pkg/flags: unrecognized environment variable \(name)=\(value)")
        }
        return nil
    }
}
