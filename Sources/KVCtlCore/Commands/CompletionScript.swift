/// The shells `completion` writes a script for, and what every script shares: it completes a command line
/// by asking the program itself, `kvctl __complete <words before the cursor…> <partial word>` (cobra's
/// protocol, so the answers are etcdctl's own), and shows the answer in the shell's way.
///
/// The answer is one candidate a line, `name<TAB>description` (the description may be missing), then
/// `:<directive>`, a sum of ``Directive`` bits. For `kvctl get --pre<TAB>`:
///
///     --prefix	Get keys with matching prefix
///     :4
///
/// Every script reads the directive the same way:
/// - 1 (error), or the program failing: offer nothing, not even files;
/// - 2 (no space): leave the cursor at the end of a lone completed word (for `--flag=` style values);
/// - 4 (no file completion): when no candidate fits, offer nothing rather than the shell's file names;
///   without it, no candidate means the shell's own file completion;
/// - 8 (file extensions): the candidates are extensions (`json`); offer the files that have one, and
///   directories (fish and PowerShell offer every file);
/// - 16 (directories): offer directories only; bash and zsh look under the first candidate when there is
///   one (fish looks in the current directory, PowerShell offers every path).
///
/// Today `__complete` answers only 4 and 0; the scripts honour every bit so that a richer answer needs
/// no new script.
///
/// A script is named after the program (`kvctl`, or `etcdctl` when run under that name) and asks the program
/// as typed on the command line, so a drop-in `etcdctl` symlink completes with the same code.
enum CompletionScript: CaseIterable {
    case bash, fish, powershell, zsh

    /// cobra's `ShellCompDirective` bits.
    enum Directive {
        static let error = 1
        static let noSpace = 2
        static let noFileComp = 4
        static let filterFileExt = 8
        static let filterDirs = 16
    }

    var name: String {
        switch self {
        case .bash: "bash"
        case .fish: "fish"
        case .powershell: "powershell"
        case .zsh: "zsh"
        }
    }

    /// The script for `program`; without `descriptions`, candidates are shown by name only
    /// (`completion <shell> --no-descriptions`).
    func text(program: String, descriptions: Bool) -> String {
        switch self {
        case .bash: Self.bash(program)
        case .fish: Self.fish(program, descriptions: descriptions)
        case .powershell: Self.powershell(program, descriptions: descriptions)
        case .zsh: Self.zsh(program, descriptions: descriptions)
        }
    }

    /// A shell identifier made from the program's name: `kvctl` stays `kvctl`, `etcd-ctl` becomes `etcd_ctl`.
    static func identifier(_ program: String) -> String {
        String(program.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// etcdctl 3.4.23's DESCRIPTION of `completion <shell>` (cobra's words), naming `program`.
    func usage(program p: String) -> String {
        switch self {
        case .bash:
            // Our script needs no bash-completion package; the text stays etcdctl's.
            """
            Generate the autocompletion script for the bash shell.

            This script depends on the 'bash-completion' package.
            If it is not installed already, you can install it via your OS's package manager.

            To load completions in your current shell session:

            \tsource <(\(p) completion bash)

            To load completions for every new session, execute once:

            #### Linux:

            \t\(p) completion bash > /etc/bash_completion.d/\(p)

            #### macOS:

            \t\(p) completion bash > $(brew --prefix)/etc/bash_completion.d/\(p)

            You will need to start a new shell for this setup to take effect.
            """
        case .fish:
            """
            Generate the autocompletion script for the fish shell.

            To load completions in your current shell session:

            \t\(p) completion fish | source

            To load completions for every new session, execute once:

            \t\(p) completion fish > ~/.config/fish/completions/\(p).fish

            You will need to start a new shell for this setup to take effect.
            """
        case .powershell:
            """
            Generate the autocompletion script for powershell.

            To load completions in your current shell session:

            \t\(p) completion powershell | Out-String | Invoke-Expression

            To load completions for every new session, add the output of the above command
            to your powershell profile.
            """
        case .zsh:
            """
            Generate the autocompletion script for the zsh shell.

            If shell completion is not already enabled in your environment you will need
            to enable it.  You can execute the following once:

            \techo "autoload -U compinit; compinit" >> ~/.zshrc

            To load completions in your current shell session:

            \tsource <(\(p) completion zsh); compdef _\(p) \(p)

            To load completions for every new session, execute once:

            #### Linux:

            \t\(p) completion zsh > "${fpath[1]}/_\(p)"

            #### macOS:

            \t\(p) completion zsh > $(brew --prefix)/share/zsh/site-functions/_\(p)

            You will need to start a new shell for this setup to take effect.
            """
        }
    }
}
