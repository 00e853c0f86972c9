#if canImport(Glibc)
import Glibc
#endif
import KVStore

/// `watch [options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]`.
enum WatchCommand {
    static func make() -> Command {
        Command("watch", short: "Watches events stream on keys or prefixes",
                use: "[options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]", flags: [
            .bool("interactive", short: "i", "Interactive mode"),
            .bool("prefix", "Watch on a prefix if prefix is set"),
            .bool("prev-kv", "get the previous key-value pair before the event happens"),
            .int("rev", "Revision to start watching"),
            .bool("progress-notify", "get periodic watch progress notification from server", hidden: true),
        ], action: run)
    }

    static let badArgumentCount = "bad number of arguments"

    /// What one watch line asks for: the request and the command to run per event.
    struct Spec: Equatable {
        var request: WatchRequest
        var exec: [String]
    }

    /// etcdctl's `parseWatchArgs` + `getWatchChan`.
    static func spec(_ args: [String], argsLenAtDash: Int?, flags: FlagValues, environment: [String: String]) throws(CtlError) -> Spec {
        let envKey = environment["ETCDCTL_WATCH_KEY"] ?? environment["KVCTL_WATCH_KEY"] ?? ""
        let envRange = environment["ETCDCTL_WATCH_RANGE_END"] ?? environment["KVCTL_WATCH_RANGE_END"] ?? ""
        if envKey.isEmpty && !envRange.isEmpty {
            throw .badArgs("ETCDCTL_WATCH_KEY is empty but got ETCDCTL_WATCH_RANGE_END=\(GoText.quote(envRange))")
        }
        var watchArgs = args
        var exec: [String] = []
        if let dash = argsLenAtDash {
            watchArgs = Array(args[..<dash])
            exec = Array(args[dash...])
            if exec.isEmpty { throw .badArgs("\(badArgumentCount) (found separator --, but no commands)") }
        }
        if !envKey.isEmpty {
            if !watchArgs.isEmpty { throw .badArgs("\(badArgumentCount) (found conflicting environment key)") }
            watchArgs = [envKey]
            if !envRange.isEmpty { watchArgs.append(envRange) }
        }
        guard !watchArgs.isEmpty else { throw .badArgs(badArgumentCount) }
        var request = WatchRequest(key: Array(watchArgs[0].utf8))
        if watchArgs.count >= 2 {
            if flags.bool("prefix") { throw .badArgs("`range_end` and `--prefix` are mutually exclusive") }
            request.rangeEnd = Array(watchArgs[1].utf8)
        }
        if flags.bool("prefix") { applyPrefix(&request.key, &request.rangeEnd, prefix: true, fromKey: false) }
        request.startRevision = flags.int64("rev")
        request.prevKV = flags.bool("prev-kv")
        request.progressNotify = flags.bool("progress-notify")
        return Spec(request: request, exec: exec)
    }

    static func run(_ inv: Invocation) throws(CtlError) {
        if inv.flags.bool("interactive") { return try interactive(inv) }
        let spec = try spec(inv.args, argsLenAtDash: inv.argsLenAtDash, flags: inv.flags, environment: inv.environment)
        let display = try inv.display()
        let watch = try openWatch(spec.request, inv)
        while true {
            let response: WatchResponse?
            do {
                response = try watch.next(timeoutNanoseconds: nil)
            } catch {
                throw CtlError(ExitCode.error, error.message)
            }
            guard let response else { break }
            try deliver(response, spec.exec, display, inv)
            if response.canceled { break }
        }
        throw CtlError(ExitCode.interrupted, "watch is canceled by the server")
    }

    /// Opens the watch. etcd refuses a watch the user may not read by canceling it at creation, with the
    /// auth error in gRPC's words as the reason; etcdctl then reports it as any canceled watch (exit 5).
    static func openWatch(_ request: WatchRequest, _ inv: Invocation) throws(CtlError) -> BackendWatch {
        let grpcCodes = [AuthError.permissionDenied.description: "PermissionDenied",
                         AuthError.userNameEmpty.description: "InvalidArgument",
                         AuthError.invalidAuthToken.description: "Unauthenticated"]
        let backend = try inv.backend()
        do {
            return try backend.watch(request)
        } catch .server(let message) where grpcCodes[message] != nil {
            inv.console.errLine("watch was canceled (rpc error: code = \(grpcCodes[message]!) desc = \(message))")
            throw CtlError(ExitCode.interrupted, "watch is canceled by the server")
        } catch {
            throw CtlError(ExitCode.error, error.message)
        }
    }

    /// Prints one response (flushed at once) and runs the exec command per event.
    static func deliver(_ r: WatchResponse, _ exec: [String], _ display: Display, _ inv: Invocation) throws(CtlError) {
        if r.created && r.events.isEmpty && !r.canceled { return }
        if r.canceled {
            let reason = r.compactRevision > 0 ? StoreError.compacted(requested: 0, compactedRevision: r.compactRevision).description
                : (r.cancelReason.isEmpty ? "watch canceled" : r.cancelReason)
            inv.console.errLine("watch was canceled (\(reason))")
        }
        if r.isProgressNotify && r.compactRevision == 0 && r.header.revision != 0 {
            inv.console.line("progress notify: \(r.header.revision)")
        }
        try display.watch(r)
        inv.console.flush()
        guard !exec.isEmpty else { return }
        for event in r.events {
            let env = [
                "ETCD_WATCH_REVISION=\(r.header.revision)",
                "ETCD_WATCH_EVENT_TYPE=" + GoText.quote(Display.eventType(event.type)),
                "ETCD_WATCH_KEY=" + GoText.quote(event.kv.key),
                "ETCD_WATCH_VALUE=" + GoText.quote(event.kv.value),
            ]
            if let failure = Exec.run(exec, extraEnvironment: env) {
                inv.console.errLine("command [\(exec.joined(separator: " "))] error (\(failure))")
                throw CtlError(ExitCode.error, nil)
            }
        }
    }

    // MARK: Interactive

    static func interactive(_ inv: Invocation) throws(CtlError) {
        let display = try inv.display()
        var watches: [(BackendWatch, [String])] = []
        while true {
            for (watch, exec) in watches {
                while let response = try? watch.next(timeoutNanoseconds: 0) {
                    try deliver(response, exec, display, inv)
                }
            }
            inv.console.flush()
            guard inv.console.inputReady(milliseconds: 50) else { continue }
            guard let (bytes, atEOF) = inv.console.readLine(), !atEOF else {
                throw CtlError(ExitCode.invalidInput, "Error reading watch request line: EOF")
            }
            let line = TxnCommand.trimSpace(String(decoding: bytes, as: UTF8.self))
            let words = TxnCommand.split(line) ?? []
            guard let verb = words.first else {
                inv.console.errLine("Invalid command: \(line) (watch and progress supported)")
                continue
            }
            if verb == "progress" {
                for (watch, _) in watches { try? watch.requestProgress() }
                continue
            }
            guard verb == "watch" else {
                inv.console.errLine("Invalid command \(verb) (only support watch)")
                continue
            }
            guard words.count > 1 else {
                inv.console.errLine("Invalid command \(line) (command type or key is not provided)")
                continue
            }
            // Runnable (an action), or the parser would answer with its usage instead of the flags.
            let sub = Command("watch", short: "", flags: make().flags, action: { _ throws(CtlError) in })
            let root = Command("", short: "")
            root.add(sub)
            guard case .run(_, let parsed) = Parser.parse(words, root: root) else {
                inv.console.errLine("Invalid command \(line) (command type or key is not provided)")
                continue
            }
            let spec: Spec
            do {
                spec = try self.spec(parsed.positional, argsLenAtDash: parsed.argsLenAtDash, flags: parsed.flags,
                                     environment: [:])
            } catch {
                inv.console.errLine("Invalid command \(line) (\(error.message ?? ""))")
                continue
            }
            let watch = try inv.call { b throws(BackendError) in try b.watch(spec.request) }
            watches.append((watch, spec.exec))
        }
    }
}

/// Runs a command with extra environment variables and waits for it (watch's exec mode).
enum Exec {
    /// Nil on success, else a Go-like error text.
    static func run(_ argv: [String], extraEnvironment: [String]) -> String? {
        var env: [String] = []
        var p = environ
        while let entry = p.pointee {
            env.append(String(cString: entry))
            p += 1
        }
        env += extraEnvironment
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup($0) } + [nil]
        defer {
            for a in cArgs { free(a) }
            for e in cEnv { free(e) }
        }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], nil, nil, cArgs, cEnv)
        if rc != 0 { return "exec: \(GoText.quote(argv[0])): executable file not found in $PATH" }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        if exited && code == 0 { return nil }
        return exited ? "exit status \(code)" : "signal: \(status & 0x7f)"
    }
}
