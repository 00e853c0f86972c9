extension CompletionScript {
    /// zsh: a completion function for compsys (`compinit`), `_kvctl`, that hands the candidates to
    /// `_describe` (names with their descriptions) and falls back to `_files`. Loaded by `source` it
    /// registers itself with `compdef`; saved as `_kvctl` in `$fpath` it is autoloaded by its `#compdef` line.
    static func zsh(_ program: String, descriptions: Bool) -> String {
        let fn = "_\(identifier(program))"
        return #"""
            #compdef \#(program)
            # zsh completion for \#(program)                          -*- shell-script -*-
            # Load with: source <(\#(program) completion zsh), or save as \#(fn) in a directory of $fpath.
            # \#(program) completes itself: `\#(program) __complete <words…> <partial word>` prints one candidate a line
            # (name<TAB>description), then :<directive>, a sum of 1 (error: offer nothing), 2 (no space after
            # the word), 4 (no files), 8 (the candidates are file extensions), 16 (directories only).
            \#(fn)() {
                local out line name directive=0 descriptions=\#(descriptions ? 1 : 0)
                local -a candidates described patterns
                out=$(${(Q)words[1]} __complete "${(@Q)words[2,CURRENT]}" 2>/dev/null) || return 1
                for line in "${(@f)out}"; do
                    case $line in
                        (:*) directive=${line#:} ;;
                        (?*) candidates+=("$line") ;;
                    esac
                done
                [[ $directive == <-> ]] || directive=0
                (( directive & 1 )) && return 1
                if (( directive & 8 )); then
                    for name in "${(@)candidates%%$'\t'*}"; do patterns+=("*.$name"); done
                    _files -g "${(j: :)patterns}"
                    return
                fi
                if (( directive & 16 )); then
                    # _files wants the base directory absolute.
                    if (( ${#candidates} )); then name=${candidates[1]%%$'\t'*}; _files -/ -W "${name:a}"; else _files -/; fi
                    return
                fi
                for line in "${candidates[@]}"; do
                    name=${line%%$'\t'*}
                    name=${name//:/\\:}
                    if (( descriptions )) && [[ $line == *$'\t'?* ]]; then
                        described+=("$name:${line#*$'\t'}")
                    else
                        described+=("$name")
                    fi
                done
                if (( ${#described} )); then
                    if (( directive & 2 )); then
                        _describe 'completions' described -S ''
                    else
                        _describe 'completions' described
                    fi
                elif (( ! (directive & 4) )); then
                    _files
                fi
            }
            if [[ $zsh_eval_context[-1] == loadautofunc ]]; then \#(fn) "$@"; else compdef \#(fn) \#(program); fi

            """#
    }
}
