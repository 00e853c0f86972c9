#if canImport(Glibc)
import Glibc
#endif

/// Reading passwords from standard input the way etcdctl does (its `speakeasy.Ask` and `fmt.Scanf`).
///
/// On a terminal the typed password is not echoed; echo comes back after the line, and also when the
/// process is interrupted while asking (otherwise Ctrl-C would leave the shell without echo). Without a
/// terminal the line is simply read, so `printf 'pw\n' | kvctl user passwd alice` works as with etcdctl
/// (which also tries `stty` and prints its complaints; kvctl does not).
extension Console {
    /// `speakeasy.Ask`: the prompt on stdout, one line read without echo, a newline on stdout after it.
    /// The answer has surrounding white space removed; end of input gives what was read so far (often "").
    public func askPassword(_ prompt: String) -> String {
        out(prompt)
        flush()
        let line = EchoGuard.withEchoOff(terminal: isTerminal) { readLine()?.line ?? [] }
        out("\n")
        flush()
        return Console.trimmingSpace(String(decoding: line, as: UTF8.self))
    }

    /// `fmt.Scanf("%s", &password)` (`--interactive=false`): the first word of the first line. Blanks
    /// before it are skipped; an empty line or end of input gives "".
    public func scanWord() -> String {
        guard let (line, _) = readLine() else { return "" }
        var word: [UInt8] = []
        var started = false
        for byte in line {
            if byte == 0x0a { break }
            let blank = byte == 0x20 || byte == 0x09 || byte == 0x0d || byte == 0x0b || byte == 0x0c
            if blank {
                if started { break }
                continue
            }
            started = true
            word.append(byte)
        }
        return String(decoding: word, as: UTF8.self)
    }

    /// Whether standard input is a terminal (never for a captured console).
    public var isTerminal: Bool { isLive && isatty(0) == 1 }

    /// Go's `strings.TrimSpace`.
    static func trimmingSpace(_ text: String) -> String {
        var scalars = Substring(text).unicodeScalars[...]
        while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}

/// Turns terminal echo off around a read and guarantees it comes back.
enum EchoGuard {
    /// The terminal settings to restore from a signal handler (only set while echo is off).
    nonisolated(unsafe) private static var saved = termios()
    private static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    static func withEchoOff<T>(terminal: Bool, _ body: () -> T) -> T {
        guard terminal, tcgetattr(0, &saved) == 0 else { return body() }
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        var previous: [sigaction] = []
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in
                // Async-signal-safe only: restore the terminal, then die of the signal as usual.
                _ = tcsetattr(0, TCSANOW, &EchoGuard.saved)
                Glibc.signal(number, SIG_DFL)
                raise(number)
            }
            sigemptyset(&action.sa_mask)
            var old = sigaction()
            sigaction(signal, &action, &old)
            previous.append(old)
        }
        _ = tcsetattr(0, TCSANOW, &quiet)
        let result = body()
        _ = tcsetattr(0, TCSANOW, &saved)
        for (signal, old) in zip(signals, previous) {
            var old = old
            sigaction(signal, &old, nil)
        }
        return result
    }
}
