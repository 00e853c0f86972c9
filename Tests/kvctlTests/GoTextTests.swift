import Testing
@testable import KVCtlCore

@Suite struct GoTextTests {
    @Test(arguments: [
        ("bin\u{FF}\u{FE}\u{0}end", "\"bin\\xff\\xfe\\x00end\""),
        ("line1\nline2", "\"line1\\nline2\""),
        ("say \"hi\" \\ ok", "\"say \\\"hi\\\" \\\\ ok\""),
        ("a\u{1}\u{7f}b\tc", "\"a\\x01\\x7fb\\tc\""),
        ("a\u{1}\u{7f}\u{a0}b\u{200b}", "\"a\\x01\\x7f\\u00a0b\\u200b\""),
        ("значение ✓", "\"значение ✓\""),
    ])
    func quote(input: String, expected: String) {
        var bytes = Array(input.utf8)
        if input.hasPrefix("bin") { bytes = Array("bin".utf8) + [0xff, 0xfe, 0x00] + Array("end".utf8) }
        #expect(GoText.quote(bytes) == expected)
    }

    @Test func jsonEscapesHTML() {
        #expect(GoText.jsonString("a<b>&c") == "\"a\\u003cb\\u003e\\u0026c\"")
        #expect(GoText.jsonString("tab\tq\"") == "\"tab\\tq\\\"\"")
    }

    @Test func base64() {
        #expect(GoText.base64(Array("foo".utf8)) == "Zm9v")
        #expect(GoText.base64(Array("qux2".utf8)) == "cXV4Mg==")
        #expect(GoText.base64([0]) == "AA==")
        #expect(GoText.base64(Array("bin".utf8) + [0xff, 0xfe, 0] + Array("end".utf8)) == "Ymlu//4AZW5k")
    }

    @Test(arguments: [(UInt64(5), "5 B"), (20480, "20 kB"), (24576, "25 kB"), (36864, "37 kB"), (1234567, "1.2 MB")])
    func humanize(size: UInt64, expected: String) {
        #expect(GoText.humanizeBytes(size) == expected)
    }

    @Test(arguments: [(Int64(903_054), "903.054µs"), (1_214_508, "1.214508ms"), (5_000_944_617, "5.000944617s"),
                      (60_500_000_000, "1m0.5s"), (0, "0s"), (1_000_000, "1ms")])
    func duration(ns: Int64, expected: String) {
        #expect(GoText.duration(nanoseconds: ns) == expected)
    }

    @Test func leaseHex() {
        #expect(GoText.leaseHex(0x1234abcd) == "000000001234abcd")
        #expect(GoText.leaseHex(4871947078977049436) == "439ca20e3eedd35c")
    }

    @Test func parsing() {
        #expect(GoParse.int64("abc") == .failure(GoParseError("strconv.ParseInt: parsing \"abc\": invalid syntax")))
        #expect(GoParse.int64("0x10", base: 0) == .success(16))
        #expect(GoParse.int64("439CA20E3EEDD35C", base: 16) == .success(4871947078977049436))
        #expect(GoParse.int64("0x12", base: 16) == .failure(GoParseError("strconv.ParseInt: parsing \"0x12\": invalid syntax")))
        #expect(GoParse.int64("99999999999999999999") == .failure(GoParseError("strconv.ParseInt: parsing \"99999999999999999999\": value out of range")))
        #expect(GoParse.duration("1m30s") == .success(90_000_000_000))
        #expect(GoParse.duration("1.5ms") == .success(1_500_000))
        #expect(GoParse.duration("abc") == .failure(GoParseError("time: invalid duration \"abc\"")))
        #expect(GoParse.duration("5") == .failure(GoParseError("time: missing unit in duration \"5\"")))
    }
}
