extension CompletionScript {
    /// PowerShell: a native argument completer (`Register-ArgumentCompleter -Native`) that returns
    /// `CompletionResult`s: the name as inserted (quoted when PowerShell needs it), the name as listed, and
    /// the description as the tooltip. Returning nothing lets PowerShell complete paths; an empty string
    /// stops it from doing so.
    static func powershell(_ program: String, descriptions: Bool) -> String {
        #"""
        # powershell completion for \#(program)                   -*- shell-script -*-
        # Load with: \#(program) completion powershell | Out-String | Invoke-Expression
        # \#(program) completes itself: `\#(program) __complete <words…> <partial word>` prints one candidate a line
        # (name<TAB>description), then :<directive>, a sum of 1 (error: offer nothing), 2 (no space after
        # the word), 4 (no files), 8 (the candidates are file extensions), 16 (directories only).

        Register-ArgumentCompleter -Native -CommandName '\#(program)' -ScriptBlock {
            param($wordToComplete, $commandAst, $cursorPosition)
            $descriptions = $\#(descriptions ? "true" : "false")

            # The words before the cursor, unquoted; the first is the program as typed.
            $words = @()
            foreach ($element in $commandAst.CommandElements) {
                if ($element.Extent.StartOffset -ge $cursorPosition) { break }
                if ($element -is [System.Management.Automation.Language.StringConstantExpressionAst]) {
                    $words += $element.Value
                } else {
                    $words += $element.Extent.Text
                }
            }
            $program = $words[0]
            $arguments = @($words | Select-Object -Skip 1)
            if ($wordToComplete -ne '' -and $arguments.Count -gt 0) {
                # The partial word is among them: it goes last, on its own.
                $arguments = @($arguments | Select-Object -First ($arguments.Count - 1))
            }
            # Before 7.3 (and in Legacy mode) PowerShell drops an empty argument on its way to a program.
            $partial = $wordToComplete
            $version = $PSVersionTable.PSVersion
            if ($partial -eq '' -and ($version.Major -lt 7 -or ($version.Major -eq 7 -and $version.Minor -lt 3) -or
                                      $PSNativeCommandArgumentPassing -eq 'Legacy')) {
                $partial = '""'
            }

            try { $out = @(& $program __complete @arguments $partial 2>$null) } catch { return '' }
            $directive = 0
            if ($out.Count -gt 0 -and $out[-1] -match '^:(\d+)$') {
                $directive = [int]$Matches[1]
                $out = @($out | Select-Object -First ($out.Count - 1))
            }
            if ($directive -band 1) { return '' }
            if ($directive -band 24) { return }

            $candidates = @(foreach ($line in $out) {
                $name, $description = $line -split "`t", 2
                if (-not $name) { continue }
                if (-not $name.StartsWith($wordToComplete, [System.StringComparison]::Ordinal)) { continue }
                if (-not $descriptions -or -not $description) { $description = $name }
                [pscustomobject]@{ Name = $name; Description = $description }
            })
            if ($candidates.Count -eq 0) {
                if ($directive -band 4) { return '' }
                return
            }
            # PowerShell adds no space after a completion: add one to a lone candidate unless told not to.
            $space = if ($candidates.Count -eq 1 -and -not ($directive -band 2)) { ' ' } else { '' }
            foreach ($candidate in $candidates) {
                $text = $candidate.Name
                if ($text -match '[\s''"`$;,|&(){}@#<>]') { $text = "'" + ($text -replace "'", "''") + "'" }
                [System.Management.Automation.CompletionResult]::new(
                    $text + $space, $candidate.Name, 'ParameterValue', $candidate.Description)
            }
        }

        """#
    }
}
