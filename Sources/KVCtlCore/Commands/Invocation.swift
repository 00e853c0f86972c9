import KVProtocol
import KVStore

/// Everything one run of a command sees.
public final class Invocation {
    public let command: Command
    public let args: [String]
    public let argsLenAtDash: Int?
    public let flags: FlagValues
    public let console: Console
    public let environment: [String: String]
    let connector: Connector
    /// TLS as the global flags ask (plaintext for the commands that connect nowhere).
    let security: TransportSecurity
    private var opened: Backend?

    init(command: Command, parsed: ParsedArguments, console: Console, environment: [String: String],
         security: TransportSecurity = .plaintext, connector: @escaping Connector) {
        self.command = command
        self.args = parsed.positional
        self.argsLenAtDash = parsed.argsLenAtDash
        self.flags = parsed.flags
        self.console = console
        self.environment = environment
        self.security = security
        self.connector = connector
    }

    /// `-w`, checked before any request (an unknown name is exit 4). Protobuf is not encoded here:
    /// refused up front so that no write happens.
    public func format() throws(CtlError) -> OutputFormat {
        let format = try OutputFormat.parse(flags.string("write-out"))
        if format == .protobuf { throw format.unsupported }
        return format
    }

    public func display(valueOnly: Bool = false) throws(CtlError) -> Display {
        Display(format: try format(), hex: flags.bool("hex"), valueOnly: valueOnly, console: console)
    }

    var endpoints: [String] { flags.list("endpoints") }

    private var resolvedCredentials: Credentials??

    /// `--user`/`--password`, asking for the password when only a name is given (once per run, when
    /// the first connection is opened — as etcdctl asks while creating its client).
    var credentials: Credentials? {
        if let resolvedCredentials { return resolvedCredentials }
        let credentials = Credentials.resolve(user: flags.string("user"), password: flags.string("password"),
                                              console: console)
        resolvedCredentials = .some(credentials)
        return credentials
    }

    /// The connection to the endpoints (opened once). With credentials, a failed connect or login exits 2
    /// (etcdctl's ExitBadConnection: its client logs in while being created); without, 1.
    /// The command's one positional argument; `usage` is etcdctl's error when there is not exactly one.
    func onlyArgument(_ usage: String) throws(CtlError) -> String {
        guard args.count == 1 else { throw .badArgs(usage) }
        return args[0]
    }

    public func backend() throws(CtlError) -> Backend {
        if let opened { return opened }
        let credentials = self.credentials
        if flags.bool("debug") { for line in ClientLog.settings(command, flags) { console.errLine(line) } }
        do {
            let backend = try connector(endpoints, flags.duration("dial-timeout"), flags.duration("command-timeout"),
                                        credentials, security)
            opened = backend
            return backend
        } catch {
            logUnreachable(error)
            throw Invocation.failure(error, code: credentials == nil ? ExitCode.error : ExitCode.badConnection)
        }
    }

    /// A connection to one endpoint (endpoint status/health/hashkv).
    func backend(for endpoint: String) throws(BackendError) -> Backend {
        do {
            return try connector([endpoint], flags.duration("dial-timeout"), flags.duration("command-timeout"), credentials, security)
        } catch {
            logUnreachable(error, endpoints: [endpoint])
            throw error
        }
    }

    /// When no endpoint could be dialed (or its TLS handshake failed), the Go client's warning naming
    /// the cause (etcdctl's stderr before `Error: context deadline exceeded`); with `--debug`, the cause
    /// again as gRPC logs it.
    func logUnreachable(_ error: BackendError, endpoints: [String]? = nil) {
        guard case .unreachable(let transportError) = error else { return }
        if flags.bool("debug") {
            console.errLine("WARNING: \(logTimestamp()) [core]grpc: addrConn.createTransport failed to connect: connection error: desc = \"transport: \(transportError)\". Reconnecting...")
        }
        console.errLine(ClientLog.unreachable(endpoints: endpoints ?? self.endpoints, transportError: transportError))
    }

    func close() { opened?.close() }

    /// A failed call as etcdctl reports it: the server's message or `context deadline exceeded`, exit 1.
    static func failure(_ error: BackendError, code: Int32 = ExitCode.error) -> CtlError {
        CtlError(code, error.message)
    }

    /// Runs a call, turning a backend failure into etcdctl's error.
    func call<T>(code: Int32 = ExitCode.error, wrap: ((String) -> String)? = nil,
                 _ body: (Backend) throws(BackendError) -> T) throws(CtlError) -> T {
        let backend = try backend()
        do {
            return try body(backend)
        } catch {
            let message = wrap.map { $0(error.message) } ?? error.message
            throw CtlError(code, message)
        }
    }
}
