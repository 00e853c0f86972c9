import EtcdWire
import Testing

/// `JSONParser`: values as RFC 8259 defines them, Go's error texts for what etcd's gateway refuses, and
/// several values read one after another from one body (a Watch stream's requests).
@Suite struct JSONParserTests {
    static let values: [(String, JSONValue)] = [
        (#"{}"#, .object([])),
        (#" { "a" : [1, -2.5e3, true, false, null, "x"] } "#,
         .object([JSONMember("a", .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null, .string("x")]))])),
        (#""\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00""#, .string("\"\\/\u{8}\u{c}\n\r\tAé😀")),
        (#""\ud800x""#, .string("\u{FFFD}x")),
        ("\"caf\u{e9}\"", .string("café")),
        (#"[[],{}]"#, .array([.array([]), .object([])])),
        (#"0"#, .number("0")),
    ]

    @Test(arguments: values) func parses(_ text: String, _ expected: JSONValue) throws {
        var parser = JSONParser(Array(text.utf8))
        #expect(try parser.next() == expected)
        #expect(parser.isAtEnd)
    }

    /// Go's `encoding/json` texts (etcd's gateway answers them as they are).
    static let errors: [(String, String)] = [
        (#"{"key":"Zm9v""#, "unexpected EOF"),
        (#"{"key""#, "unexpected EOF"),
        (#"["#, "unexpected EOF"),
        (#""abc"#, "unexpected EOF"),
        (#"x"#, "invalid character 'x' looking for beginning of value"),
        (#"{"a" 1}"#, "invalid character '1' after object key"),
        (#"{"a":1 2}"#, "invalid character '2' after object key:value pair"),
        (#"[1 2]"#, "invalid character '2' after array element"),
        (#"{1}"#, "invalid character '1' looking for beginning of object key string"),
        (#"{'a':1}"#, #"invalid character '\'' looking for beginning of object key string"#),
        (#"tru"#, "unexpected EOF"),
        (#"trap"#, "invalid character 'a' in literal true (expecting 'u')"),
        (#"nul!"#, "invalid character '!' in literal null (expecting 'l')"),
        (#"-x"#, "invalid character 'x' in numeric literal"),
        (#"1.x"#, "invalid character 'x' after decimal point in numeric literal"),
        (#"1ex"#, "invalid character 'x' in exponent of numeric literal"),
        ("\"a\nb\"", #"invalid character '\n' in string literal"#),
        (#""\x""#, "invalid character 'x' in string escape code"),
        (#""\u12g4""#, #"invalid character 'g' in \u hexadecimal character escape"#),
        ("\u{1}", #"invalid character '\x01' looking for beginning of value"#),
    ]

    @Test(arguments: errors) func refuses(_ text: String, _ message: String) {
        var parser = JSONParser(Array(text.utf8))
        #expect(throws: JSONDecodingError(message)) { try parser.next() }
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: JSONParser.maximumDepth + 1) + String(repeating: "]", count: JSONParser.maximumDepth + 1)
        var parser = JSONParser(Array(deep.utf8))
        #expect(throws: JSONDecodingError("exceeded max depth")) { try parser.next() }
        let allowed = String(repeating: "[", count: JSONParser.maximumDepth) + String(repeating: "]", count: JSONParser.maximumDepth)
        var ok = JSONParser(Array(allowed.utf8))
        #expect((try? ok.next()) != nil)
    }

    @Test func readsSeveralValuesFromOneBody() throws {
        var parser = JSONParser(Array(#" {"a":1}{"b":2}  [3] "#.utf8))
        #expect(try parser.next() == .object([JSONMember("a", .number("1"))]))
        #expect(try parser.next() == .object([JSONMember("b", .number("2"))]))
        #expect(try parser.next() == .array([.number("3")]))
        #expect(try parser.next() == nil)
        var empty = JSONParser(Array(" \n\t".utf8))
        #expect(try empty.next() == nil)
    }
}

/// `Base64` and `JSONWriter`: etcd's gateway's encodings of bytes and strings.
@Suite struct JSONEncodingTests {
    static let base64: [(String, String)] = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
                                             ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")]

    @Test(arguments: base64) func base64RoundTrips(_ plain: String, _ encoded: String) throws {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(try Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test func base64RefusesWhatGoRefuses() {
        #expect(throws: JSONDecodingError("illegal base64 data at input byte 0")) { try Base64.decode("!!!") }
        #expect(throws: JSONDecodingError("illegal base64 data at input byte 3")) { try Base64.decode("Zm9") }
        #expect(throws: JSONDecodingError("illegal base64 data at input byte 4")) { try Base64.decode("Zm9v=") }
        #expect((try? Base64.decode("Zm\n9v")) == Array("foo".utf8))
    }

    @Test func stringsAreEscapedAsGoEscapesThem() {
        var writer = JSONWriter()
        writer.string("a\"b\\c\n\t\r<>&\u{1}\u{2028}é")
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #""a\"b\\c\n\t\r\u003c\u003e\u0026\u0001\u2028é""#)
        var invalid = JSONWriter()
        [UInt8]([0x61, 0xff, 0x62]).withUnsafeBytes { invalid.string(utf8: $0) }
        #expect(String(decoding: invalid.bytes, as: UTF8.self) == #""a\ufffdb""#)
    }
}
