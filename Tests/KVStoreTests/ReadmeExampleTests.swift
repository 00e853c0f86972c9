import Foundation
import Testing
import KVStore

/// The README's embedding example, compiled and run here so it can never rot. The test below checks
/// that the README shows exactly this code.
// README-EXAMPLE-BEGIN
func readmeExample() throws {
    let store = Store()                                   // in memory, revision 1

    try store.put("config/color", "blue")                 // revision 2
    try store.put("config/size", "XL")                    // revision 3
    try store.put("config/color", "green")                // revision 4

    let color = try store.get("config/color")
    print(color?.valueString ?? "-", color?.version ?? 0) // green 2

    // Read the past: every revision not yet compacted stays readable.
    let old = try store.range(RangeRequest(key: Array("config/color".utf8), revision: 2))
    print(old.kvs.first?.valueString ?? "-")              // blue

    // Compare-and-swap: change the size only if nobody changed it since revision 3.
    let swap = try store.txn(TxnRequest(
        compare: [Compare(key: Array("config/size".utf8), result: .equal, target: .modRevision(3))],
        success: [.put(PutRequest(key: Array("config/size".utf8), value: Array("L".utf8)))]))
    print(swap.succeeded)                                 // true

    for kv in try store.get(prefix: "config/") { print(kv.keyString, kv.valueString) }
    try store.compact(store.revision)                     // drop the history before now
}
// README-EXAMPLE-END

struct ReadmeExampleTests {
    @Test func exampleRuns() throws {
        try readmeExample()
        // The same steps, checked.
        let store = Store()
        try store.put("config/color", "blue")
        try store.put("config/size", "XL")
        try store.put("config/color", "green")
        #expect(try store.get("config/color")?.version == 2)
        #expect(try store.range(RangeRequest(key: Array("config/color".utf8), revision: 2)).kvs.first?.valueString == "blue")
    }

    @Test func readmeShowsThisExample() throws {
        let testFile = try String(contentsOfFile: #filePath, encoding: .utf8)
        let readmePath = URLPath.parent(of: URLPath.parent(of: URLPath.parent(of: #filePath))) + "/README.md"
        let readme = try String(contentsOfFile: readmePath, encoding: .utf8)
        let code = extract(testFile, from: "// README-EXAMPLE-BEGIN\n", to: "// README-EXAMPLE-END")
        #expect(!code.isEmpty)
        #expect(readme.contains(code), "README.md must contain the example from ReadmeExampleTests.swift verbatim")
    }

    private func extract(_ text: String, from start: String, to end: String) -> String {
        guard let s = text.range(of: start), let e = text.range(of: end, range: s.upperBound..<text.endIndex) else { return "" }
        return String(text[s.upperBound..<e.lowerBound])
    }
}

private enum URLPath {
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }
}
