extension CompletionScript {
    /// bash: a `complete -F` function filling `COMPREPLY`. It needs nothing but bash itself (no
    /// bash-completion package). Descriptions are never shown: bash lists names only.
    static func bash(_ program: String) -> String {
        let fn = "_\(identifier(program))_complete"
        return #"""
            # bash completion for \#(program)                         -*- shell-script -*-
            # Load with: source <(\#(program) completion bash)
            # \#(program) completes itself: `\#(program) __complete <words…> <partial word>` prints one candidate a line
            # (name<TAB>description), then :<directive>, a sum of 1 (error: offer nothing), 2 (no space after
            # the word), 4 (no files), 8 (the candidates are file extensions), 16 (directories only).
            \#(fn)() {
                local cur=${COMP_WORDS[COMP_CWORD]} out line directive=0
                local -a candidates=()
                COMPREPLY=()
                out=$("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null) || return
                while IFS= read -r line; do
                    case $line in
                        :*) directive=${line#:} ;;
                        ?*) candidates+=("${line%%$'\t'*}") ;;
                    esac
                done <<< "$out"
                [[ $directive =~ ^[0-9]+$ ]] || directive=0
                (( directive & 1 )) && return
                if (( directive & 8 )); then
                    local file ext
                    while IFS= read -r file; do
                        if [[ -d $file ]]; then COMPREPLY+=("$file"); continue; fi
                        for ext in "${candidates[@]}"; do
                            [[ $file == *."$ext" ]] && { COMPREPLY+=("$file"); break; }
                        done
                    done < <(compgen -f -- "$cur")
                    compopt -o filenames 2>/dev/null
                    return
                fi
                if (( directive & 16 )); then
                    if (( ${#candidates[@]} )); then
                        mapfile -t COMPREPLY < <(cd -- "${candidates[0]}" 2>/dev/null && compgen -d -- "$cur")
                    else
                        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
                    fi
                    compopt -o filenames 2>/dev/null
                    return
                fi
                for line in "${candidates[@]}"; do
                    [[ $line == "$cur"* ]] && COMPREPLY+=("$line")
                done
                if (( ${#COMPREPLY[@]} == 0 )); then
                    (( directive & 4 )) && return
                    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                    compopt -o filenames 2>/dev/null
                    return
                fi
                (( directive & 2 )) && compopt -o nospace 2>/dev/null
                return 0
            }
            complete -F \#(fn) \#(program)

            """#
    }
}
