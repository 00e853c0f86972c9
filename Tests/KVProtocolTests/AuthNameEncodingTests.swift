import Testing
@testable import KVProtocol

/// User and role names and passwords are UTF-8 strings on etcd's wire: other bytes are refused, never
/// replaced (which made `a\xffb` and `a\xfeb` the same user), and the error never repeats the value.
@Suite struct AuthNameEncodingTests {
    static let cases: [(line: String, message: String)] = [
        (#"USER-ADD "a\xffb" pw"#, "USER-ADD: <name> is not valid UTF-8"),
        (#"USER-ADD bob "p\xffw""#, "USER-ADD: <password> is not valid UTF-8"),
        (#"USER-ADD "a\xffb" --no-password"#, "USER-ADD: <name> is not valid UTF-8"),
        (#"USER-PASSWD bob "p\xc3""#, "USER-PASSWD: <password> is not valid UTF-8"),
        (#"AUTHENTICATE "a\xff" pw"#, "AUTHENTICATE: <name> is not valid UTF-8"),
        (#"AUTHENTICATE bob "\xff""#, "AUTHENTICATE: <password> is not valid UTF-8"),
        (#"USER-GET "\xfe""#, "USER-GET: <name> is not valid UTF-8"),
        (#"USER-GRANT bob "r\xff""#, "USER-GRANT: <role> is not valid UTF-8"),
        (#"ROLE-ADD "r\xff""#, "ROLE-ADD: <name> is not valid UTF-8"),
        (#"ROLE-GRANT "r\xff" read k"#, "ROLE-GRANT: <role> is not valid UTF-8"),
    ]

    @Test(arguments: cases.indices)
    func invalidUTF8IsRefused(_ index: Int) throws {
        let (line, message) = Self.cases[index]
        do {
            _ = try RequestDecoder.decode(Array(line.utf8))
            Issue.record("\(line) was accepted")
        } catch {
            #expect(error.error.code == "ARGS")
            #expect(error.error.message == message)
            #expect(!error.error.message.contains("\\x"), "the value is never echoed")
        }
    }

    @Test func validUTF8NamesStillWork() throws {
        let decoded = try #require(try RequestDecoder.decode(Array(#"USER-ADD "caf\xc3\xa9" pw"#.utf8)))
        #expect(decoded.request == .auth(.userAdd(name: "café", password: "pw")))
    }
}
