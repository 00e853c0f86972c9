/// `completion bash|zsh|fish|powershell` prints a script that completes kvctl's commands and flags by
/// asking kvctl itself (`kvctl __complete <words…> <partial word>`, cobra's protocol, so the answers are
/// the same as etcdctl's own `__complete`): candidates one per line as `name<TAB>description`, then
/// `:<directive>` (4: no file completion; 0: the shell's default, files).
enum CompletionCommands {
    static func make(program: String) -> Command {
        Command("completion", short: "Generate the autocompletion script for the specified shell", use: "[command]").add(
            script("bash", program: program, bashScript),
            unsupportedShell("fish"),
            unsupportedShell("powershell"),
            script("zsh", program: program, zshScript))
    }

    private static func script(_ shell: String, program: String, _ body: @escaping (String) -> String) -> Command {
        Command(shell, short: "Generate the autocompletion script for \(shell)", action: { inv throws(CtlError) in
            inv.console.out(body(program))
        })
    }

    private static func unsupportedShell(_ shell: String) -> Command {
        Command(shell, short: "Generate the autocompletion script for \(shell)", action: { _ throws(CtlError) in
            throw .error("completion \(shell) is not supported by kvctl (bash and zsh are)")
        })
    }

    static func bashScript(_ program: String) -> String {
        let fn = "_" + program.map { $0.isLetter || $0.isNumber ? $0 : "_" }.reduce("") { $0 + String($1) } + "_complete"
        return """
            # bash completion for \(program)                         -*- shell-script -*-
            # Load with: source <(\(program) completion bash)
            \(fn)() {
                local cur=${COMP_WORDS[COMP_CWORD]} out directive line
                local -a words=("${COMP_WORDS[@]:1:COMP_CWORD-1}")
                out=$("${COMP_WORDS[0]}" __complete "${words[@]}" "$cur" 2>/dev/null) || return
                directive=${out##*:}
                COMPREPLY=()
                while IFS= read -r line; do
                    [[ -z $line || $line == :* ]] && continue
                    line=${line%%$'\\t'*}
                    [[ $line == "$cur"* ]] && COMPREPLY+=("$line")
                done <<< "$out"
                if [[ ${#COMPREPLY[@]} -eq 0 && $(( directive & 4 )) -eq 0 ]]; then
                    COMPREPLY=($(compgen -f -- "$cur"))
                fi
            }
            complete -F \(fn) \(program)

            """
    }

    static func zshScript(_ program: String) -> String {
        let fn = "_" + program
        return """
            #compdef \(program)
            # zsh completion for \(program). Load with: source <(\(program) completion zsh)
            \(fn)() {
                local out directive line
                local -a completions
                out=$(${words[1]} __complete "${(@)words[2,$CURRENT]}" 2>/dev/null) || return
                directive=${out##*:}
                for line in ${(f)out}; do
                    [[ $line == :* ]] && continue
                    completions+=("${${line%%$'\\t'*}//:/\\\\:}:${line#*$'\\t'}")
                done
                if (( ${#completions} > 0 )); then
                    _describe 'completions' completions
                elif (( (directive & 4) == 0 )); then
                    _files
                fi
            }
            if [[ $zsh_eval_context[-1] == loadautofunc ]]; then \(fn) "$@"; else compdef \(fn) \(program); fi

            """
    }

    // MARK: __complete

    /// Answers `__complete <words…> <partial>`: the candidates for the last word.
    static func complete(_ arguments: [String], root: Command, console: Console) {
        let partial = arguments.last ?? ""
        let before = Array(arguments.dropLast())
        let (command, rest) = Parser.find(before, from: root)
        var directive = 4
        if let last = rest.last, last.hasPrefix("-"), !last.contains("="),
           let flag = last.hasPrefix("--") ? command.flag(named: String(last.dropFirst(2)))
                                          : (last.count == 2 ? command.flag(short: last.last!) : nil),
           flag.kind != .bool {
            directive = 0   // a flag's value: nothing to offer
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
        console.errLine("Completion ended with directive: \(directive == 4 ? "ShellCompDirectiveNoFileComp" : "ShellCompDirectiveDefault")")
    }
}
