extension CompletionScript {
    /// fish: one `complete` rule whose condition, `__kvctl_ask`, asks the program and leaves the candidates
    /// (`name<TAB>description`, which fish shows as a description) in a global variable. The condition fails
    /// when fish should offer files instead, since fish completes files when no no-files rule applies.
    static func fish(_ program: String, descriptions: Bool) -> String {
        let id = identifier(program)
        let ask = "__\(id)_ask", has = "__\(id)_has", candidates = "__\(id)_candidates"
        let keep = descriptions ? "$line" : #"(string split -m 1 \t -- $line)[1]"#
        return #"""
            # fish completion for \#(program)                         -*- shell-script -*-
            # Load with: \#(program) completion fish | source, or save as ~/.config/fish/completions/\#(program).fish
            # \#(program) completes itself: `\#(program) __complete <words…> <partial word>` prints one candidate a line
            # (name<TAB>description), then :<directive>, a sum of 1 (error: offer nothing), 2 (no space after
            # the word), 4 (no files), 8 (the candidates are file extensions), 16 (directories only).

            # Whether the directive $argv[1] has the bit $argv[2].
            function \#(has)
                test (math "floor($argv[1] / $argv[2]) % 2") -eq 1
            end

            # Asks \#(program) about the token under the cursor and sets $\#(candidates). Fails when fish should
            # complete file names instead.
            function \#(ask)
                set -g \#(candidates)
                set -l words (commandline -opc)
                set -l partial (commandline -ct)
                set -l out ($words[1] __complete $words[2..-1] "$partial" 2>/dev/null)
                or return 0
                set -l directive 0
                if string match -qr '^:[0-9]+$' -- "$out[-1]"
                    set directive (string sub -s 2 -- $out[-1])
                    set -e out[-1]
                end
                \#(has) $directive 1; and return 0
                if \#(has) $directive 16
                    set -g \#(candidates) (__fish_complete_directories "$partial")
                    return 0
                end
                \#(has) $directive 8; and return 1
                for line in $out
                    test -n "$line"; and set -ga \#(candidates) \#(keep)
                end
                if test (count $\#(candidates)) -eq 0
                    \#(has) $directive 4; and return 0
                    return 1
                end
                if \#(has) $directive 2; and test (count $\#(candidates)) -eq 1
                    # fish ends a lone candidate with a space; a second one, a character longer, keeps the
                    # cursor at the end of the word.
                    set -l name (string split -m 1 \t -- $\#(candidates)[1])[1]
                    set -g \#(candidates) $name $name.
                end
                return 0
            end

            complete -c \#(program) -e
            complete -c \#(program) -n \#(ask) -f -a '$\#(candidates)'

            """#
    }
}
