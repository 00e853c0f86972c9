/// `completion bash|fish|powershell|zsh` prints a script (``CompletionScript``) that completes kvctl's
/// commands and flags by asking kvctl itself: `__complete`, below, answers as etcdctl's own does.
enum CompletionCommands {
    static func make(program: String) -> Command {
        let completion = Command("completion", short: "Generate the autocompletion script for the specified shell", long: """
            Generate the autocompletion script for \(program) for the specified shell.
            See each sub-command's help for details on how to use the generated script.
            """)
        for shell in CompletionScript.allCases { completion.add(script(shell, program: program)) }
        return completion
    }

    private static func script(_ shell: CompletionScript, program: String) -> Command {
        Command(shell.name, short: "Generate the autocompletion script for \(shell.name)", long: shell.usage(program: program),
                flags: [.bool("no-descriptions", "disable completion descriptions")],
                flagsInUseLine: shell.name != "bash", action: { inv throws(CtlError) in
            if let word = inv.args.first {
                // cobra's NoArgs: the usage, then the error twice (as for a flag error).
                let message = "unknown command \(GoText.quote(word)) for \"\(inv.command.path(program: program))\""
                inv.console.out(inv.command.help(program: program, version: KVCtl.version, apiVersion: KVCtl.apiVersion))
                inv.console.errLine("Error: \(message)")
                inv.console.errLine("")
                throw .error(message)
            }
            inv.console.out(shell.text(program: program, descriptions: !inv.flags.bool("no-descriptions")))
        })
    }

    // MARK: __complete

    /// Answers `__complete <words…> <partial>`: the candidates for the last word.
    static func complete(_ arguments: [String], root: Command, console: Console) {
        let partial = arguments.last ?? ""
        let before = Array(arguments.dropLast())
        let (command, rest) = Parser.find(before, from: root)
        var directive = CompletionScript.Directive.noFileComp
        if let last = rest.last, last.hasPrefix("-"), !last.contains("="),
           let flag = last.hasPrefix("--") ? command.flag(named: String(last.dropFirst(2)))
                                          : (last.count == 2 ? command.flag(short: last.last!) : nil),
           flag.kind != .bool {
            directive = 0   // a flag's value: nothing to offer, the shell's files
        } else if partial.hasPrefix("-") {
            // cobra's order: the inherited flags, then the command's own, each sorted.
            let flags = (command.globalFlags.sorted { $0.name < $1.name } + command.flags.sorted { $0.name < $1.name })
                .filter { !$0.hidden }
            for flag in flags where ("--" + flag.name).hasPrefix(partial) {
                console.line("--\(flag.name)\t\(flag.usage)")
            }
        } else if !command.subcommands.isEmpty {
            for sub in command.subcommands.sorted(by: { $0.name < $1.name }) where !sub.hidden && sub.name.hasPrefix(partial) {
                console.line("\(sub.name)\t\(sub.short)")
            }
        } else {
            directive = 0
        }
        console.line(":\(directive)")
        let name = directive == CompletionScript.Directive.noFileComp ? "ShellCompDirectiveNoFileComp" : "ShellCompDirectiveDefault"
        console.errLine("Completion ended with directive: \(name)")
    }
}
