import KVProtocol
import KVStore

/// The kvctl program: `KVCtl.main()` from the executable, `KVCtl.run` from tests.
public enum KVCtl {
    /// kvctl's own version, printed by `version`.
    public static let version = ProjectVersion.etcdctl
    /// The etcd API version the commands and output follow.
    public static let apiVersion = "3.4"

    static let globalFlags: [Flag] = [
        .string("cacert", "verify certificates of TLS-enabled secure servers using this CA bundle"),
        .string("cert", "identify secure client using this TLS certificate file"),
        Flag("command-timeout", nil, .duration, "5s", "timeout for short running command (excluding dial timeout)"),
        .bool("debug", "enable client-side debug logging"),
        Flag("dial-timeout", nil, .duration, "2s", "dial timeout for client connections"),
        Flag("discovery-srv", "d", .string, "", "domain name to query for SRV records describing cluster endpoints"),
        .string("discovery-srv-name", "service name to query when using DNS discovery"),
        Flag("endpoints", nil, .stringSlice, "127.0.0.1:2379", "gRPC endpoints"),
        .bool("hex", "print byte strings as hex encoded strings"),
        .bool("insecure-discovery", "accept insecure SRV records describing cluster endpoints", default: true),
        .bool("insecure-skip-tls-verify",
              "skip server certificate verification (CAUTION: this option should be enabled only for testing purposes)"),
        .bool("insecure-transport", "disable transport security for client connections", default: true),
        Flag("keepalive-time", nil, .duration, "2s", "keepalive time for client connections"),
        Flag("keepalive-timeout", nil, .duration, "6s", "keepalive timeout for client connections"),
        .string("key", "identify secure client using this TLS key file"),
        .string("password", "password for authentication (if this option is used, --user option shouldn't include password)"),
        .string("user", "username[:password] for authentication (prompt if password is not supplied)"),
        Flag("write-out", "w", .string, "simple", "set the output format (fields, json, protobuf, simple, table)"),
    ]

    /// The command tree, in etcdctl's registration order (which its suggestions follow).
    static func tree(program: String) -> Command {
        let root = Command(program, short: "A simple command line client for etcd3.", flags: globalFlags)
        root.add(
            GetCommand.make(), PutCommand.make(), DelCommand.make(), TxnCommand.make(), CompactionCommand.make(),
            AlarmCommands.make(), DefragCommand.make(), EndpointCommands.make(), MembershipCommands.moveLeader(),
            WatchCommand.make(), VersionCommand.make(), LeaseCommands.make(), MemberCommands.make(),
            SnapshotCommands.make(),
            MirrorCommand.make(),
            unsupported("migrate", "Migrates keys in a v2 store to a mvcc store"),
            LockCommand.make(), ElectCommand.make())
        for command in AuthCommands.make() { root.add(command) }
        root.add(
            CheckCommands.make(),
            Command("help", short: "Help about any command", use: "[command]", long: """
                Help provides help for any command in the application.
                Simply type \(program) help [path to command] for full details.
                """, action: { _ throws(CtlError) in }),
            CompletionCommands.make(program: program))
        return root
    }

    /// The program name used in texts: `etcdctl` when invoked under that name (a drop-in symlink), else `kvctl`.
    public static func programName(argv0: String) -> String {
        let base = argv0.split(separator: "/").last.map(String.init) ?? argv0
        return base == "etcdctl" ? "etcdctl" : "kvctl"
    }

    /// Runs one command line; returns the exit status. Output goes to `console` (flushed by the caller).
    public static func run(_ arguments: [String], program: String = "kvctl", environment: [String: String],
                           console: Console, connector: @escaping Connector) -> Int32 {
        if let api = environment["ETCDCTL_API"], !api.isEmpty, api != "3" {
            console.errLine("unsupported API version \(api)")
            return ExitCode.error
        }
        let root = tree(program: program)
        if let index = arguments.firstIndex(of: "__complete"), arguments[..<index].allSatisfy({ $0.hasPrefix("-") }) {
            // cobra's hidden completion command; global flags before it change nothing.
            CompletionCommands.complete(Array(arguments[(index + 1)...]), root: root, console: console)
            return ExitCode.success
        }
        switch Parser.parse(arguments, root: root) {
        case .help(let command):
            console.out(command.help(program: program, version: version, apiVersion: apiVersion))
            return ExitCode.success
        case .unknownHelpTopic(let words):
            console.errLine("Unknown help topic [`\(words.joined(separator: " "))`]")
            console.out(root.help(program: program, version: version, apiVersion: apiVersion))
            return ExitCode.success
        case .unknownCommand(let text):
            console.errLine("Error: \(text)")
            console.errLine("Run '\(program) --help' for usage.")
            console.errLine("Error: \(text)")
            return ExitCode.error
        case .flagError(let command, let message):
            console.out(command.help(program: program, version: version, apiVersion: apiVersion))
            console.errLine("Error: \(message)")
            console.errLine("")
            console.errLine("Error: \(message)")
            return ExitCode.error
        case .run(let command, var parsed):
            // etcdctl reads the environment while creating its client: every command that talks to a
            // server (`snapshot save` included), not `version` nor the offline `snapshot status|restore`.
            var security = TransportSecurity.plaintext
            if command.name != "version" && !(command.parent?.name == "snapshot" && command.name != "save") {
                if let status = EnvironmentFlags.apply(environment, to: &parsed.flags, command: command, console: console) {
                    return status
                }
                do {
                    security = try TransportSecurity.resolve(parsed.flags, endpoints: parsed.flags.list("endpoints"))
                } catch {
                    console.errLine("Error: \(error.message ?? "")")
                    return error.code
                }
            }
            let invocation = Invocation(command: command, parsed: parsed, console: console, environment: environment,
                                        security: security, connector: connector)
            defer { invocation.close() }
            do {
                try command.action?(invocation)
                return ExitCode.success
            } catch {
                if let message = error.message { console.errLine("Error: \(message)") }
                return error.code
            }
        }
    }
}
