import Testing
@testable import KVStore

@Suite struct HMACTests {
    /// RFC 4231 test cases 1–4, 6 and 7 (case 5 truncates the output, which this API does not offer).
    static let vectors: [(name: String, key: [UInt8], message: [UInt8], code: String)] = [
        ("case 1", [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        ("case 2", Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        ("case 3", [UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        ("case 4", Array(1...25), [UInt8](repeating: 0xcd, count: 50),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        ("case 6", [UInt8](repeating: 0xaa, count: 131),
         Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        ("case 7", [UInt8](repeating: 0xaa, count: 131),
         Array(("This is a test using a larger than block-size key and a larger than block-size data. "
             + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ]

    @Test(arguments: vectors)
    func rfc4231(name: String, key: [UInt8], message: [UInt8], code: String) {
        #expect(Hex.encode(HMAC.authenticationCode(for: message, key: key)) == code, "\(name)")
        var streaming = HMAC(key: key)
        for byte in message { streaming.update(CollectionOfOne(byte)) }
        #expect(Hex.encode(streaming.finalize()) == code, "\(name) streamed")
        #expect(HMAC(key: key).finalizeWords() == HMAC(key: key).finalizeWords())
    }

    /// The word-level fast path PBKDF2 uses agrees with the byte-level API.
    @Test func wordPathMatchesBytePath() {
        let mac = HMAC(key: Array("key".utf8))
        let digest = SHA256.hash(Array("message".utf8))
        var words = SIMD8<UInt32>()
        for index in 0..<8 {
            words[index] = digest[(index * 4)..<(index * 4 + 4)].reduce(0) { $0 << 8 | UInt32($1) }
        }
        let viaWords = mac.authenticationCodeWords(ofDigest: words)
        let viaBytes = HMAC.authenticationCode(for: digest, key: Array("key".utf8))
        let wordBytes = (0..<8).flatMap { index in
            (0..<4).map { UInt8(truncatingIfNeeded: viaWords[index] >> UInt32(24 - 8 * $0)) }
        }
        #expect(wordBytes == viaBytes)
    }
}
