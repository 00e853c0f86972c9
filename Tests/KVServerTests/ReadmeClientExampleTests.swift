import Foundation
import TestSupport
import Testing
import KVClient
@testable import KVServer

/// The README's KVClient example, compiled here and run against a server the test starts; the test below
/// checks that the README shows exactly this code.
// README-CLIENT-BEGIN
func readmeClientExample(endpoint: String) throws -> String {
    let client = try KVClient(endpoints: [endpoint])      // e.g. "127.0.0.1:2379"
    defer { client.close() }
    let watch = try client.watch(WatchRequest(prefix: "config/"))

    _ = try client.call(.put(PutRequest(key: "config/color", value: "blue")))
    if case .range(let got) = try client.call(.range(RangeRequest(key: "config/color"))) {
        print(got.kvs.first?.valueString ?? "-")          // blue
    }

    var seen = ""
    while seen.isEmpty, let response = try watch.next(timeout: .seconds(5)) {
        for event in response.events { seen = "\(event.type) \(event.kv.keyString)=\(event.kv.valueString)" }
    }
    try watch.cancel()
    return seen                                           // put config/color=blue
}
// README-CLIENT-END

@Suite struct ReadmeClientExampleTests {
    @Test func exampleRunsAgainstAServer() throws {
        let server = try TestServer()
        defer { server.stop() }
        #expect(try readmeClientExample(endpoint: server.endpoint) == "put config/color=blue")
    }

    @Test func readmeShowsThisExample() throws {
        let testFile = try String(contentsOfFile: #filePath, encoding: .utf8)
        let readme = try String(contentsOfFile: ShellCommand.repositoryRoot + "/README.md", encoding: .utf8)
        guard let start = testFile.range(of: "// README-CLIENT-BEGIN\n"),
              let end = testFile.range(of: "// README-CLIENT-END", range: start.upperBound..<testFile.endIndex) else {
            Issue.record("markers missing")
            return
        }
        #expect(readme.contains(String(testFile[start.upperBound..<end.lowerBound])),
                "README.md must contain the example from ReadmeClientExampleTests.swift verbatim")
    }
}
