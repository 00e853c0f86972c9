import Foundation
import Testing
import KVStore
@testable import KVServer
@testable import KVCtlCore

/// Every kvctl command the README shows, run in the README's order against one fresh server, as a new
/// user would type them: each must succeed, or fail exactly as its `# Error: …` comment says.
@Suite struct ReadmeCommandsTests {
    struct Step { var args: [String]; var expectedError: String?; var asksPassword: Bool }

    static func steps(_ readme: String) -> [Step] {
        var steps: [Step] = []
        for raw in readme.split(separator: "\n", omittingEmptySubsequences: false) where raw.hasPrefix("    ") {
            var line = raw.dropFirst(4)
            var comment = ""
            if let hash = line.range(of: "  #") {
                comment = line[hash.upperBound...].trimmingCharacters(in: .whitespaces)
                line = line[..<hash.lowerBound]
            }
            for part in line.components(separatedBy: " && ") {
                var words = part.split(separator: " ").map(String.init)
                guard let first = words.first, first == "kvctl" || first.hasSuffix("/kvctl") else { continue }
                words.removeFirst()
                steps.append(Step(args: words,
                                  expectedError: comment.hasPrefix("Error: ") ? comment : nil,
                                  asksPassword: comment.hasPrefix("asks `Password: `")))
            }
        }
        return steps
    }

    @Test func everyReadmeCommandWorksInOrder() throws {
        let readme = try String(contentsOfFile: ShellPaths.root + "/README.md", encoding: .utf8)
        let steps = Self.steps(readme)
        #expect(steps.count >= 20, "found \(steps.count) kvctl commands in README.md")
        let s = try EndToEndTests.Running()
        let dir = NSTemporaryDirectory() + "kvctl-readme-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for step in steps {
            // Files the README names relatively (`backup.snap`, `backup.db`, `--data-dir new`) go to a scratch directory.
            var args = step.args
            for i in args.indices where args[i].hasSuffix(".snap") || args[i].hasSuffix(".db") || (i > 0 && args[i - 1] == "--data-dir") {
                args[i] = dir + "/" + args[i]
            }
            // The README's users: alice's password is alicepw.
            let r = s.run(args, stdin: step.asksPassword ? "alicepw\n" : "")
            if let expected = step.expectedError {
                #expect(r.code != 0 && r.err.hasSuffix(expected + "\n"), "kvctl \(step.args.joined(separator: " ")): \(r.err)")
            } else {
                #expect(r.code == 0, "kvctl \(step.args.joined(separator: " ")): exit \(r.code): \(r.err)")
            }
        }
    }
}

enum ShellPaths {
    static let root: String = {
        var path = #filePath
        for _ in 0..<3 { path = (path as NSString).deletingLastPathComponent }
        return path
    }()
}
