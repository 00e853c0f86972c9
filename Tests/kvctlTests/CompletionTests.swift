import Glibc
import Testing
import TestSupport
@testable import KVCtlCore

/// `completion` and `__complete`: the help texts against etcdctl 3.4.23's (Golden/help), cobra's protocol,
/// and every script run by its real shell against the built kvctl. A shell run is skipped, with the reason
/// printed, where the shell or the binary is missing; every run is bounded by `timeout`.
@Suite(.serialized) struct CompletionTests {
    // MARK: help

    /// cobra leaves `[flags]` out of `completion bash`'s USAGE line only: the goldens show it.
    @Test(arguments: ["completion", "completion bash", "completion fish", "completion powershell", "completion zsh"])
    func helpMatchesEtcdctl(command: String) {
        let words = command.split(separator: " ").map(String.init)
        let result = kvctl(words + ["--help"])
        #expect(result.code == 0 && result.err == "")
        #expect(result.out == golden("help/\(words.joined(separator: "_")).txt"))
    }

    @Test func completionAloneOrWithAnUnknownShellPrintsItsHelp() {
        for args in [["completion"], ["completion", "frob"]] {
            let r = kvctl(args)
            #expect(r.code == 0 && r.out == golden("help/completion.txt"), "\(args)")
        }
    }

    @Test func anArgumentAfterTheShellIsAnUnknownCommand() {
        let r = kvctl(["completion", "fish", "--no-descriptions", "x"])
        #expect(r.code == 1)
        #expect(r.out == golden("help/completion_fish.txt"))
        let error = "Error: unknown command \"x\" for \"etcdctl completion fish\"\n"
        #expect(r.err == error + "\n" + error)
    }

    // MARK: __complete

    @Test(arguments: [
        (["get", "--pre"], "--prefix\tGet keys with matching prefix\n:4\n"),
        (["lease", "g"], "grant\tCreates leases\n:4\n"),
        (["get", "k"], ":0\n"),                   // a key: the shell's default
        (["get", "--endpoints", ""], ":0\n"),     // a flag's value
        (["zz"], ":4\n"),                         // no such command, and no files
    ])
    func completeAnswersAsEtcdctl(words: [String], answer: String) {
        let r = kvctl(["__complete"] + words)
        #expect(r.code == 0 && r.out == answer)
        let name = answer.hasSuffix(":4\n") ? "ShellCompDirectiveNoFileComp" : "ShellCompDirectiveDefault"
        #expect(r.err == "Completion ended with directive: \(name)\n")
    }

    // MARK: the scripts' texts

    /// What each script must contain to complete `program` (and nothing naming the other program).
    static let markers: [(shell: String, marker: @Sendable (String) -> String)] = [
        ("bash", { "complete -F _\($0)_complete \($0)\n" }),
        ("fish", { "complete -c \($0) -n __\($0)_ask -f -a '$__\($0)_candidates'\n" }),
        ("powershell", { "Register-ArgumentCompleter -Native -CommandName '\($0)' -ScriptBlock {" }),
        ("zsh", { "compdef _\($0) \($0)" }),
    ]

    @Test func scriptsNameTheProgramTheyRunAs() {
        for (shell, marker) in Self.markers {
            for (program, other) in [("kvctl", "etcdctl"), ("etcdctl", "kvctl")] {
                for extra in [[], ["--no-descriptions"]] {
                    let r = kvctl(["completion", shell] + extra, program: program)
                    #expect(r.code == 0 && r.err == "", "\(shell) \(program)")
                    #expect(r.out.contains(marker(program)), "\(shell) \(program)")
                    #expect(r.out.contains("\(program) __complete"), "\(shell) \(program)")
                    #expect(!r.out.contains(other), "\(shell) \(program) names \(other)")
                }
            }
        }
        #expect(kvctl(["completion", "zsh"]).out.hasPrefix("#compdef etcdctl\n"))
    }

    @Test func noDescriptionsChangesTheScripts() {
        #expect(kvctl(["completion", "zsh"]).out.contains(" descriptions=1\n"))
        #expect(kvctl(["completion", "zsh", "--no-descriptions"]).out.contains(" descriptions=0\n"))
        #expect(kvctl(["completion", "powershell"]).out.contains("$descriptions = $true\n"))
        #expect(kvctl(["completion", "powershell", "--no-descriptions"]).out.contains("$descriptions = $false\n"))
        #expect(kvctl(["completion", "fish"]).out.contains("set -ga __etcdctl_candidates $line\n"))
        #expect(kvctl(["completion", "fish", "--no-descriptions"]).out
            .contains("set -ga __etcdctl_candidates (string split -m 1 \\t -- $line)[1]\n"))
    }

    @Test func powershellScriptHonoursTheDirectives() {
        let script = kvctl(["completion", "powershell"], program: "kvctl").out
        for piece in [
            "param($wordToComplete, $commandAst, $cursorPosition)",
            "& $program __complete @arguments $partial",
            "if ($directive -band 1) { return '' }",      // error: nothing, not even paths
            "if ($directive -band 24) { return }",        // extensions, directories: PowerShell's paths
            "if ($directive -band 4) { return '' }",      // no files
            "-not ($directive -band 2)",                  // no space
            "[System.Management.Automation.CompletionResult]::new(",
        ] {
            #expect(script.contains(piece), "\(piece)")
        }
    }

    // MARK: the scripts in their shells

    /// The candidates of the fake kvctl's answers, and the files the shells may offer.
    static let fakeKVCtl = #"""
        #!/bin/sh
        # Stands in for kvctl's __complete: the answer depends on the word after the program.
        case $2 in
            nospace) printf 'only\tthe one\n:6\n' ;;
            error) printf 'error\tnot shown\n:1\n' ;;
            nofiles) printf ':4\n' ;;
            files) printf ':0\n' ;;
            ext) printf 'json\n:8\n' ;;
            dirs) printf ':16\n' ;;
            dirsin) printf 'subdir\n:16\n' ;;
            colon) printf 'a:b\tdesc: c\n:4\n' ;;
            echo) printf '<%s>' "$@"; printf '\n:4\n' ;;
            *) exit 1 ;;
        esac

        """#

    /// A scratch directory: `real/` holds the built binary as `kvctl` and `etcdctl`, `fake/` a `kvctl` that
    /// answers by ``fakeKVCtl``, `work/` (where the shells run) the files to complete, `home/` an empty home.
    final class Fixture {
        let dir: String
        let binary: String

        init?(_ test: String) {
            binary = DropInTests.productsDirectory() + "/kvctl"
            guard access(binary, X_OK) == 0 else {
                print("\(test): skipped (no \(binary); `swift build` first)")
                return nil
            }
            dir = DropInTests.temporaryDirectory()
            let setup = """
                cd '\(dir)' && mkdir -p real fake home work/subdir/inner && ln -s '\(binary)' real/kvctl && \
                ln -s '\(binary)' real/etcdctl && touch work/a.json work/b.txt work/x.json work/x.txt work/zzfile
                """
            guard (try? ShellCommand.run(setup).status) == 0 else { return nil }
            write(CompletionTests.fakeKVCtl, to: "fake/kvctl")
            chmod(dir + "/fake/kvctl", 0o755)
        }

        deinit { _ = try? ShellCommand.run("rm -rf '\(dir)'") }

        func write(_ text: String, to name: String) {
            guard let file = fopen(dir + "/" + name, "w") else { return }
            fputs(text, file)
            fclose(file)
        }

        /// Runs `script` (saved as a file) with `shell` in `work/`, the `real` or `fake` kvctl first on PATH,
        /// for at most 30 seconds: its standard output, its status and its standard error.
        func run(_ shell: String, _ script: String, fake: Bool = false, name: String = "script") throws
            -> (out: String, status: Int32, err: String) {
            write(script, to: name)
            let bin = dir + (fake ? "/fake" : "/real")
            let command = """
                cd '\(dir)/work' && HOME='\(dir)/home' XDG_CONFIG_HOME='\(dir)/home' XDG_DATA_HOME='\(dir)/home' \
                PATH='\(bin)':"$PATH" LC_ALL=C \(shell) '\(dir)/\(name)' 2>'\(dir)/stderr'
                """
            let result = try ShellCommand.run(command, seconds: 30)
            return (result.output, result.status, DropInTests.readFile(dir + "/stderr") ?? "")
        }
    }

    /// The shell's path, or nil (reason printed).
    static func shell(_ name: String, for test: String) -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        for directory in path.split(separator: ":").map(String.init) + ["/usr/bin", "/bin", "/usr/local/bin"]
        where access(directory + "/" + name, X_OK) == 0 {
            return directory + "/" + name
        }
        print("\(test): skipped (no \(name) on PATH)")
        return nil
    }

    @Test func bashCompletes() throws {
        guard let bash = Self.shell("bash", for: "bashCompletes"), let fixture = Fixture("bashCompletes") else { return }
        // `t WORDS…` completes the last word as bash would and prints the sorted COMPREPLY; compopt (which
        // works only while bash completes a line) is replaced by a function that says what it was asked.
        let prelude = """
            compopt() { echo "compopt $*"; }
            t() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _kvctl_complete; echo "$* ->" $(printf '%s\\n' "${COMPREPLY[@]}" | sort); }

            """
        let real = try fixture.run(bash, "source <(kvctl completion bash)\n" + prelude + """
            t kvctl le
            t kvctl get --pre
            t kvctl lease ''
            t kvctl get x
            t kvctl zz
            source <(etcdctl completion bash)
            complete -p etcdctl
            """)
        #expect(real.status == 0, "\(real.err)")
        #expect(real.out == """
            kvctl le -> lease
            kvctl get --pre -> --prefix
            kvctl lease  -> grant keep-alive list revoke timetolive
            compopt -o filenames
            kvctl get x -> x.json x.txt
            kvctl zz ->
            complete -F _etcdctl_complete etcdctl

            """, "\(real.err)")

        let fake = try fixture.run(bash, "source <(\(fixture.binary) completion bash)\n" + prelude + """
            t kvctl nospace ''
            t kvctl error b
            t kvctl nofiles b
            t kvctl fail b
            t kvctl files b
            t kvctl ext ''
            t kvctl dirs ''
            t kvctl dirsin ''
            t kvctl colon ''
            t kvctl echo 'a b' ''
            """, fake: true)
        #expect(fake.status == 0, "\(fake.err)")
        #expect(fake.out == """
            compopt -o nospace
            kvctl nospace  -> only
            kvctl error b ->
            kvctl nofiles b ->
            kvctl fail b ->
            compopt -o filenames
            kvctl files b -> b.txt
            compopt -o filenames
            kvctl ext  -> a.json subdir x.json
            compopt -o filenames
            kvctl dirs  -> subdir
            compopt -o filenames
            kvctl dirsin  -> inner
            kvctl colon  -> a:b
            kvctl echo a b  -> <__complete><echo><a b><>

            """, "\(fake.err)")
    }

    @Test func fishCompletes() throws {
        guard let fish = Self.shell("fish", for: "fishCompletes"), let fixture = Fixture("fishCompletes") else { return }
        // `t LINE` prints what `complete -C` offers for the command line, sorted; `n LINE` the names only.
        let prelude = """
            function t; echo "$argv ->" (complete -C "$argv" | sort); end
            function n; echo "$argv ->" (complete -C "$argv" | string replace -r '\\t.*' '' | sort); end

            """
        let real = try fixture.run(fish, prelude + """
            kvctl completion fish | source
            t 'kvctl le'
            t 'kvctl get --pre'
            t 'kvctl lease '
            t 'kvctl get x'
            t 'kvctl zz'
            etcdctl completion fish --no-descriptions | source
            t 'etcdctl lease '
            """)
        #expect(real.status == 0, "\(real.err)")
        #expect(real.out == """
            kvctl le -> lease\tLease related commands
            kvctl get --pre -> --prefix\tGet keys with matching prefix
            kvctl lease  -> grant\tCreates leases keep-alive\tKeeps leases alive (renew) list\tList all active leases \
            revoke\tRevokes leases timetolive\tGet lease information
            kvctl get x -> x.json x.txt
            kvctl zz ->
            etcdctl lease  -> grant keep-alive list revoke timetolive

            """, "\(real.err)")

        let fake = try fixture.run(fish, prelude + """
            \(fixture.binary) completion fish | source
            t 'kvctl nospace '
            t 'kvctl error b'
            t 'kvctl nofiles b'
            t 'kvctl fail b'
            n 'kvctl files b'
            n 'kvctl ext x'
            n 'kvctl dirs '
            t 'kvctl colon '
            t "kvctl echo 'a b' "
            """, fake: true)
        #expect(fake.status == 0, "\(fake.err)")
        #expect(fake.out == """
            kvctl nospace  -> only only.
            kvctl error b ->
            kvctl nofiles b ->
            kvctl fail b ->
            kvctl files b -> b.txt
            kvctl ext x -> x.json x.txt
            kvctl dirs  -> subdir/
            kvctl colon  -> a:b\tdesc: c
            kvctl echo 'a b'  -> <__complete><echo><a b><>

            """, "\(fake.err)")
    }

    /// zsh's completion function called as compsys would, with `_describe` and `_files` replaced by
    /// functions that print their arguments (and the described candidates).
    @Test func zshFunctionHandsCandidatesToDescribe() throws {
        guard let zsh = Self.shell("zsh", for: "zshFunctionHandsCandidatesToDescribe"),
              let fixture = Fixture("zshFunctionHandsCandidatesToDescribe") else { return }
        let prelude = """
            autoload -U compinit && compinit -u -D
            _describe() { print -r -- "  _describe $*"; local e; for e in "${(@P)2}"; do print -r -- "    $e"; done }
            _files() { print -r -- "  _files $*" }
            t() { print -r -- "$*"; words=("$@"); CURRENT=$#; _kvctl }

            """
        let real = try fixture.run("\(zsh) -f", prelude + """
            source <(kvctl completion zsh)
            print -r -- "registered: $_comps[kvctl]"
            t kvctl le
            t kvctl get --pre
            t kvctl get x
            t kvctl zz
            source <(etcdctl completion zsh --no-descriptions)
            print -r -- "registered: $_comps[etcdctl]"
            words=(etcdctl le); CURRENT=2; _etcdctl
            """)
        #expect(real.status == 0, "\(real.err)")
        #expect(real.out == """
            registered: _kvctl
            kvctl le
              _describe completions described
                lease:Lease related commands
            kvctl get --pre
              _describe completions described
                --prefix:Get keys with matching prefix
            kvctl get x
              _files \("")
            kvctl zz
            registered: _etcdctl
              _describe completions described
                lease

            """, "\(real.err)")

        let fake = try fixture.run("\(zsh) -f", prelude + """
            source <(\(fixture.binary) completion zsh)
            t kvctl nospace ''
            t kvctl error ''
            t kvctl fail ''
            t kvctl nofiles ''
            t kvctl files ''
            t kvctl ext ''
            t kvctl dirs ''
            t kvctl dirsin ''
            t kvctl colon ''
            t kvctl echo "'a b'" ''
            """, fake: true)
        #expect(fake.status == 0, "\(fake.err)")
        #expect(fake.out == """
            kvctl nospace \("")
              _describe completions described -S \("")
                only:the one
            kvctl error \("")
            kvctl fail \("")
            kvctl nofiles \("")
            kvctl files \("")
              _files \("")
            kvctl ext \("")
              _files -g *.json
            kvctl dirs \("")
              _files -/
            kvctl dirsin \("")
              _files -/ -W \(fixture.dir)/work/subdir
            kvctl colon \("")
              _describe completions described
                a\\:b:desc: c
            kvctl echo 'a b' \("")
              _describe completions described
                <__complete><echo><a b><>

            """, "\(fake.err)")
    }

    /// zsh for real: an interactive zsh on a pseudo-terminal (zsh/zpty) is typed each line and a Tab, and
    /// records the command line the completion left (a widget bound to ^T), one `[line]` each.
    @Test func zshCompletesWhenTyping() throws {
        guard let zsh = Self.shell("zsh", for: "zshCompletesWhenTyping"),
              let fixture = Fixture("zshCompletesWhenTyping") else { return }
        guard (try? ShellCommand.run("\(zsh) -f -c 'zmodload zsh/zpty'").status) == 0 else {
            print("zshCompletesWhenTyping: skipped (zsh has no zsh/zpty module)")
            return
        }
        func typing(_ lines: [String], fake: Bool) throws -> (out: String, status: Int32, err: String) {
            try fixture.run("\(zsh) -f", """
                zmodload zsh/zpty
                zpty shell 'TERM=dumb \(zsh) -f -i'
                # The prompt, set last, says the setup is done and the line editor reads the keys.
                zpty -w shell "bindkey -e; autoload -U compinit && compinit -u -D && \\
                    source <(\(fixture.binary) completion zsh) && \\
                    dump() { print -r -- \\"[\\$BUFFER]\\" >> ../typed } && zle -N dump && bindkey '^T' dump; PS1='<ready''>'"
                zpty -r -m shell ignored '*<ready>*'
                local -a lines=(\(lines.map { "'\($0)'" }.joined(separator: " ")))
                local line
                for line in $lines; do zpty -w -n shell "$line"$'\\t\\x14\\x15'; done
                for i in {1..100}; do
                    [[ -f ../typed && ${#${(f)"$(<../typed)"}} -ge ${#lines} ]] && break
                    sleep 0.1
                done
                zpty -d shell
                cat ../typed && rm ../typed
                """, fake: fake)
        }
        let real = try typing(["kvctl lea", "kvctl get --pre", "kvctl lease rev", "kvctl zz", "kvctl get b"], fake: false)
        #expect(real.out == """
            [kvctl lease ]
            [kvctl get --prefix ]
            [kvctl lease revoke ]
            [kvctl zz]
            [kvctl get b.txt ]

            """, "\(real.err)")
        let fake = try typing(["kvctl nospace ", "kvctl error b", "kvctl fail b", "kvctl nofiles b", "kvctl files b",
                               "kvctl ext x", "kvctl dirs s", "kvctl dirsin i", "kvctl colon a"], fake: true)
        #expect(fake.out == """
            [kvctl nospace only]
            [kvctl error b]
            [kvctl fail b]
            [kvctl nofiles b]
            [kvctl files b.txt ]
            [kvctl ext x.json ]
            [kvctl dirs subdir/]
            [kvctl dirsin inner/]
            [kvctl colon a:b ]

            """, "\(fake.err)")
    }

    @Test func powershellCompletes() throws {
        // Where PowerShell is missing, powershellScriptHonoursTheDirectives still checks the script's text.
        guard let pwsh = Self.shell("pwsh", for: "powershellCompletes"), let fixture = Fixture("powershellCompletes") else { return }
        let r = try fixture.run("\(pwsh) -NoProfile -NonInteractive -File", """
            kvctl completion powershell | Out-String | Invoke-Expression
            foreach ($line in 'kvctl le', 'kvctl get --pre', 'kvctl lease ') {
                $result = TabExpansion2 -inputScript $line -cursorColumn $line.Length
                "$line ->" + (($result.CompletionMatches | ForEach-Object { ' ' + $_.CompletionText }) -join '')
            }
            """, name: "script.ps1")
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == """
            kvctl le -> lease \("")
            kvctl get --pre -> --prefix \("")
            kvctl lease  -> grant keep-alive list revoke timetolive

            """, "\(r.err)")
    }
}
